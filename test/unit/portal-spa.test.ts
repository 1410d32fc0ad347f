import type {FilledOutcome} from '../../src/kb/cause.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import portalSpa from '../../checks/portal-spa.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/** A loopback api-test-like binary: one portal per prefix (built, banner, broken assets, not served). */
const CANARY = 'atk_canary-portal-spa-2c9d41'
let app: TestServer
const methods = new Set<string>()
const page = (prefix: string) =>
  `<!doctype html><html><head><title>api-test portal</title><script type="module" src="${prefix}/assets/index-1a2b.js"></script><link rel="stylesheet" href="${prefix}/assets/index-3c4d.css"><script src="https://cdn.example.com/x.js"></script></head><body><div id="root"></div></body></html>`

beforeAll(async () => {
  app = await startServer((req, res) => {
    methods.add(req.method ?? '')
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/built/portal/') return send(res, 200, page('/built/portal'), 'text/html; charset=utf-8')
    if (path === '/built/portal/assets/index-1a2b.js') return send(res, 200, 'console.log(1)', 'text/javascript')
    if (path === '/built/portal/assets/index-3c4d.css') return send(res, 200, 'body{}', 'text/css')
    if (path === '/banner/portal/')
      return send(res, 200, {status: 'banner', message: `ui not embedded (${String(req.headers['x-api-key'])})`})
    if (path === '/broken/portal/') return send(res, 200, page('/broken/portal'), 'text/html')
    if (path === '/broken/portal/assets/index-1a2b.js')
      return send(res, 200, '<!doctype html><html></html>', 'text/html')
    if (path === '/redirect/portal') {
      res.writeHead(301, {location: '/redirect/portal/'})
      return res.end()
    }
    send(res, 404, {error: 'not found'})
  })
})
afterAll(() => app.close())

async function check(portal: Record<string, unknown> | undefined): Promise<FilledOutcome> {
  const ctx = makeContext({
    target: {baseUrl: app.url},
    ...(portal ? {portal: {headers: {'X-API-Key': CANARY}, ...portal}} : {}),
  })
  try {
    const outcome = await runCheck(portalSpa, ctx)
    expect(JSON.stringify(outcome)).not.toContain(CANARY)
    return outcome
  } finally {
    await ctx.close()
  }
}

describe('portal-spa', () => {
  it('HTML whose scripts and stylesheets load: pass, other origins left alone', async () => {
    const o = await check({path: '/built/portal/'})
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toMatch(/\/built\/portal\/ serves HTML \("api-test portal"\) and its 2 assets load$/)
    expect(o.items?.map((i) => i.label)).toEqual([
      '/built/portal/assets/index-1a2b.js',
      '/built/portal/assets/index-3c4d.css',
    ])
  })

  it('assets: false looks at the page only', async () => {
    const o = await check({path: '/broken/portal/', assets: false})
    expect(o.status).toBe('pass')
    expect(o.items).toBeUndefined()
  })

  it('the JSON banner: fail, pointing at the entry, with the body quoted and the echoed key redacted', async () => {
    const o = await check({path: '/banner/portal/'})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('portal-serves-json-banner')
    expect(o.message).toMatch(
      /\/banner\/portal\/ answers the fallback JSON banner \(application\/json: \{"status":"banner".*\) instead of the web UI/,
    )
    expect(o.cause?.fix.join(' ')).toMatch(/make ui.*make build/)
    // The text is the KB entry's, with this deployment's URL filled in.
    expect(o.cause?.vars).toEqual({url: expect.stringMatching(/\/banner\/portal\/$/)})
    expect(o.cause?.summary).toMatch(/^The binary answering at http:.*\/banner\/portal\/ has no UI bundle embedded/)
  })

  it('a script that 404s and one answered by the HTML fallback: warning naming both', async () => {
    const o = await check({path: '/broken/portal/'})
    expect(o.status).toBe('warn')
    expect(o.cause?.kb).toBe('portal-serves-json-banner#assets-missing')
    expect(o.cause?.summary).toMatch(/^The portal page at http:\/\/127\.0\.0\.1:\d+\/broken\/portal\/ loads, but scripts/)
    expect(o.cause?.verify.join(' ')).toMatch(/curl -s 'http:\/\/127\.0\.0\.1:\d+\/broken\/portal\/'/)
    expect(o.message).toMatch(
      /but 2 of its 2 assets fail \(\/broken\/portal\/assets\/index-1a2b\.js: 200 OK \(text\/html\); \/broken\/portal\/assets\/index-3c4d\.css: 404 Not Found\)/,
    )
  })

  it('a redirect or 404: error that names portal.path, not a verdict', async () => {
    const redirect = await check({path: '/redirect/portal'})
    expect(redirect.status).toBe('error')
    expect(redirect.evidence?.notes?.[0]).toMatch(
      /redirects to \/redirect\/portal\/: point portal\.path at the final URL/,
    )
    const missing = await check({path: '/nothing/'})
    expect(missing.status).toBe('error')
  })

  it('the default path is /portal/', async () => {
    const o = await check({})
    expect(o.status).toBe('error')
    expect(o.message).toContain(`${app.url}/portal/ answered 404`)
  })

  it('no portal section: skipped', async () => {
    expect((await check(undefined)).status).toBe('skip')
  })

  it('sends only GET requests', () => {
    expect([...methods]).toEqual(['GET'])
  })
})
