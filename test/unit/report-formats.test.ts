import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {InternalError, UsageError} from '../../src/errors.js'
import {Redactor} from '../../src/redact/redactor.js'
import {writeBundle} from '../../src/report/bundle.js'
import {writeGuarded} from '../../src/report/output.js'
import {compareReports, comparisonExitCode} from '../../src/report/compare.js'
import {readSavedReport} from '../../src/report/load.js'
import {chooseFormat} from '../../src/report/render.js'
import {renderJUnit} from '../../src/report/render-junit.js'
import {GITHUB_COMMENT_LIMIT, renderMarkdown} from '../../src/report/render-markdown.js'
import {makeReport, result} from '../helpers/reports.js'

const XSD = new URL('../fixtures/junit.xsd', import.meta.url).pathname
const xmllint = spawnSync('xmllint', ['--version']).status === 0
/** With CI=true a missing xmllint fails the test instead of skipping it (.ci/run installs libxml2-utils). */
const canValidate = xmllint || process.env.CI === 'true'

const cause = {
  kb: 'service-not-ready#dependency-down',
  summary: 'Redis is down.',
  fix: ['Start Redis.'],
  verify: ['`curl /readyz` answers 200.'],
}

describe('markdown report', () => {
  it('has a verdict line, a row per check, and each finding with cause, fix, verification and folded evidence', () => {
    const md = renderMarkdown(
      makeReport([
        result('readiness', 'fail', {cause, evidence: {observed: {status: 503}, expected: {status: 200}}}),
        result('clock-skew', 'pass'),
        result('webhook-signature', 'skip'),
      ]),
    )
    expect(md.split('\n')[0]).toMatch(/^## ❌ doctor: Problems found — 1 failed, 1 passed, 1 skipped/)
    expect(md).toContain('| ❌ fail | `readiness` | readiness says fail | 12ms |')
    expect(md).toContain('| ➖ skip | `webhook-signature` |')
    expect(md).toMatch(/\*\*Cause:\*\* Redis is down\. \(`service-not-ready#dependency-down`\)/)
    expect(md).toContain('**Fix:**\n\n1. Start Redis.')
    expect(md).toContain('**Verify:**\n\n1. `curl /readyz` answers 200.')
    expect(md).toMatch(
      /<details><summary>Evidence: measurements<\/summary>\n\n```json\n\{\n {2}"observed": \{\n {4}"status": 503/,
    )
    expect(md).toContain('| Node.js | v20.20.2 |')
    expect(md).toContain('| Targets | `https://app.example.com` |')
    expect(md).toContain('<details><summary>Config (effective values, secrets redacted)</summary>')
    expect(md).not.toContain('Shortened')
  })

  it('cannot be broken by text from servers: HTML is escaped, pipes stay in their cell, backticks widen the fence', () => {
    const nasty = 'x | y </details><script>alert(1)</script>\nline two'
    const md = renderMarkdown(
      makeReport([result('readiness', 'fail', {message: nasty, evidence: {observed: 'a ``` fence and ```` four'}})]),
    )
    expect(md).not.toContain('<script>')
    expect(md).toContain('x \\| y &lt;/details&gt;&lt;script&gt;')
    expect(md.match(/<\/details>/g)?.length).toBe(md.match(/<details>/g)?.length)
    expect(md).toContain('`````json')
  })

  it("stays under GitHub's comment limit by shortening evidence, and says so", () => {
    const big = 'x'.repeat(20_000)
    const results = Array.from({length: 30}, (_, i) =>
      result(`check-${i}`, 'fail', {cause, evidence: {observed: {body: big}}}),
    )
    const md = renderMarkdown(makeReport(results))
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT)
    expect(md).toMatch(/> \*\*Shortened:\*\* the full report is [\d,]+ characters/)
    for (let i = 0; i < 30; i++) expect(md).toContain(`\`check-${i}\`: check-${i} title`)
    expect(md).toContain('more characters in the JSON report')
  })

  it('cuts at a line with a note when even the findings alone are too long', () => {
    const results = Array.from({length: 2000}, (_, i) =>
      result(`check-${i}`, 'fail', {cause, message: 'm'.repeat(200)}),
    )
    const md = renderMarkdown(makeReport(results))
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT)
    expect(md).toMatch(/\*\*Cut here:\*\* the report is longer than 65,536 characters/)
  })
})

