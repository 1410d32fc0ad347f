import type {IncomingMessage, ServerResponse} from 'node:http'
import type {FilledOutcome} from '../../src/kb/cause.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import upstreamProxy from '../../checks/upstream-proxy.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/**
 * A gateway in front of an upstream API, both on loopback. The gateway answers its own health and
 * forwards GET /<case>/... the way the case says: to the real upstream, to a closed port (502), or
 * with the upstream's "invalid authentication" wrapped in a 502.
 */
const CANARY = 'rgw_canary-upstream-proxy-4e1b7d'
let upstream: TestServer
let gateway: TestServer
let closedUrl: string
const methods = new Set<string>()

beforeAll(async () => {
  upstream = await startServer((req, res) => {
    methods.add(req.method ?? '')
    if (req.headers.authorization !== 'Basic Y29udm94OnJhY2s=')
      return send(res, 401, 'invalid authentication\n', 'text/plain')
    send(res, 200, {name: 'rack', status: 'running'})
  })
  const closed = await startServer(() => {})
  closedUrl = closed.url
  await closed.close()
  gateway = await startServer((req: IncomingMessage, res: ServerResponse) => {
    methods.add(req.method ?? '')
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/health') return send(res, 200, {status: 'ok'})
    if (path === '/health-down') return send(res, 503, {status: 'fail', database: 'connection refused'})
    if (path === '/health-blocked') return send(res, 403, '<html><body>Request blocked</body></html>', 'text/html')
    if (req.headers.authorization !== `Bearer ${CANARY}`) return send(res, 401, {error: 'unauthorized'})
    switch (path) {
      case '/ok/system':
        return send(res, 200, {name: 'rack', status: 'running'})
      case '/down/system':
        return send(res, 502, 'Bad Gateway', 'text/plain')
      case '/token/system':
        return send(res, 502, `Bad Gateway: upstream answered 401: invalid authentication (${CANARY})`, 'text/plain')
      case '/timeout/system':
        return send(res, 504, 'Gateway Timeout', 'text/plain')
      case '/redirect/system':
        res.writeHead(302, {location: '/login'})
        return res.end()
      default:
        return send(res, 404, {error: 'not found'})
    }
  })
})
afterAll(async () => {
  await Promise.all([upstream.close(), gateway.close()])
})

async function check(section: Record<string, unknown> | undefined): Promise<FilledOutcome> {
  const ctx = makeContext({
    target: {baseUrl: gateway.url},
    ...(section ? {gateway: {headers: {Authorization: `Bearer ${CANARY}`}, ...section}} : {}),
  })
  try {
    const outcome = await runCheck(upstreamProxy, ctx)
    // The gateway token never appears in the result (before the report's own redaction pass), whatever the gateway echoes back.
    expect(JSON.stringify(outcome)).not.toContain(CANARY)
    return outcome
  } finally {
    await ctx.close()
  }
}

describe('upstream-proxy: healthy', () => {
  it('health 200 and the forwarded call 200: pass, no false alarm', async () => {
    const o = await check({health: '/health', upstreamProbe: '/ok/system', upstreamUrl: upstream.url})
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toMatch(
      /^the gateway forwards: GET http:\/\/127\.0\.0\.1:\d+\/ok\/system answered 200 OK; its health answers 200 OK$/,
    )
    expect(o.items?.map((i) => i.status)).toEqual(['pass', 'pass'])
    expect(o.cause).toBeUndefined()
  })

  it('without a health path: judged by the forwarded call alone', async () => {
    const o = await check({upstreamProbe: '/ok/system'})
    expect(o.status).toBe('pass')
  })
})

