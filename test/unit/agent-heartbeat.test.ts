import type {FilledOutcome} from '../../src/kb/cause.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import agentHeartbeat from '../../checks/agent-heartbeat.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/**
 * A loopback control plane in the secrets-bridge shape: GET /<case>/agents and
 * GET /<case>/audit-events, behind an admin bearer token.
 */
const TOKEN = 'sba_canary-agent-heartbeat-7b3f0a'
const SEC = 1000
const MIN = 60 * SEC
/** An injected clock: fixture times and the check's now() agree however long the suite takes. */
const NOW = Date.parse('2026-06-01T12:00:00Z')
const iso = (offset: number) => new Date(NOW + offset).toISOString()
let cp: TestServer
const methods = new Set<string>()

const fresh = {id: 'a1', name: 'agent-eu-1', status: 'healthy', last_heartbeat_at: iso(-10 * SEC)}
const stale = {id: 'a2', name: 'agent-us-1', status: 'stale', last_heartbeat_at: iso(-25 * MIN)}
const heartbeat = (error: string | undefined, agent = 'agent-us-1') => ({
  occurred_at: iso(-30 * SEC),
  actor: `agent:${agent}`,
  action: 'agent.heartbeat',
  status: error ? 'denied' : 'ok',
  metadata: error ? {error_kind: error} : {},
})

beforeAll(async () => {
  cp = await startServer((req, res) => {
    methods.add(req.method ?? '')
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(res, 401, {error: 'unauthorized'})
    const path = (req.url ?? '/').split('?')[0]
    switch (path) {
      case '/fresh/agents':
        return send(res, 200, [fresh, {...fresh, id: 'a3', name: 'agent-eu-2'}])
      case '/wrapped/agents':
        return send(res, 200, {agents: [{agentId: 'a9', lastSeenAt: Math.floor(NOW / 1000) - 30}]})
      case '/custom/agents':
        return send(res, 200, {data: {nodes: [{host: 'n1', beat: {at: iso(-5 * MIN)}}]}})
      case '/stale/agents':
      case '/quiet/agents':
      case '/unknown/agents':
        return send(res, 200, [fresh, stale])
      case '/stale/audit-events':
        return send(res, 200, [
          heartbeat('unauthorized'),
          heartbeat('unauthorized'),
          heartbeat(undefined, 'agent-eu-1'),
        ])
      case '/quiet/audit-events':
        return send(res, 200, [
          heartbeat(undefined, 'agent-eu-1'),
          {
            occurred_at: iso(-2 * MIN),
            action: 'auth.login',
            status: 'denied',
            metadata: {error_kind: 'wrong_password'},
          },
        ])
      case '/unknown/audit-events':
        return send(res, 403, {error: 'forbidden'})
      case '/empty/agents':
        return send(res, 200, [])
      case '/shapeless/agents':
        return send(res, 200, [{name: 'x'}])
      default:
        return send(res, 404, {error: 'not found'})
    }
  })
})
afterAll(() => cp.close())

async function check(
  scenario: string | undefined,
  extra: Record<string, unknown> = {},
  config: Record<string, unknown> = {},
): Promise<FilledOutcome> {
  const headers = {Authorization: `Bearer ${TOKEN}`}
  const agents = scenario ? {url: `/${scenario}/agents`, headers, ...extra} : undefined
  const ctx = makeContext({target: {baseUrl: cp.url}, ...(agents ? {agents} : {}), ...config}, {}, {}, false, () => NOW)
  try {
    const outcome = await runCheck(agentHeartbeat, ctx)
    expect(JSON.stringify(outcome)).not.toContain(TOKEN)
    return outcome
  } finally {
    await ctx.close()
  }
}