describe('JUnit report', () => {
  const report = makeReport([
    result('readiness', 'fail', {cause}),
    result('clock-skew', 'warn', {message: 'drift 2 s'}),
    result('oidc-discovery', 'error', {message: 'boom'}),
    result('prometheus-labels', 'timeout', {message: 'no answer in 10 s'}),
    result('webhook-signature', 'skip', {message: 'not configured'}),
    result('api-token', 'pass', {message: 'ok "quoted" & <angled> \u0007 bell ]]> end'}),
  ])

  it('maps statuses to failure, error, skipped and passing test cases, with cause and fix in the failure body', () => {
    const xml = renderJUnit(report)
    expect(xml).toMatch(/<testsuites name="doctor" tests="6" failures="1" errors="2" skipped="1" time="1\.234">/)
    expect(xml).toMatch(
      /<testcase classname="doctor\.platform" name="readiness: readiness title" time="0\.012">\n\s+<failure type="fail" message="readiness says fail\. Cause: Redis is down\.">FAIL: readiness says fail\n\nCause: Redis is down\.\n\nFix:\n {2}1\. Start Redis\./,
    )
    expect(xml).toMatch(/<error type="timeout" message="no answer in 10 s">/)
    expect(xml).toMatch(/<skipped message="not configured"\/>/)
    expect(xml).toMatch(/name="clock-skew: clock-skew title" time="0\.012">\n\s+<system-out>warning: drift 2 s/)
    expect(xml).toContain('<testcase classname="doctor.platform" name="api-token: api-token title" time="0.012"/>')
  })

  it('fails a warning when --fail-on warn', () => {
    const xml = renderJUnit({...report, failOn: 'warn'})
    expect(xml).toMatch(/failures="2"/)
    expect(xml).toMatch(/<failure type="warn" message="drift 2 s">/)
  })

  it.runIf(canValidate)('is valid against the JUnit XSD, control characters and all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-junit-'))
    const withNasty = makeReport([
      ...report.results,
      result('readiness-2', 'fail', {
        message: 'bad \u0000\u001b[31m bytes ]]> "q" & <x>',
        cause: {...cause, fix: ['a\u000bb']},
      }),
    ])
    for (const [name, r] of [
      ['plain', report],
      ['nasty', withNasty],
      ['empty', makeReport([])],
    ] as const) {
      const file = join(dir, `${name}.xml`)
      writeFileSync(file, renderJUnit(r))
      expect(() => execFileSync('xmllint', ['--noout', '--schema', XSD, file], {stdio: 'pipe'}), name).not.toThrow()
    }
  })
})

describe('saved reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-saved-'))
  const save = (name: string, content: unknown) => {
    const path = join(dir, name)
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
    return path
  }

  it('reads back what was written', () => {
    const report = makeReport([result('readiness', 'fail', {cause})])
    expect(readSavedReport(save('ok.json', report))).toEqual(report)
  })

  it('refuses missing files, non-JSON, other JSON, other schema versions and hand-broken reports with a usage error', () => {
    expect(() => readSavedReport(join(dir, 'missing.json'))).toThrow(/There is no report at .*missing\.json/)
    expect(() => readSavedReport(save('md.json', '## doctor report'))).toThrow(/not valid JSON/)
    expect(() => readSavedReport(save('other.json', {a: 1}))).toThrow(/no schemaVersion/)
    expect(() => readSavedReport(save('v9.json', {schemaVersion: 9}))).toThrow(
      /schema version 9; this doctor reads version 1/,
    )
    const broken = {...makeReport([]), results: [{id: 'x'}]}
    try {
      readSavedReport(save('broken.json', broken))
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError)
      expect((error as UsageError).details.join('\n')).toMatch(/results\.0\.title/)
    }
  })
})

