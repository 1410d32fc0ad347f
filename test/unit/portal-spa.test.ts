import {http, HttpResponse} from 'msw'
import {describe, expect, it} from 'vitest'
import portalSpa from '../../checks/portal-spa.js'
import {type CheckCase, runCase, testCheck} from '../helpers/check-tester.js'

/** An api-test-like binary as msw handlers: one portal per prefix (built, banner, broken assets, not served). */
const KEY = 'atk_canary-portal-spa-2c9d41'
const page = (prefix: string) =>
  `<!doctype html><html><head><title>api-test portal</title><script type="module" src="${prefix}/assets/index-1a2b.js"></script><link rel="stylesheet" href="${prefix}/assets/index-3c4d.css"><script src="https://cdn.example.com/x.js"></script></head><body><div id="root"></div></body></html>`
const html = (body: string) => new HttpResponse(body, {headers: {'content-type': 'text/html; charset=utf-8'}})
const methods = new Set<string>()

const handlers = [
  http.all('*', ({request}) => void methods.add(request.method)),
  http.get('*/built/portal/', () => html(page('/built/portal'))),
  http.get(
    '*/built/portal/assets/index-1a2b.js',
    () => new HttpResponse('console.log(1)', {headers: {'content-type': 'text/javascript'}}),
  ),
  http.get(
    '*/built/portal/assets/index-3c4d.css',
    () => new HttpResponse('body{}', {headers: {'content-type': 'text/css'}}),
  ),
  // The banner echoes the API key it was sent: the check must not repeat it.
  http.get('*/banner/portal/', ({request}) =>
    HttpResponse.json({status: 'banner', message: `ui not embedded (${request.headers.get('x-api-key')})`}),
  ),
  http.get('*/broken/portal/', () => html(page('/broken/portal'))),
  http.get(
    '*/broken/portal/assets/index-1a2b.js',
    () => new HttpResponse('<!doctype html><html></html>', {headers: {'content-type': 'text/html'}}),
  ),
  http.get('*/redirect/portal', () => new HttpResponse(null, {status: 301, headers: {location: '/redirect/portal/'}})),
  http.get('*', () => HttpResponse.json({error: 'not found'}, {status: 404})),
]
const config = (portal?: Record<string, unknown>) => (base: string) => ({
  target: {baseUrl: base},
  ...(portal ? {portal: {headers: {'X-API-Key': KEY}, ...portal}} : {}),
})
const at = (path: string): CheckCase['config'] => config({path})

testCheck(portalSpa, [
  {
    name: 'HTML whose scripts and stylesheets load: pass, other origins left alone',
    handlers,
    config: at('/built/portal/'),
    expect: {
      status: 'pass',
      kb: null,
      message: /\/built\/portal\/ serves HTML \("api-test portal"\) and its 2 assets load$/,
    },
  },
  {
    name: 'assets: false looks at the page only',
    handlers,
    config: config({path: '/broken/portal/', assets: false}),
    expect: {status: 'pass'},
  },
  {
    name: "the JSON banner: fail, the entry's undetermined text with this URL, the echoed key redacted",
    handlers,
    config: at('/banner/portal/'),
    expect: {
      status: 'fail',
      kb: 'portal-serves-json-banner',
      message:
        /\/banner\/portal\/ answers the fallback JSON banner \(application\/json: \{"status":"banner".*\) instead of the web UI/,
      vars: {url: /\/banner\/portal\/$/},
      summary: /^The binary answering at http:.*\/banner\/portal\/ has no UI bundle embedded/,
    },
  },
  {
    name: 'a script answered by the HTML fallback and a stylesheet that 404s: warning naming both, the assets-missing cause',
    handlers,
    config: at('/broken/portal/'),
    expect: {
      status: 'warn',
      kb: 'portal-serves-json-banner#assets-missing',
      message:
        /but 2 of its 2 assets fail \(\/broken\/portal\/assets\/index-1a2b\.js: 200 OK \(text\/html\); \/broken\/portal\/assets\/index-3c4d\.css: 404 Not Found\)/,
      summary: /^The portal page at http:\/\/127\.0\.0\.1:\d+\/broken\/portal\/ loads, but scripts/,
    },
  },
  {
    name: 'a redirect: error, not a verdict',
    handlers,
    config: at('/redirect/portal'),
    expect: {status: 'error', kb: null},
  },
  {name: 'nothing served there: error', handlers, config: at('/nothing/'), expect: {status: 'error', kb: null}},
  {
    name: 'the default path is /portal/',
    handlers,
    config: config({}),
    expect: {status: 'error', message: /\/portal\/ answered 404/},
  },
  {name: 'no portal section: skipped', handlers, config: config(), expect: {status: 'skip'}},
])

describe('portal-spa details', () => {
  it('names the assets it loaded, and a redirect says where portal.path should point', async () => {
    const built = await runCase(portalSpa, {
      name: 'built',
      handlers,
      config: at('/built/portal/'),
      expect: {status: 'pass'},
    })
    expect(built.outcome.items?.map((i) => i.label)).toEqual([
      '/built/portal/assets/index-1a2b.js',
      '/built/portal/assets/index-3c4d.css',
    ])
    expect(built.requests.some((r) => r.includes('cdn.example.com'))).toBe(false)
    const redirect = await runCase(portalSpa, {
      name: 'redirect',
      handlers,
      config: at('/redirect/portal'),
      expect: {status: 'error'},
    })
    expect(redirect.outcome.evidence?.notes?.[0]).toMatch(
      /redirects to \/redirect\/portal\/: point portal\.path at the final URL/,
    )
    expect(JSON.stringify([built.outcome, redirect.outcome])).not.toContain(KEY)
  })

  it('sends only GET requests', () => {
    expect([...methods]).toEqual(['GET'])
  })
})