describe('agent-heartbeat: healthy', () => {
  it('every agent heartbeat within maxAge: pass, one item per agent', async () => {
    const o = await check('fresh', {auditUrl: '/stale/audit-events'})
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toBe('all 2 agents heartbeat within 2m')
    expect(o.items?.map((i) => `${i.label}:${i.status}`)).toEqual(['agent-eu-1:pass', 'agent-eu-2:pass'])
    expect(o.items?.[0].message).toMatch(/^last heartbeat 10 s ago; status "healthy"$/)
  })

  it('other shapes: a wrapped list, camelCase keys, epoch seconds', async () => {
    const o = await check('wrapped')
    expect(o.status, o.message).toBe('pass')
    expect(o.items).toEqual([
      {label: 'a9', status: 'pass', message: expect.stringMatching(/^last heartbeat 3[01] s ago$/)},
    ])
  })

  it('agents.items, name, lastHeartbeat and maxAge for custom shapes', async () => {
    const o = await check('custom', {items: '$.data.nodes', name: '$.host', lastHeartbeat: '$.beat.at', maxAge: '10m'})
    expect(o.status, o.message).toBe('pass')
    expect(o.items?.[0].label).toBe('n1')
  })
})

describe('agent-heartbeat: stale agents, by cause', () => {
  it('stale, and the audit log shows unauthorized heartbeats: wrong-agent-secret', async () => {
    const o = await check('stale', {auditUrl: '/stale/audit-events'})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('agent-stale#wrong-agent-secret')
    expect(o.message).toMatch(
      /^1 of 2 agents are stale: agent-us-1 \(last heartbeat 25 min ago, over the 2m limit; status "stale"\)\. The audit log has 2 requests rejected with error_kind "unauthorized" in the last 15 min, naming agent-us-1 \(latest 30 s ago\): heartbeats arrive, but with the wrong agent secret$/,
    )
    expect(o.items?.map((i) => `${i.label}:${i.status}`)).toEqual(['agent-eu-1:pass', 'agent-us-1:fail'])
  })

  it('stale, and no rejected heartbeat in the audit log (other error kinds do not count): heartbeat-not-reaching', async () => {
    const o = await check('quiet', {auditUrl: '/quiet/audit-events'})
    expect(o.cause?.kb).toBe('agent-stale#heartbeat-not-reaching')
    expect(o.message).toMatch(
      /shows no heartbeat rejected as unauthorized in the last 15 min: the heartbeats do not reach the control plane$/,
    )
  })

  it('the audit section stands in for agents.auditUrl', async () => {
    const o = await check(
      'stale',
      {},
      {audit: {url: '/stale/audit-events', headers: {Authorization: `Bearer ${TOKEN}`}}},
    )
    expect(o.cause?.kb).toBe('agent-stale#wrong-agent-secret')
  })

  it('stale without any audit source, or with an unreadable one: the entry, saying what is missing', async () => {
    const none = await check('unknown')
    expect(none.status).toBe('fail')
    expect(none.cause?.kb).toBe('agent-stale')
    expect(none.message).toMatch(/Set agents\.auditUrl/)
    const refused = await check('unknown', {auditUrl: '/unknown/audit-events'})
    expect(refused.cause?.kb).toBe('agent-stale')
    expect(refused.message).toMatch(/could not be read \(it answered 403\)/)
  })
})

describe('agent-heartbeat: nothing to judge', () => {
  it('no agent registered: a warning without a guessed cause', async () => {
    const o = await check('empty')
    expect(o.status).toBe('warn')
    expect(o.cause?.kb).toBeUndefined()
  })

  it('agents with neither a heartbeat nor a status: error asking for agents.lastHeartbeat', async () => {
    const o = await check('shapeless')
    expect(o.status).toBe('error')
    expect(o.message).toMatch(/set agents\.lastHeartbeat/)
  })

  it('the agent list refuses the credential: error', async () => {
    const ctx = makeContext({target: {baseUrl: cp.url}, agents: {url: '/fresh/agents'}})
    try {
      expect((await runCheck(agentHeartbeat, ctx)).status).toBe('error')
    } finally {
      await ctx.close()
    }
  })

  it('no agents section: skipped; only GET is ever sent', async () => {
    expect((await check(undefined)).status).toBe('skip')
    expect([...methods]).toEqual(['GET'])
  })
})
