import type {FilledOutcome} from '../../src/kb/cause.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import auditLog from '../../checks/audit-log.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/**
 * A loopback service with an audit API per case (/<case>/audit) and probe paths under
 * /<case>/v1/. Depending on the case, a probe is written to the log at once, after a delay (the
 * asynchronous writer), never, or the log is empty, stale, forbidden or down.
 */
const KEY = 'atk_canary-audit-log-5d2e9b'
const MIN = 60_000
const iso = (offset: number) => new Date(Date.now() + offset).toISOString()
let api: TestServer
const methods = new Set<string>()
const logs = new Map<string, Array<Record<string, unknown>>>()

beforeAll(async () => {
  api = await startServer((req, res) => {
    methods.add(req.method ?? '')
    const path = (req.url ?? '/').split('?')[0]
    const [, scenario, ...rest] = path.split('/')
    const log = logs.get(scenario) ?? []
    logs.set(scenario, log)
    if (rest[0] === 'v1') {
      const event = {occurred_at: iso(0), actor: 'doctor', path, status: 200, key: req.headers['x-api-key']}
      if (scenario === 'ok' || scenario === 'nolist') log.unshift(event)
      if (scenario === 'delayed') setTimeout(() => log.unshift(event), 250)
      return send(res, 200, {key: 'dev'})
    }
    if (rest[0] !== 'audit') return send(res, 404, {error: 'not found'})
    if (req.headers['x-api-key'] !== KEY) return send(res, 401, {error: 'unauthorized'})
    switch (scenario) {
      case 'ok':
      case 'delayed':
        return send(res, 200, {events: [...log, {occurred_at: iso(-60 * MIN), path: '/v1/keys', status: 200}]})
      case 'disabled':
        return send(res, 200, [])
      case 'stopped':
        return send(res, 200, [
          {occurred_at: iso(-3 * 24 * 60 * MIN), path: '/v1/whoami'},
          {occurred_at: iso(-4 * 24 * 60 * MIN), path: '/v1/keys'},
        ])
      case 'unaudited':
        return send(res, 200, {items: [{timestamp: Math.floor(Date.now() / 1000), path: '/v1/other'}]})
      case 'recent':
        return send(res, 200, [{created_at: iso(-2 * MIN), action: 'http.request'}])
      case 'custom':
        return send(res, 200, {data: {rows: [{when: iso(-1 * MIN), what: 'x'}]}})
      case 'timeless':
        return send(res, 200, [{action: 'x'}])
      case 'nolist':
        return send(res, 200, {total: 3})
      case 'forbidden':
        return send(res, 403, {error: 'forbidden', missing: 'audit.read'})
      case 'down':
        return send(res, 503, {status: 'fail', postgres: 'not ready'})
      default:
        return send(res, 404, {error: 'not found'})
    }
  })
})
afterAll(() => api.close())

async function check(
  scenario: string | undefined,
  extra: Record<string, unknown> = {},
  probe = true,
): Promise<FilledOutcome> {
  const audit = scenario
    ? {
        url: `/${scenario}/audit`,
        headers: {'X-API-Key': KEY},
        ...(probe ? {probe: {url: `/${scenario}/v1/whoami`, headers: {'X-API-Key': KEY}}} : {}),
        ...extra,
      }
    : undefined
  const ctx = makeContext({target: {baseUrl: api.url}, ...(audit ? {audit} : {})})
  try {
    const outcome = await runCheck(auditLog, ctx)
    expect(JSON.stringify(outcome)).not.toContain(KEY)
    return outcome
  } finally {
    await ctx.close()
  }
}

