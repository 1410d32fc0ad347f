import {existsSync, mkdirSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import type {DoctorConfig} from '../src/config/schema.js'
import {looksRandom} from '../src/redact/shapes.js'
import {
  type CheckContext,
  concluded,
  defineCheck,
  type Finding,
  type Item,
  leading,
  pass,
  skip,
  worst,
} from '../src/engine/check.js'
import type {Offender, OverflowMeasure} from '../src/mobile/overflow.js'

const E = 'mobile-horizontal-overflow'
const DEFAULT_VIEWPORTS = [
  {width: 390, height: 844},
  {width: 320, height: 640},
]
const CAUSE: Record<Offender['reason'], string> = {
  table: 'wide-table-or-code-block',
  'pre-code': 'wide-table-or-code-block',
  'long-word': 'long-unbroken-identifier',
  'fixed-width': 'fixed-width-or-100vw',
  '100vw': 'fixed-width-or-100vw',
  nowrap: 'white-space-nowrap',
  media: 'media-without-max-width',
  other: 'fixed-width-or-100vw',
}
const FIX: Record<string, string> = {
  'wide-table-or-code-block':
    'Wrap tables and code blocks in a container with `overflow-x: auto` (and `max-width: 100%`), so they scroll inside the page instead of widening it.',
  'long-unbroken-identifier':
    'Let long identifiers break: `overflow-wrap: anywhere` (or `word-break: break-all`) on the element, or shorten them with a copy button.',
  'fixed-width-or-100vw':
    'Replace fixed pixel widths and `100vw` with `max-width: 100%` / `width: 100%` of the parent.',
  'white-space-nowrap':
    'Allow wrapping (`white-space: normal`), or put the one-line element in an `overflow-x: auto` container.',
  'media-without-max-width': 'Give images, videos, iframes and SVGs `max-width: 100%; height: auto`.',
  'overflow-hidden-masks-it':
    'Remove `overflow-x: hidden` from html/body and fix the element that overflows; hiding it only cuts the content off.',
  'meta-viewport-missing':
    'Add `<meta name="viewport" content="width=device-width, initial-scale=1">` to the page\'s head.',
}

type Page = NonNullable<DoctorConfig['mobile']>['pages'][number]

export default defineCheck({
  meta: {
    id: 'viewport-overflow',
    title: 'Pages fit a phone screen without horizontal scrolling',
    failureTitle: 'A page scrolls sideways (or is cut off) on a phone',
    area: 'mobile',
    slow: true,
    // Starting Chromium and loading each page at two widths takes seconds on a busy machine.
    timeoutMs: 45_000,
    description:
      'Opens each configured page in headless Chromium (the system browser, through playwright-core) with a mobile context at 390x844 and 320x640 (the WCAG reflow width), after load and web fonts; measures documentElement.scrollWidth against clientWidth, names the elements that stick out (CSS path, width, the likely reason: table, pre/code block, long unbroken word, fixed width, 100vw, nowrap, media without max-width), flags overflow hidden by overflow-x: hidden and a missing or wrong meta viewport, and saves a screenshot of each failing page.',
    needs: ['mobile.pages'],
    kb: Object.keys(FIX).map((c) => `${E}#${c}`),
  },
  async run(ctx) {
    const mobile = ctx.config.mobile!
    const executablePath = findChromium(mobile.browser, ctx.facts.env)
    if (!executablePath) {
      return skip(
        'no Chromium found: install it (Debian/Ubuntu: `apt-get install -y chromium`; macOS: `brew install --cask chromium`) or point mobile.browser / CHROMIUM_PATH at a Chrome or Chromium binary',
      )
    }
    const {chromium} = await import('playwright-core')
    const started = performance.now()
    // One browser per run, flags for servers and containers (often root, small /dev/shm, no GPU).
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
      timeout: 30_000,
    })
    const onAbort = () => void browser.close().catch(() => {})
    ctx.signal.addEventListener('abort', onAbort, {once: true})
    const items: Item[] = []
    const findings: Finding[] = []
    const shots: string[] = []
    const timings: string[] = []
    let screenshotDir: string | undefined
    try {
      for (const page of mobile.pages) {
        const {url, label, cookie} = pageOf(ctx, page)
        for (const vp of mobile.viewports ?? DEFAULT_VIEWPORTS) {
          const t0 = performance.now()
          const context = await browser.newContext({
            viewport: vp,
            deviceScaleFactor: 3,
            isMobile: true,
            hasTouch: true,
            ...(cookie ? {extraHTTPHeaders: {cookie}} : {}),
          })
          try {
            const tab = await context.newPage()
            let status: number | undefined
            try {
              const response = await tab.goto(url, {waitUntil: 'load', timeout: 15_000})
              status = response?.status()
              await tab
                .evaluate(() =>
                  (document as unknown as {fonts: {ready: Promise<unknown>}}).fonts.ready.then(() => true),
                )
                .catch(() => false)
            } catch (error) {
              items.push({
                label: `${label} @${vp.width}x${vp.height}`,
                status: 'error',
                message: `could not load ${url}: ${(error as Error).message.split('\n')[0]}`,
              })
              continue
            }
            const {measureOverflow} = await import('../src/mobile/overflow.js')
            // What the page says is redacted as it arrives; only then is a long word shortened for display.
            const m = ctx.facts.http.redactor.redactDeep((await tab.evaluate(measureOverflow)) as OverflowMeasure)
            for (const o of m.offenders) {
              // Prose shows its start; a run that reads like a token or was redacted is only described.
              const word = o.word ?? ''
              o.detail = o.detail.replace(
                '{word}',
                word.includes('‹') || looksRandom(word)
                  ? 'random-looking, not shown'
                  : `${[...word].slice(0, 16).join('')}…`,
              )
              delete o.word
            }
            const where = `${label} @${vp.width}x${vp.height}`
            const problems = judge(m, where)
            if (status !== undefined && status >= 400)
              items.push({
                label: where,
                status: 'warn',
                message: `answered HTTP ${status}; the layout measured is that page's`,
              })
            if (problems.length === 0)
              items.push({
                label: where,
                status: 'pass',
                message: `fits: content ${m.contentWidth}px within ${m.clientWidth}px`,
              })
            else {
              screenshotDir ??= mobile.screenshots ?? mkdtempSync(join(tmpdir(), 'doctor-screenshots-'))
              mkdirSync(screenshotDir, {recursive: true})
              const file = join(screenshotDir, `${label.replace(/[^\w.-]+/g, '_')}-${vp.width}x${vp.height}.png`)
              await tab.screenshot({path: file, fullPage: false}).catch(() => undefined)
              if (existsSync(file)) shots.push(file)
              items.push({
                label: where,
                status: worst(problems.map((p) => p.status)),
                message: problems.map((p) => p.message.replace(`${where}: `, '')).join('; '),
              })
              findings.push(...problems)
            }
          } finally {
            await context.close().catch(() => {})
            timings.push(`${label} @${vp.width}: ${Math.round(performance.now() - t0)} ms`)
          }
        }
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort)
      await browser.close().catch(() => {})
    }
    const evidence = {
      observed: {
        screenshots: shots,
        timings,
        browser: executablePath,
        totalMs: Math.round(performance.now() - started),
      },
      notes: shots.length ? [`Screenshots of the failing pages: ${shots.join(', ')}`] : [],
    }
    const pages = mobile.pages.length
    if (findings.length === 0) {
      const errors = items.filter((i) => i.status === 'error')
      if (errors.length === items.length && errors.length > 0)
        return {status: 'error', message: errors.map((i) => `${i.label}: ${i.message}`).join('; '), evidence, items}
      return pass(
        `${pages} page(s) fit ${(mobile.viewports ?? DEFAULT_VIEWPORTS).map((v) => `${v.width}x${v.height}`).join(' and ')} without horizontal scrolling`,
        {evidence, items},
      )
    }
    const top = leading(findings)
    const notes = [...evidence.notes, ...findings.filter((f) => f !== top).map((f) => `also: ${f.message}`)]
    const verify = [
      '`doctor run viewport-overflow` passes at every configured width.',
      "In Chrome DevTools' device mode at 320 and 390 px wide, the page does not scroll sideways and nothing is cut off.",
    ]
    return concluded(top, top.message, verify, {evidence: {...evidence, notes}, items})
  },
})