describe('comparing two reports', () => {
  it('sorts checks into fixed, new, still failing and not re-checked', () => {
    const before = makeReport([
      result('a', 'fail'),
      result('b', 'pass'),
      result('c', 'fail', {cause}),
      result('d', 'warn'),
      result('e', 'pass'),
    ])
    const after = makeReport([
      result('a', 'pass'),
      result('b', 'fail'),
      result('c', 'fail', {cause: {...cause, kb: 'service-not-ready#not-ready'}}),
      result('d', 'skip'),
      result('e', 'pass'),
    ])
    const c = compareReports(before, after)
    expect(c.fixed.map((x) => x.id)).toEqual(['a'])
    expect(c.new.map((x) => x.id)).toEqual(['b'])
    expect(c.stillFailing.map((x) => [x.id, x.beforeCause, x.afterCause])).toEqual([
      ['c', 'service-not-ready#dependency-down', 'service-not-ready#not-ready'],
    ])
    expect(c.notRechecked.map((x) => x.id)).toEqual(['d'])
    expect(c.unchanged.map((x) => x.id)).toEqual(['e'])
    expect(comparisonExitCode(c, 'fail')).toBe(1)
    expect(
      comparisonExitCode(compareReports(before, makeReport([result('a', 'pass'), result('c', 'warn')])), 'fail'),
    ).toBe(0)
    expect(
      comparisonExitCode(compareReports(before, makeReport([result('a', 'pass'), result('c', 'warn')])), 'warn'),
    ).toBe(1)
  })
})

describe('choosing a format', () => {
  it('takes --format, else the --output extension, else text; an unknown extension is a usage error', () => {
    expect(chooseFormat('junit', 'x.md')).toBe('junit')
    expect(chooseFormat(undefined, 'r.md')).toBe('markdown')
    expect(chooseFormat(undefined, 'r.xml')).toBe('junit')
    expect(chooseFormat(undefined, 'r.JSON')).toBe('json')
    expect(chooseFormat(undefined, undefined)).toBe('text')
    expect(chooseFormat(undefined, '-')).toBe('text')
    expect(() => chooseFormat(undefined, 'report.pdf')).toThrow(UsageError)
  })
})

describe('fail closed: a known secret in the final bytes stops the write', () => {
  const leaked = 'cnry-leaked-value-0451'
  const guard = () => {
    const r = new Redactor()
    r.addSecret(leaked, 'secret', 'config field billing.headers.X-Api-Key')
    return r
  }
  // A report that skipped redaction somehow: the value sits in a result message.
  const report = makeReport([result('billing-status', 'fail', {message: `server said ${leaked}`})])

  it('writeGuarded writes nothing and names the field, never the value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-closed-'))
    const path = join(dir, 'report.md')
    expect(() => writeGuarded(path, `x ${Buffer.from(`u:${leaked}`).toString('base64')} y`, guard())).toThrow(
      /Refusing to write .*report\.md: it contains the value of config field billing\.headers\.X-Api-Key \(base64\)/,
    )
    expect(existsSync(path)).toBe(false)
    expect(readdirSync(dir)).toEqual([])
  })

  for (const target of ['bundle', 'bundle.tar.gz']) {
    it(`a ${target.endsWith('.gz') ? 'archive' : 'folder'} bundle is refused whole`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'doctor-closed-'))
      await expect(writeBundle(join(dir, target), report, guard())).rejects.toThrow(InternalError)
      expect(readdirSync(dir)).toEqual([])
    })
  }

  it('a clean bundle is written, and refuses to overwrite a non-empty folder without force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-bundle-'))
    const clean = makeReport([result('billing-status', 'fail', {message: 'billing is pending'})])
    const summary = await writeBundle(join(dir, 'b'), clean, guard())
    expect(summary.files.map((f) => f.path)).toEqual([
      'report.md',
      'report.json',
      'junit.xml',
      'evidence/http.har',
      'evidence/01-billing-status.json',
      'redactions.json',
    ])
    await expect(writeBundle(join(dir, 'b'), clean, guard())).rejects.toThrow(/is not empty\. Pass --force/)
    await expect(writeBundle(join(dir, 'b'), clean, guard(), {force: true})).resolves.toBeTruthy()
  })
})
