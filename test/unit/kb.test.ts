import {cpSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {marked} from 'marked'
import {describe, expect, it} from 'vitest'
import {allChecks, checkIds} from '../../src/engine/registry.js'
import {openKnowledgeBase, resolveRef} from '../../src/kb/kb.js'
import {KnowledgeBaseError, loadKnowledgeBase} from '../../src/kb/load.js'
import {renderEntryText} from '../../src/kb/render-text.js'
import {htmlPages} from '../../src/kb/site/html.js'
import {markdownPages} from '../../src/kb/site/markdown.js'
import {buildModel} from '../../src/kb/site/model.js'
import {stepObject} from '../../src/kb/schema.js'

const kb = openKnowledgeBase()
const metas = allChecks().map((c) => c.meta)

describe('knowledge base integrity', () => {
  it('parses, with unique ids, known products, related entries and check references (the loader refuses otherwise)', () => {
    expect(kb.entries.length).toBeGreaterThanOrEqual(50)
    expect(new Set(kb.entries.map((e) => e.id)).size).toBe(kb.entries.length)
    expect(kb.products.map((p) => p.id)).toEqual(['release-passport', 'rack-gateway', 'api-test', 'secrets-bridge'])
  })

  it('covers every seed symptom of every product', () => {
    const model = buildModel(kb, metas, 'test')
    const missing = kb.products.flatMap((p) =>
      model
        .coverage(p)
        .filter((c) => !c.entry)
        .map((c) => `${p.id}: ${c.symptom}`),
    )
    expect(missing).toEqual([])
    for (const p of kb.products) expect(p.symptoms.length, p.id).toBeGreaterThan(0)
  })

  it('check → KB: every reference a check declares resolves to an entry or a cause that names the check', () => {
    for (const meta of metas) {
      expect(meta.kb.length, meta.id).toBeGreaterThan(0)
      for (const ref of meta.kb) {
        const resolved = resolveRef(kb, ref)
        expect(resolved.kind, `${meta.id} → ${ref}`).toBe('entry')
        if (resolved.kind !== 'entry' || resolved.entry.kind !== 'symptom')
          throw new Error(`${ref} is not a symptom entry`)
        if (resolved.cause)
          expect(resolved.cause.checks, `${ref} should list ${meta.id} under checks:`).toContain(meta.id)
        else
          expect(
            resolved.entry.causes.some((c) => c.checks.includes(meta.id)),
            `${ref}: some cause should list ${meta.id}`,
          ).toBe(true)
      }
    }
  })

  it('KB → check: every cause that names a check is declared in that check’s meta.kb', () => {
    for (const entry of kb.entries) {
      if (entry.kind !== 'symptom') continue
      for (const cause of entry.causes) {
        for (const id of cause.checks) {
          const meta = metas.find((m) => m.id === id)!
          const refs = [`${entry.id}#${cause.id}`, ...cause.sameAs]
          expect(
            meta.kb.some((r) => refs.includes(r)),
            `${id} should declare ${refs.join(' or ')}`,
          ).toBe(true)
        }
      }
    }
  })

  it('every cause is checkable or says what a person should look at; verify steps say what good looks like', () => {
    for (const entry of kb.entries) {
      if (entry.kind !== 'symptom') continue
      for (const cause of entry.causes) {
        expect(cause.checks.length > 0 || Boolean(cause.manual), `${entry.id}#${cause.id}`).toBe(true)
        for (const step of cause.verify) expect(stepObject(step).expect, `${entry.id}#${cause.id}`).toBeTruthy()
      }
    }
  })

  it('every entry renders for the terminal, as HTML and as Markdown', () => {
    const model = buildModel(kb, metas, 'test')
    const html = new Map(htmlPages(model).map((p) => [p.path, p.content]))
    const md = new Map(markdownPages(model).map((p) => [p.path, p.content]))
    for (const entry of kb.entries) {
      const text = renderEntryText(kb, entry, {color: false, width: 100})
      expect(text).toContain(entry.title)
      const page = html.get(`entries/${entry.id}.html`)!
      expect(page).toContain('<h1>')
      if (entry.kind === 'symptom') for (const cause of entry.causes) expect(page).toContain(`id="${cause.id}"`)
      const markdown = md.get(`entries/${entry.id}.md`)!
      expect(marked.parse(markdown, {async: false})).toContain('<h1>')
    }
  })

  it('template braces and ${VAR} in entries render literally in every format', () => {
    const model = buildModel(kb, metas, 'test')
    const literal = kb.entries.filter((e) => JSON.stringify(e).includes('${'))
    expect(literal.length, 'some entries quote ${VAR} (api-test file-store keys)').toBeGreaterThan(0)
    const html = new Map(htmlPages(model).map((p) => [p.path, p.content]))
    const md = new Map(markdownPages(model).map((p) => [p.path, p.content]))
    for (const entry of literal) {
      const vars = [...JSON.stringify(entry).matchAll(/\$\{[^}"\s]+\}/g)].map((m) => m[0])
      expect(vars.length).toBeGreaterThan(0)
      const page = html.get(`entries/${entry.id}.html`)!
      const fromMarkdown = marked.parse(md.get(`entries/${entry.id}.md`)!, {async: false})
      for (const v of vars) {
        expect(decode(page), entry.id).toContain(v)
        expect(decode(fromMarkdown), entry.id).toContain(v)
      }
      expect(renderEntryText(kb, entry, {color: false, width: 200})).toContain(vars[0])
    }
  })
})

function decode(html: string): string {
  return html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

describe('parsed knowledge-base cache (compiled package only)', () => {
  it('serves the cached copy and notices an edited entry', async () => {
    const compiled = '../../dist/src/kb/load.js' // the built module: only it writes the cache
    const {loadKnowledgeBase: compiledLoad} = (await import(compiled)) as typeof import('../../src/kb/load.js')
    const dir = mkdtempSync(join(tmpdir(), 'doctor-kbcache-'))
    cpSync(new URL('../../kb/', import.meta.url), dir, {recursive: true})
    const first = compiledLoad(dir, {checkIds: checkIds(), cache: true})
    const again = compiledLoad(dir, {checkIds: checkIds(), cache: true})
    expect(again.entries.map((e) => e.title)).toEqual(first.entries.map((e) => e.title))
    const file = join(dir, 'entries', 'oidc-redirect-uri-rejected.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^title: .*$/m, 'title: Edited title for the cache test'))
    const edited = compiledLoad(dir, {checkIds: checkIds(), cache: true})
    expect(edited.entry('oidc-redirect-uri-rejected')!.title).toBe('Edited title for the cache test')
    // A registry that no longer has the check makes the cached copy invalid: full reload, file:line problems.
    let details = ''
    try {
      compiledLoad(dir, {checkIds: ['readiness'], cache: true})
    } catch (error) {
      details = (error as KnowledgeBaseError).details.join('\n')
    }
    expect(details).toMatch(/clock-skew\.yaml:\d+:\d+: causes\[\d\]\.checks\[0\]: no registered check "clock-skew"/)
  })
})

describe('knowledge base loader refuses broken entries', () => {
  const entry = (id: string, extra = '') => `id: ${id}
title: Something visible breaks
area: platform
summary: A summary.
products:
  - id: demo
    covers: [Symptom one]
causes:
  - id: first
    summary: A cause.
    explanation: Why.
    manual: Look at the log.
    fix: [Do a thing.]
    verify:
      - {text: Look again., expect: It works.}
${extra}`

  function kbDir(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-kb-'))
    mkdirSync(join(dir, 'entries'))
    writeFileSync(
      join(dir, 'products.yaml'),
      '- {id: demo, name: Demo, description: A product., symptoms: [Symptom one]}\n',
    )
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
    return dir
  }

  it('accepts a minimal valid knowledge base', () => {
    const loaded = loadKnowledgeBase(kbDir({'entries/thing-broken.yaml': entry('thing-broken')}), {
      checkIds: ['readiness'],
    })
    expect(loaded.entries.map((e) => e.id)).toEqual(['thing-broken'])
  })

  it('lists every problem with file:line', () => {
    const dir = kbDir({
      'entries/a.yaml': entry('b'),
      'entries/b.yaml': entry('b'),
      'entries/c.yaml': `${entry('c').replace('id: demo', 'id: nope').replace('covers: [Symptom one]', 'covers: []')}related: [missing-entry]\n`,
      'entries/d.yaml': entry('d')
        .replace('    manual: Look at the log.\n', '    checks: [no-such-check]\n')
        .replace('fix: [Do a thing.]', 'fix:\n      - {text: Restart., command: systemctl restart app}'),
      'entries/e.yaml': entry('e')
        .replace('    manual: Look at the log.\n', '')
        .replace('covers: [Symptom one]', 'covers: [Symptom tow]'),
      'entries/f.yaml': 'id: f\ntitle: [unclosed\n',
      'retired.yaml': '- {id: e, replacedBy: gone, reason: merged, retiredOn: 2026-01-01}\n',
    })
    let error: KnowledgeBaseError | undefined
    try {
      loadKnowledgeBase(dir, {checkIds: ['readiness']})
    } catch (e) {
      error = e as KnowledgeBaseError
    }
    expect(error).toBeInstanceOf(KnowledgeBaseError)
    expect(error!.exitCode).toBe(2)
    const details = error!.details.join('\n')
    expect(details).toMatch(/a\.yaml:1:5: id "b" must equal the file name "a"/)
    expect(details).toMatch(/b\.yaml:1:5: id "b" is already used by .*a\.yaml/)
    expect(details).toMatch(/c\.yaml:\d+:\d+: products\[0\]\.id: unknown product "nope"/)
    expect(details).toMatch(/c\.yaml:\d+:\d+: related\[0\]: unknown entry "missing-entry"/)
    expect(details).toMatch(/d\.yaml:\d+:\d+: causes\[0\]\.checks\[0\]: no registered check "no-such-check"/)
    expect(details).toMatch(/d\.yaml:\d+:\d+: causes\[0\]\.fix\[0\]: a step with a command must say effect/)
    expect(details).toMatch(
      /e\.yaml:\d+:\d+: causes\[0\] \(first\): no check can observe it, so say what to look at under manual:/,
    )
    expect(details).toMatch(/e\.yaml:\d+:\d+: products\[0\]\.covers: "Symptom tow" is not one of Demo's seed symptoms/)
    expect(details).toMatch(/f\.yaml:\d+:\d+: /)
    expect(details).toMatch(/retired\.yaml: "e" is retired and must not be reused/)
    expect(details).toMatch(/retired\.yaml: "e" is replaced by "gone", which is not an entry/)
  })

  it('resolves a retired id to its replacement', () => {
    const dir = kbDir({
      'entries/new-thing.yaml': entry('new-thing'),
      'retired.yaml': '- {id: old-thing, replacedBy: new-thing#first, reason: renamed, retiredOn: 2026-01-01}\n',
    })
    const loaded = loadKnowledgeBase(dir, {checkIds: []})
    const resolved = resolveRef(loaded, 'old-thing')
    expect(resolved.kind).toBe('entry')
    if (resolved.kind === 'entry') {
      expect(resolved.entry.id).toBe('new-thing')
      expect(resolved.cause?.id).toBe('first')
      expect(resolved.retired?.id).toBe('old-thing')
    }
  })
})
