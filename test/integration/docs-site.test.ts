/// <reference lib="dom" />
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, relative, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import type {Browser, Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {openKnowledgeBase, searchIndex} from '../../src/kb/kb.js'
import {search} from '../../src/kb/search.js'
import {browserAvailable, launchChromium} from '../helpers/browser.js'
import {runCli} from '../helpers/cli.js'

const kb = openKnowledgeBase()
const work = mkdtempSync(join(tmpdir(), 'doctor-docs-'))
const htmlDir = join(work, 'html')
const mdDir = join(work, 'md')

function files(dir: string, ext: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...files(p, ext))
    else if (p.endsWith(ext)) out.push(p)
  }
  return out.sort()
}

beforeAll(async () => {
  const html = await runCli(['docs', 'build', '--out', htmlDir])
  expect(html.stderr).toBe('')
  expect(html.code).toBe(0)
  const md = await runCli(['docs', 'build', '--out', mdDir, '--format', 'markdown', '--json'])
  expect(md.code).toBe(0)
  expect(JSON.parse(md.stdout).entries).toBe(kb.entries.length)
}, 60_000)

afterAll(() => rmSync(work, {recursive: true, force: true}))

describe('doctor docs build', () => {
  it('writes an index, one page per entry, product and check, in both formats', () => {
    for (const [dir, ext] of [
      [htmlDir, '.html'],
      [mdDir, '.md'],
    ] as const) {
      const pages = files(dir, ext).map((f) => relative(dir, f))
      expect(pages).toContain(`index${ext}`)
      for (const e of kb.entries) expect(pages).toContain(`entries/${e.id}${ext}`)
      for (const p of kb.products) expect(pages).toContain(`products/${p.id}${ext}`)
      expect(pages.filter((p) => p.startsWith('checks/')).length).toBeGreaterThanOrEqual(2)
    }
  })

  it('has no broken internal links or anchors (HTML)', () => {
    const broken: string[] = []
    const ids = new Map<string, Set<string>>()
    const idsOf = (file: string) => {
      if (!ids.has(file))
        ids.set(file, new Set([...readFileSync(file, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])))
      return ids.get(file)!
    }
    let checked = 0
    for (const file of files(htmlDir, '.html')) {
      const html = readFileSync(file, 'utf8')
      for (const [, link] of html.matchAll(/(?:href|src)="([^"]+)"/g)) {
        if (/^[a-z]+:/i.test(link)) continue
        checked++
        const [path, fragment] = link.split('#')
        const target = path === '' ? file : resolve(dirname(file), path)
        if (!statSync(target, {throwIfNoEntry: false}))
          broken.push(`${relative(htmlDir, file)} → ${link} (no such file)`)
        else if (fragment && target.endsWith('.html') && !idsOf(target).has(fragment))
          broken.push(`${relative(htmlDir, file)} → ${link} (no id "${fragment}")`)
      }
    }
    expect(broken).toEqual([])
    expect(checked).toBeGreaterThan(500)
  })

  it('has no broken internal links or anchors (Markdown)', () => {
    const broken: string[] = []
    for (const file of files(mdDir, '.md')) {
      const md = readFileSync(file, 'utf8')
      for (const [, link] of md.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(link)) continue
        const [path, fragment] = link.split('#')
        const target = path === '' ? file : resolve(dirname(file), path)
        if (!statSync(target, {throwIfNoEntry: false})) broken.push(`${relative(mdDir, file)} → ${link}`)
        else if (fragment && !readFileSync(target, 'utf8').includes(`<a id="${fragment}"></a>`))
          broken.push(`${relative(mdDir, file)} → ${link} (no anchor)`)
      }
    }
    expect(broken).toEqual([])
  })

  it("tells each product page how to start: the doctor init command with that product's profile", () => {
    for (const p of kb.products) {
      const html = readFileSync(join(htmlDir, 'products', `${p.id}.html`), 'utf8')
      expect(html).toContain(`<h2 id="start">Start here</h2>`)
      expect(html).toContain(
        `<pre><code>doctor init --profile ${p.id} --base-url https://your-host\ndoctor all</code></pre>`,
      )
      const md = readFileSync(join(mdDir, 'products', `${p.id}.md`), 'utf8')
      expect(md).toMatch(
        new RegExp(
          `## Start here\\n[\\s\\S]*doctor init --profile ${p.id} --base-url https://your-host\\ndoctor all\\n`,
        ),
      )
      expect(readFileSync(new URL(`../../kb/profiles/${p.id}.yaml`, import.meta.url), 'utf8')).toContain(`id: ${p.id}`)
    }
  })

  it('inlines the search index safely (no raw "<" inside the script element)', () => {
    const index = readFileSync(join(htmlDir, 'index.html'), 'utf8')
    const json = /<script id="kb-index" type="application\/json">([\s\S]*?)<\/script>/.exec(index)![1]
    expect(json).not.toContain('<')
    expect(JSON.parse(json).docs.length).toBe(kb.entries.length)
  })

  it('refuses to overwrite a folder it did not write (exit 2), and replaces its own output', async () => {
    const foreign = mkdtempSync(join(tmpdir(), 'doctor-foreign-'))
    writeFileSync(join(foreign, 'keep.txt'), 'mine')
    const refused = await runCli(['docs', 'build', '--out', foreign])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/not empty and was not written by `doctor docs build`/)
    expect(readFileSync(join(foreign, 'keep.txt'), 'utf8')).toBe('mine')
    const again = await runCli(['docs', 'build', '--out', mdDir, '--format', 'markdown'])
    expect(again.code).toBe(0)
    rmSync(foreign, {recursive: true, force: true})
  })
})