describe('upstream-proxy: bad gateway, by cause', () => {
  it('502 while the upstream answers from here: rack-host-misconfigured', async () => {
    const o = await check({health: '/health', upstreamProbe: '/down/system', upstreamUrl: upstream.url})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('upstream-bad-gateway#rack-host-misconfigured')
    expect(o.message).toMatch(
      /^the gateway is up \(health 200 OK\), but GET .*\/down\/system answered 502 Bad Gateway, while the upstream at http:\/\/127\.0\.0\.1:\d+ answers 401 Unauthorized from here: the gateway is probably pointed at another address \(RACK_HOST/,
    )
    expect(o.items?.map((i) => `${i.label}:${i.status}`)).toEqual([
      'gateway health:pass',
      'forwarded call:fail',
      'upstream, directly:pass',
    ])
  })

  it('502 and the upstream unreachable from here too: convox-api-unreachable', async () => {
    const o = await check({health: '/health', upstreamProbe: '/down/system', upstreamUrl: closedUrl})
    expect(o.cause?.kb).toBe('upstream-bad-gateway#convox-api-unreachable')
    expect(o.message).toMatch(
      /does not answer from here either \(connection refused by 127\.0\.0\.1:\d+\): the upstream API is down or unreachable$/,
    )
  })

  it('502 whose body says invalid authentication: rack-token-invalid, and the body shown without the token', async () => {
    const o = await check({health: '/health', upstreamProbe: '/token/system', upstreamUrl: upstream.url})
    expect(o.cause?.kb).toBe('upstream-bad-gateway#rack-token-invalid')
    expect(o.message).toMatch(/invalid authentication .*: the upstream refuses the gateway's own credential$/)
  })

  it('504 without upstreamUrl: the entry, asking for gateway.upstreamUrl', async () => {
    const o = await check({health: '/health', upstreamProbe: '/timeout/system'})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('upstream-bad-gateway')
    expect(o.message).toMatch(
      /answered 504 Gateway Timeout: the gateway's call to its upstream fails\. Set gateway\.upstreamUrl/,
    )
  })
})

describe('upstream-proxy: not an upstream problem', () => {
  it("the gateway's own health fails: says so and points at service-not-ready, no upstream cause", async () => {
    const o = await check({health: '/health-down', upstreamProbe: '/down/system', upstreamUrl: upstream.url})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBeUndefined()
    expect(o.message).toMatch(
      /^the gateway itself is not healthy \(.*\/health-down answered 503 Service Unavailable\), so this is not an upstream failure: see `doctor explain service-not-ready`/,
    )
  })

  it('the health path refused while forwarded calls work: healthz-blocked warning', async () => {
    const o = await check({health: '/health-blocked', upstreamProbe: '/ok/system'})
    expect(o.status).toBe('warn')
    expect(o.cause?.kb).toBe('upstream-platform-cannot-reach#healthz-blocked')
    expect(o.message).toMatch(
      /forwarded calls work .*, but the health path is refused: .*\/health-blocked answered 403 Forbidden/,
    )
  })

  it("the gateway refuses the probe's credential: error naming gateway.headers", async () => {
    const ctx = makeContext({target: {baseUrl: gateway.url}, gateway: {upstreamProbe: '/ok/system'}})
    try {
      const o = await runCheck(upstreamProxy, ctx)
      expect(o.status).toBe('error')
      expect(o.message).toMatch(/cannot tell whether the upstream works: GET .* answered 401 Unauthorized/)
      expect(o.evidence?.notes?.[0]).toMatch(/gateway\.headers/)
    } finally {
      await ctx.close()
    }
  })

  it('a redirect: error, not a verdict', async () => {
    const o = await check({upstreamProbe: '/redirect/system'})
    expect(o.status).toBe('error')
    expect(o.evidence?.notes?.[0]).toMatch(/redirects/)
  })

  it('the gateway does not answer at all: error, not an upstream verdict', async () => {
    const o = await check({upstreamProbe: `${closedUrl}/system`})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(/could not reach the gateway .*connection refused.*That is not an upstream failure/)
  })

  it('no gateway section: skipped', async () => {
    expect((await check(undefined)).status).toBe('skip')
  })

  it('sends only GET requests', () => {
    expect([...methods]).toEqual(['GET'])
  })
})