describe('audit-log: healthy', () => {
  it('the probe is in the log: pass', async () => {
    const o = await check('ok')
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toMatch(/^the audit log recorded GET \/ok\/v1\/whoami \(just now|\d+ s ago\); 2 events listed$/)
  })

  it('the probe shows up a moment later (asynchronous writer): looks again, then passes', async () => {
    const o = await check('delayed')
    expect(o.status, o.message).toBe('pass')
    expect(o.evidence?.exchanges?.filter((e) => e.url.endsWith('/delayed/audit')).length).toBeGreaterThan(1)
  })

  it('without a probe, a recent event: pass', async () => {
    const o = await check('recent', {}, false)
    expect(o.status).toBe('pass')
    expect(o.message).toMatch(/^the audit log's newest event is (120 s|2 min) ago \(within 15m\); 1 event listed$/)
  })

  it('audit.items and audit.time for other shapes', async () => {
    const o = await check('custom', {items: '$.data.rows', time: '$.when'}, false)
    expect(o.status, o.message).toBe('pass')
  })
})

describe('audit-log: empty or stale', () => {
  it('an empty list right after an audited probe: audit-disabled', async () => {
    const o = await check('disabled')
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('audit-log-empty#audit-disabled')
    expect(o.message).toMatch(
      /has no events at all \(\$ is an empty list\), even right after GET \/disabled\/v1\/whoami \(answered 200\): auditing is switched off$/,
    )
  })

  it('events that stop days before the probe: audit-disabled (auditing stopped)', async () => {
    const o = await check('stopped')
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('audit-log-empty#audit-disabled')
    expect(o.message).toMatch(
      /did not record GET \/stopped\/v1\/whoami \(answered 200\); its newest event is 3 days ago/,
    )
  })

  it('newer events, but not the probe: path-not-audited', async () => {
    const o = await check('unaudited')
    expect(o.status).toBe('warn')
    expect(o.cause?.kb).toBe('audit-log-empty#path-not-audited')
    expect(o.message).toMatch(/has 1 event from the last moments, but none for GET \/unaudited\/v1\/whoami/)
  })

  it('without a probe, nothing within the window: a warning', async () => {
    const o = await check('stopped', {within: '1h'}, false)
    expect(o.status).toBe('warn')
    expect(o.cause?.kb).toBe('audit-log-empty#audit-disabled')
    expect(o.message).toMatch(/newest event is 3 days ago .*, older than 1h: .*Configure audit\.probe/)
  })
})

describe('audit-log: the audit API refuses or fails', () => {
  it('403: missing-audit-read', async () => {
    const o = await check('forbidden')
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('audit-events-forbidden#missing-audit-read')
    expect(o.message).toMatch(
      /answered 403 Forbidden .*lacks the permission to read audit events \(secrets-bridge: audit\.read\)$/,
    )
  })

  it('503: api-unreachable, not a permission problem', async () => {
    const o = await check('down')
    expect(o.cause?.kb).toBe('audit-events-forbidden#api-unreachable')
  })

  it('nothing listening: api-unreachable', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    const ctx = makeContext({audit: {url: `${closed.url}/audit`}})
    try {
      const o = await runCheck(auditLog, ctx)
      expect(o.cause?.kb).toBe('audit-events-forbidden#api-unreachable')
      expect(o.message).toMatch(/connection refused/)
    } finally {
      await ctx.close()
    }
  })

  it('401 (no or wrong credential): error pointing at audit.headers', async () => {
    const ctx = makeContext({target: {baseUrl: api.url}, audit: {url: '/ok/audit'}})
    try {
      const o = await runCheck(auditLog, ctx)
      expect(o.status).toBe('error')
      expect(o.evidence?.notes?.[0]).toMatch(/audit\.headers/)
    } finally {
      await ctx.close()
    }
  })

  it('no event list or no time field: error asking for audit.items / audit.time', async () => {
    expect((await check('nolist')).message).toMatch(/set audit\.items/)
    expect((await check('timeless', {}, false)).message).toMatch(/set audit\.time/)
  })

  it('no audit section: skipped; only GET is ever sent', async () => {
    expect((await check(undefined)).status).toBe('skip')
    expect([...methods]).toEqual(['GET'])
  })
})
