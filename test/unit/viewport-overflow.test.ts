import type {FilledOutcome} from '../../src/kb/cause.js'
import {existsSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import viewportOverflow from '../../checks/viewport-overflow.js'
import {browserAvailable, chromiumPath} from '../helpers/browser.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {startServer, type TestServer} from '../helpers/servers.js'

/** Pages served on loopback, each with one classic mobile layout bug, and clean ones. */
const META = '<meta name="viewport" content="width=device-width, initial-scale=1">'
const doc = (body: string, head = META) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}<title>t</title><style>body{margin:8px;font:16px sans-serif}</style></head><body>${body}</body></html>`
const cells = Array.from({length: 8}, (_, i) => `<td>column-value-${i}</td>`).join('')
const PAGES: Record<string, string> = {
  '/clean': doc(
    '<h1>Docs</h1><p>Short text that wraps normally on any phone screen.</p><div style="overflow-x:auto"><table><tr>' +
      cells +
      '</tr></table></div><pre style="overflow-x:auto">kubectl get deployments -n production -l app.kubernetes.io/name=checkout</pre>',
  ),
  '/wide-table': doc(
    `<h1>Evidence</h1><main class="content"><section><table id="evidence"><tr>${cells}</tr></table></section></main>`,
  ),
  '/long-id': doc('<p id="passport">Passport rp_01HZX3K9Q7W2M8N4B6V5C1D0E9F8G7H6J5K4L3M2N1P0</p>'),
  '/pre': doc(
    '<pre id="cmd">curl -sS -H "Authorization: Bearer $TOKEN" https://release-passport.example.com/releasepassport/v1/passports?service=checkout</pre>',
  ),
  '/fixed': doc('<div class="card" style="width:600px">A card with a fixed width</div>'),
  '/vw': doc(
    '<style>.hero{width:100vw;margin-left:20px;height:40px;background:#eee}</style><div class="hero">hero</div>',
  ),
  '/hidden': doc(
    '<style>body{overflow-x:hidden}</style><div id="banner" style="width:700px">a banner cut off on phones</div>',
  ),
  '/only-320': doc('<div id="toolbar" style="width:360px;height:30px;background:#ddd">toolbar</div>'),
  '/no-meta': doc('<p>No viewport tag here.</p>', ''),
}

let server: TestServer
beforeAll(async () => {
  server = await startServer((req, res) => {
    const html = PAGES[(req.url ?? '/').split('?')[0]]
    res.writeHead(html ? 200 : 404, {'content-type': 'text/html; charset=utf-8'})
    res.end(html ?? 'not found')
  })
})
afterAll(() => server.close())

async function run(pages: string[], extra: Record<string, unknown> = {}): Promise<FilledOutcome> {
  const ctx = makeContext(
    {target: {baseUrl: server.url}, mobile: {pages, ...extra}},
    {},
    {PATH: process.env.PATH, ...(process.env.CHROMIUM_PATH ? {CHROMIUM_PATH: process.env.CHROMIUM_PATH} : {})},
  )
  try {
    return await runCheck(viewportOverflow, ctx)
  } finally {
    await ctx.close()
  }
}

describe.skipIf(!browserAvailable())('viewport-overflow in real Chromium', () => {
  it('finds the browser (CI installs Debian chromium)', () => {
    expect(chromiumPath(), 'Chromium is required with CI=true').toBeDefined()
  })

  it('clean pages, tables and code in scrolling wrappers: pass at 390 and 320, no false alarm', async () => {
    const o = await run(['/clean'])
    expect(o.status, o.message).toBe('pass')
    expect(o.items?.map((i) => i.label)).toEqual(['/clean @390x844', '/clean @320x640'])
  })

  const cases: Array<[string, string, RegExp]> = [
    [
      '/wide-table',
      'mobile-horizontal-overflow#wide-table-or-code-block',
      /table#evidence \(\d+px, .*a table wider than the screen/,
    ],
    ['/long-id', 'mobile-horizontal-overflow#long-unbroken-identifier', /p#passport .*unbroken \d+-character word/],
    [
      '/pre',
      'mobile-horizontal-overflow#wide-table-or-code-block',
      /pre#cmd .*pre\/code block without overflow-x: auto/,
    ],
    ['/fixed', 'mobile-horizontal-overflow#fixed-width-or-100vw', /div\.card \(600px.*fixed width of 600px/],
    ['/vw', 'mobile-horizontal-overflow#fixed-width-or-100vw', /div\.hero .*width in vw/],
    [
      '/hidden',
      'mobile-horizontal-overflow#overflow-hidden-masks-it',
      /overflow-x: hidden on body hides a \d+px-wide layout .*div#banner/,
    ],
    ['/no-meta', 'mobile-horizontal-overflow#meta-viewport-missing', /no <meta name="viewport">/],
  ]
  for (const [path, kb, message] of cases) {
    it(`${path}: ${kb.split('#')[1]}`, async () => {
      const o = await run([path])
      expect(o.status, o.message).toBe('fail')
      expect(o.cause?.kb).toBe(kb)
      expect(o.message).toMatch(message)
      const shots = (o.evidence?.observed as {screenshots: string[]}).screenshots
      expect(shots.length).toBeGreaterThan(0)
      expect(existsSync(shots[0])).toBe(true)
    })
  }

  it('a page that overflows only at 320 px (the WCAG reflow width) is caught there and passes at 390', async () => {
    const o = await run(['/only-320'])
    expect(o.status).toBe('fail')
    expect(o.message).toMatch(
      /^\/only-320 @320x640: the page is \d+px wide in a 320px screen; sticking out: div#toolbar/,
    )
    expect(o.items?.find((i) => i.label === '/only-320 @390x844')?.status).toBe('pass')
  })

  it('ten pages in one browser: each page measured and timed (the time per page is in npm run bench)', async () => {
    const o = await run(
      Array.from({length: 10}, () => '/clean'),
      {viewports: [{width: 390, height: 844}]},
    )
    expect(o.status).toBe('pass')
    expect((o.evidence?.observed as {timings: string[]}).timings).toHaveLength(10)
  })
})

describe('viewport-overflow without a browser', () => {
  it('skips with the install command instead of crashing', async () => {
    const o = await run(['/clean'], {browser: '/nonexistent/chromium'})
    expect(o.status).toBe('skip')
    expect(o.message).toMatch(/apt-get install -y chromium/)
  })
})