describe.skipIf(!browserAvailable())('docs site in headless Chromium', () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchChromium()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })

  /** Horizontal overflow as the mobile check defines it, plus the elements that stick out. */
  async function overflow(page: Page): Promise<{scrollWidth: number; clientWidth: number; offenders: string[]}> {
    return page.evaluate(() => {
      const root = document.documentElement
      const offenders: string[] = []
      for (const el of Array.from(document.body.querySelectorAll('*'))) {
        const r = el.getBoundingClientRect()
        if (r.right > root.clientWidth + 1 && offenders.length < 5)
          offenders.push(
            `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''} right=${Math.round(r.right)}`,
          )
      }
      return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, offenders}
    })
  }

  for (const viewport of [
    {width: 390, height: 844},
    {width: 320, height: 640},
  ]) {
    it(`no page scrolls horizontally at ${viewport.width}x${viewport.height}`, async () => {
      const context = await browser.newContext({viewport, deviceScaleFactor: 3, isMobile: true, hasTouch: true})
      const page = await context.newPage()
      const pages = files(htmlDir, '.html')
      const failures: string[] = []
      for (const file of pages) {
        await page.goto(pathToFileURL(file).href, {waitUntil: 'load', timeout: 15_000})
        const m = await overflow(page)
        if (m.scrollWidth > m.clientWidth + 1)
          failures.push(
            `${relative(htmlDir, file)}: scrollWidth ${m.scrollWidth} > clientWidth ${m.clientWidth} (${m.offenders.join(', ')})`,
          )
      }
      await context.close()
      expect(failures).toEqual([])
      expect(pages.length).toBeGreaterThan(60)
    }, 120_000)
  }

  it('the overflow measurement does catch a page that overflows (control)', async () => {
    const context = await browser.newContext({
      viewport: {width: 320, height: 640},
      isMobile: true,
      deviceScaleFactor: 3,
    })
    const page = await context.newPage()
    await page.setContent(
      '<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1"><body><table><tr><td>averyveryveryveryverylongunbreakableidentifier_averyveryveryveryverylongunbreakableidentifier</td></tr></table></body>',
    )
    const m = await overflow(page)
    await context.close()
    expect(m.scrollWidth).toBeGreaterThan(m.clientWidth + 1)
  })

  it('searches in the browser with the same ranking as doctor explain', async () => {
    const context = await browser.newContext({viewport: {width: 390, height: 844}, isMobile: true})
    const page = await context.newPage()
    await page.goto(pathToFileURL(join(htmlDir, 'index.html')).href)
    const index = searchIndex(kb)
    for (const query of [
      'Error 400: redirect_uri_mismatch',
      'audit buffer full; dropping events',
      'Timestamp outside the tolerance zone',
      'cookie dropped after login',
    ]) {
      await page.fill('#q', query)
      const first = await page.locator('#hits li a').first().getAttribute('href')
      expect(first, query).toBe(`entries/${search(index, query, 1)[0].id}.html`)
    }
    await page.goto(
      `${pathToFileURL(join(htmlDir, 'index.html')).href}?q=${encodeURIComponent('Invalid parameter: redirect_uri')}`,
    )
    await expect
      .poll(() => page.locator('#hits li a').first().getAttribute('href'))
      .toBe('entries/oidc-redirect-uri-rejected.html')
    await context.close()
  })

  it('reads without JavaScript: every entry is linked from the index', async () => {
    const context = await browser.newContext({javaScriptEnabled: false})
    const page = await context.newPage()
    await page.goto(pathToFileURL(join(htmlDir, 'index.html')).href)
    const links = await page.locator('main a[href^="entries/"]').count()
    expect(links).toBe(kb.entries.length)
    expect(await page.locator('form.search').isVisible()).toBe(false)
    await context.close()
  })
})