function judge(m: OverflowMeasure, where: string): Finding[] {
  const out: Finding[] = []
  const meta = m.viewportMeta
  if (meta === undefined)
    out.push({
      status: 'fail',
      kb: `${E}#meta-viewport-missing`,
      message: `${where}: no <meta name="viewport">, so phones lay the page out at desktop width and shrink it`,
      fix: [FIX['meta-viewport-missing']],
    })
  else if (!/width\s*=\s*device-width/i.test(meta))
    out.push({
      status: 'warn',
      kb: `${E}#meta-viewport-missing`,
      message: `${where}: <meta name="viewport" content="${meta}"> does not set width=device-width`,
      fix: [FIX['meta-viewport-missing']],
    })
  if (!m.overflow) return out
  const list = m.offenders.map((o) => `${o.path} (${o.width}px, right edge at ${o.right}px: ${o.detail})`).join('; ')
  if (m.hiddenBy) {
    out.push({
      status: 'fail',
      kb: `${E}#overflow-hidden-masks-it`,
      message: `${where}: overflow-x: hidden on ${m.hiddenBy} hides a ${m.contentWidth}px-wide layout in a ${m.clientWidth}px screen; content past the edge is cut off${list ? `: ${list}` : ''}`,
      fix: [FIX['overflow-hidden-masks-it']],
    })
    return out
  }
  const first = m.offenders[0]
  const kb = `${E}#${first ? CAUSE[first.reason] : 'fixed-width-or-100vw'}`
  out.unshift({
    status: 'fail',
    kb,
    message: `${where}: the page is ${m.scrollWidth}px wide in a ${m.clientWidth}px screen${list ? `; sticking out: ${list}` : ''}`,
    fix: [FIX[kb.split('#')[1]]],
  })
  return out
}

function pageOf(ctx: CheckContext, page: Page): {url: string; label: string; cookie?: string} {
  const raw = typeof page === 'string' ? page : page.url
  const url = ctx.facts.resolveUrl(raw)
  const label = typeof page === 'string' ? new URL(url).pathname : (page.name ?? new URL(url).pathname)
  let cookie: string | undefined
  if (typeof page !== 'string' && page.cookieEnv) {
    cookie = ctx.facts.env[page.cookieEnv]
    if (cookie)
      ctx.facts.http.redactor.addSecret(cookie, 'cookie', `env var ${page.cookieEnv} (mobile.pages[].cookieEnv)`)
  }
  return {url, label, ...(cookie ? {cookie} : {})}
}

/** mobile.browser, $CHROMIUM_PATH, then chromium / chromium-browser / google-chrome on PATH. */
export function findChromium(configured: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (configured) return existsSync(configured) ? configured : undefined
  if (env.CHROMIUM_PATH && existsSync(env.CHROMIUM_PATH)) return env.CHROMIUM_PATH
  const dirs = (env.PATH ?? process.env.PATH ?? '').split(delimiter).filter(Boolean)
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    for (const dir of [...dirs, '/usr/bin']) {
      const candidate = join(dir, name)
      if (existsSync(candidate)) return candidate
    }
  }
  return undefined
}
