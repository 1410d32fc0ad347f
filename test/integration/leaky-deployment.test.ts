import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {stringify} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {base64Needles} from '../../src/redact/redactor.js'
import {type CliResult, runCli} from '../helpers/cli.js'
import {type Canary, type LeakyDeployment, startLeakyDeployment, type Survivor} from '../helpers/leaky-deployment.js'

/**
 * The spec of issue 16: secrets a *server* sends must not reach anything doctor prints or writes.
 *
 * A leaky deployment (test/helpers/leaky-deployment.ts) plants fixed canary secrets in every place
 * a server may put one, wired through doctor's config so doctor really requests each place (the
 * servers count the hits). The built CLI then produces every output there is: text, JSON, Markdown
 * and JUnit on stdout, stderr, -o files, `doctor report` files, both bundle kinds (every tar
 * member), `analyze`, `explain --run` and `verify`. Every output is scanned for every canary in
 * every form (raw, base64 at any offset, base64url, URL/form-encoded, hex, HTML-escaped,
 * JSON-escaped, newline-collapsed, and 20-character fragments of long secrets). A false-positive
 * corpus (survivors) must stay readable in the JSON report and the Markdown.
 *
 * The test only drives the CLI and scans bytes: it is independent of how the redactor works.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const MOBILE = existsSync(CHROMIUM)
if (!MOBILE && process.env.CI === 'true')
  throw new Error(`CI=true but no Chromium at ${CHROMIUM}: the mobile place (viewport-overflow) cannot be exercised`)

// ---------------------------------------------------------------------------------------------
// Forms of a secret

const html = (s: string, apos: string, quot = '&quot;') =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, quot).replace(/'/g, apos)
const jsonEscaped = (s: string) => JSON.stringify(s).slice(1, -1)

/** Every form in which `secret` could show up in bytes doctor writes; [form name, text]. Forms shorter than 8 characters are dropped. */
function formsOf(secret: string): Array<[string, string]> {
  const out = new Map<string, string>()
  const add = (name: string, form: string) => {
    if (form.length >= 8 && !out.has(form)) out.set(form, name)
  }
  add('raw', secret)
  add('URL-encoded', encodeURIComponent(secret))
  add('form-encoded', encodeURIComponent(secret).replace(/%20/g, '+'))
  add(
    'URL-encoded',
    encodeURIComponent(secret).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  )
  add(
    'URL-encoded',
    encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  )
  for (const needle of base64Needles(secret))
    add(/[-_]/.test(needle) ? 'base64url (any offset)' : 'base64 (any offset)', needle)
  add('base64url', Buffer.from(secret).toString('base64url'))
  add('hex', Buffer.from(secret).toString('hex'))
  add('hex', Buffer.from(secret).toString('hex').toUpperCase())
  for (const apos of ['&#39;', '&#x27;', '&apos;']) add('HTML-escaped', html(secret, apos))
  add('HTML-escaped', html(secret, '&#39;', '&#34;'))
  add('HTML-escaped', secret.replace(/&/g, '&amp;').replace(/</g, '&lt;'))
  add('JSON-escaped', jsonEscaped(secret))
  add('JSON-escaped', jsonEscaped(secret).replace(/\//g, '\\/'))
  add(
    'JSON-escaped',
    jsonEscaped(secret).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`),
  )
  add('JSON-escaped HTML', jsonEscaped(html(secret, '&#39;')))
  add('Markdown cell', html(secret, "'").replace(/\|/g, '\\|'))
  if (/\r?\n/.test(secret)) {
    add('newlines→spaces', secret.replace(/\r?\n/g, ' '))
    add('newlines→\\n', secret.replace(/\r?\n/g, '\\n'))
    add('newlines→\\n', secret.replace(/\r?\n/g, '\\\\n'))
    add('whitespace collapsed', secret.replace(/\s+/g, ' '))
    add('newlines removed', secret.replace(/\r?\n/g, ''))
    add('newlines→<br>', html(secret, '&#39;').replace(/\r?\n/g, '<br>'))
  }
  return [...out].map(([form, name]) => [name, form])
}

const FRAGMENT = 20

/** 20-character windows of long secrets (a value cut short still leaks), unless shared with another canary or a survivor. */
function fragmentsOf(canaries: Canary[], survivors: Survivor[]): Map<string, string[]> {
  const owners = new Map<string, Set<string>>()
  for (const c of canaries) {
    for (const s of c.secrets) {
      if (s.length < FRAGMENT + 10) continue
      for (let i = 0; i + FRAGMENT <= s.length; i += 10) {
        const w = s.slice(i, i + FRAGMENT)
        owners.set(w, (owners.get(w) ?? new Set()).add(c.id))
      }
    }
  }
  const out = new Map<string, string[]>()
  for (const [w, ids] of owners) {
    if (ids.size > 1 || survivors.some((v) => v.value.includes(w))) continue
    const [id] = ids
    out.set(id!, [...(out.get(id!) ?? []), w])
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Outputs

interface Output {
  label: string
  /** For the survivor check: which report kind this output is. */
  kind?: 'json' | 'markdown'
  text: string
}

interface Exchange {
  url: string
  bodySnippet?: string
  responseHeaders?: Record<string, unknown>
}

interface Run {
  id: string
  args: string[]
  /** What stdout holds, when it is a report. */
  stdout?: 'json' | 'markdown'
  /** Config with the mobile page (Chromium): only the bundle runs, to keep the file fast. */
  mobile?: boolean
  after?: string
}

/** A .tar archive's regular files (ustar; pax headers skipped). */
function untar(buf: Buffer): Array<{name: string; data: Buffer}> {
  const out: Array<{name: string; data: Buffer}> = []
  const str = (b: Buffer) => b.toString('utf8').replace(/\0[\s\S]*$/, '')
  for (let off = 0; off + 512 <= buf.length;) {
    const header = buf.subarray(off, off + 512)
    if (header.every((b) => b === 0)) break
    const name = str(header.subarray(0, 100))
    const prefix = str(header.subarray(345, 500))
    const size = Number.parseInt(str(header.subarray(124, 136)).trim() || '0', 8)
    const type = header[156]
    off += 512
    if (type === 0 || type === 48)
      out.push({name: prefix ? `${prefix}/${name}` : name, data: buf.subarray(off, off + size)})
    off += Math.ceil(size / 512) * 512
  }
  return out
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** Substring index of an output: every 8-character window, so thousands of needles are checked fast. */
class Scanner {
  private readonly windows = new Set<string>()
  constructor(readonly text: string) {
    for (let i = 0; i + 8 <= text.length; i++) this.windows.add(text.slice(i, i + 8))
  }

  has(needle: string): boolean {
    if (!this.windows.has(needle.slice(0, 8))) return false
    if (needle.length > 16 && !this.windows.has(needle.slice(-8))) return false
    return this.text.includes(needle)
  }
}

const short = (v: string) => `${v.slice(0, 4)}…/${v.length}`

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')
}

// ---------------------------------------------------------------------------------------------

describe('leaky deployment: secrets a server sends reach no output (issue 16)', () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'doctor-leaky-')))
  const cwd = join(base, 'work')
  const home = join(base, 'home')
  const oldpwd = join(base, 'previous')
  const out = join(cwd, 'out')
  let d: LeakyDeployment
  const outputs: Output[] = []
  const results = new Map<string, CliResult>()
  const runLog: string[] = []
  const refusals: string[] = []
  const unexpected: string[] = []
  let runsMs = 0

  beforeAll(async () => {
    for (const dir of [cwd, home, oldpwd, out]) mkdirSync(dir, {recursive: true})
    d = await startLeakyDeployment({cwd, home, oldpwd, mobile: MOBILE, screenshots: join(out, 'screenshots')})
    // The same file name in two folders under cwd: config.path carries cwd either way.
    const full = join(cwd, d.configFile)
    writeFileSync(full, stringify(d.config))
    const fast = join(cwd, 'no-browser', d.configFile)
    mkdirSync(join(cwd, 'no-browser'))
    const {mobile: _mobile, ...withoutMobile} = d.config
    writeFileSync(fast, stringify(withoutMobile))
    const before = join(out, 'all.json')
    const o = (name: string) => join(out, name)
    // Every output path, in as few runs as possible: stdout in each format, -o in each format, both
    // `doctor report` layouts, both bundle kinds, analyze (text, Markdown), explain --run, verify.
    const runs: Run[] = [
      {id: 'all -o all.md', args: ['all', '-o', o('all.md')]},
      {id: 'all --json -o all.json', args: ['all', '--json', '-o', before], stdout: 'json'},
      {id: 'all --format markdown', args: ['all', '--format', 'markdown'], stdout: 'markdown'},
      {id: 'all --format junit -o all.xml', args: ['all', '--format', 'junit', '-o', o('all.xml')]},
      {
        id: 'report --output-dir --bundle FILE.tar.gz',
        args: ['report', '--output-dir', o('report'), '--bundle', o('bundle.tar.gz')],
        mobile: true,
      },
      {
        id: 'report -o report.txt --bundle DIR',
        args: ['report', '--output', o('report.txt'), '--bundle', o('bundle')],
        mobile: true,
      },
      {id: 'explain --run', args: ['explain', 'service-not-ready', '--run']},
      {id: 'analyze', args: ['analyze', before], after: 'all --json -o all.json'},
      {
        id: 'analyze --format markdown',
        args: ['analyze', before, '--format', 'markdown'],
        stdout: 'markdown',
        after: 'all --json -o all.json',
      },
      {id: 'verify', args: ['verify', 'service-not-ready', '--before', before], after: 'all --json -o all.json'},
    ]
    const env = {
      ...d.env,
      PWD: cwd,
      OLDPWD: oldpwd,
      HOME: home,
      KUBECONFIG: undefined,
      CHROMIUM_PATH: MOBILE ? CHROMIUM : undefined,
    }
    const checkRuns = new Set(['all', 'report', 'explain', 'verify'])
    const started = Date.now()
    const done = new Map(
      runs.map((r) => {
        let resolve!: () => void
        const promise = new Promise<void>((ok) => (resolve = ok))
        return [r.id, {promise, resolve}] as const
      }),
    )
    const run = async (r: Run) => {
      if (r.after) await done.get(r.after)!.promise
      const args = [...r.args]
      if (checkRuns.has(args[0]!))
        args.push(
          '-c',
          r.mobile ? full : fast,
          '--allow-writes',
          '--concurrency',
          '8',
          '--check-timeout',
          '25s',
          '--timeout',
          '60s',
        )
      try {
        const res = await runCli(args, {env, cwd, timeoutMs: 90_000})
        results.set(r.id, res)
        runLog.push(`${r.id}: exit ${res.code}, ${(res.ms / 1000).toFixed(1)} s`)
        outputs.push(
          {label: `${r.id}: stdout`, text: res.stdout, ...(r.stdout ? {kind: r.stdout} : {})},
          {label: `${r.id}: stderr`, text: res.stderr},
        )
        const said = (re: RegExp) =>
          (res.stderr.split('\n').find((l) => re.test(l)) ?? res.stderr.trim().split('\n').at(-1) ?? '').trim()
        if (res.code === 3 && /Refusing to write/.test(res.stderr))
          refusals.push(`${r.id} exited 3: ${said(/Refusing to write/)}`)
        else if (res.code !== 0 && res.code !== 1) unexpected.push(`${r.id} exited ${res.code}: ${said(/^Error/)}`)
      } catch (error) {
        unexpected.push(`${r.id}: ${(error as Error).message.split('\n')[0]}`)
      } finally {
        done.get(r.id)!.resolve()
      }
    }
    // At most three CLIs at once (two cores); analyze and verify wait for the saved JSON.
    const queue = [...runs]
    await Promise.all(
      Array.from({length: 3}, async () => {
        for (let r = queue.shift(); r; r = queue.shift()) await run(r)
      }),
    )
    runsMs = Date.now() - started

    for (const file of filesUnder(out)) {
      const name = relative(out, file)
      const bytes = readFileSync(file)
      const kind = /(^|\/)(all\.json|doctor-report\.json|report\.json)$/.test(name)
        ? 'json'
        : /(^|\/)(all\.md|doctor-report\.md|report\.md)$/.test(name)
          ? 'markdown'
          : undefined
      if (file.endsWith('.tar.gz')) {
        for (const m of untar(gunzipSync(bytes))) {
          const mkind = /\/report\.json$/.test(m.name) ? 'json' : /\/report\.md$/.test(m.name) ? 'markdown' : undefined
          outputs.push({label: `${name} ▸ ${m.name}`, text: m.data.toString('utf8'), ...(mkind ? {kind: mkind} : {})})
        }
      } else outputs.push({label: name, text: bytes.toString('utf8'), ...(kind ? {kind} : {})})
    }
  }, 300_000)

  afterAll(async () => {
    await d?.close()
    if (!process.env.KEEP_LEAKY) rmSync(base, {recursive: true, force: true})
    else console.log(`kept ${base}`)
  })

  it('doctor really requested every place the canaries are planted in (server-side hit counts)', () => {
    const rows = [['place', 'via', 'hits', 'canaries']]
    const missing: string[] = []
    for (const p of d.places) {
      const n = d.canaries.filter((c) => c.place === p.id).length
      rows.push([p.id, p.via, String(d.hits[p.id] ?? 0), String(n)])
      if (!(d.hits[p.id]! > 0) && !p.optional) missing.push(`${p.id} (${p.via}): ${p.what}`)
    }
    const unserved = d.canaries.filter((c) => !(d.hits[c.place]! > 0)).map((c) => c.id)
    console.log(
      `${d.canaries.length} canaries in ${d.places.length} places, ${d.survivors.length} survivors; ${results.size} CLI runs took ${(runsMs / 1000).toFixed(1)} s${MOBILE ? '' : ' (no Chromium: mobile place skipped)'}\n  ${runLog.join('\n  ')}\n${table(rows)}`,
    )
    expect(d.canaries.length).toBeGreaterThanOrEqual(60)
    expect(new Set(d.canaries.map((c) => c.value)).size).toBe(d.canaries.length)
    expect(missing, 'places doctor never requested').toEqual([])
    expect(unserved, 'canaries never served').toEqual([])
  })

  it('every CLI run finished and wrote its outputs: none refused with exit 3 ("Refusing to write")', () => {
    if (refusals.length) console.log(`REFUSED (doctor would not write its own output):\n  ${refusals.join('\n  ')}`)
    if (unexpected.length) console.log(`UNEXPECTED EXIT:\n  ${unexpected.join('\n  ')}`)
    expect(results.size).toBe(10)
    expect(unexpected, 'runs that failed other than by refusing').toEqual([])
    expect(refusals, 'runs where doctor refused to write its own report').toEqual([])
  })

  it('no canary appears in any output, in any form', () => {
    const fragments = fragmentsOf(d.canaries, d.survivors)
    const forms = new Map(d.canaries.map((c) => [c.id, c.secrets.flatMap((s) => formsOf(s))]))
    const perOutput = [...forms.values()].reduce((n, f) => n + f.length, 0)
    const total = perOutput * outputs.length
    /** canary id -> output label -> form names */
    const hits = new Map<string, Map<string, Set<string>>>()
    for (const o of outputs) {
      const scan = new Scanner(o.text)
      for (const c of d.canaries) {
        const found = new Set<string>()
        for (const [name, form] of forms.get(c.id)!) if (scan.has(form)) found.add(name)
        if (found.size === 0) {
          const cut = (fragments.get(c.id) ?? []).filter((w) => scan.has(w)).length
          if (cut > 0) found.add(`fragment (${cut}×${FRAGMENT} chars)`)
        }
        if (found.size === 0) continue
        const byOutput = hits.get(c.id) ?? new Map<string, Set<string>>()
        byOutput.set(o.label, found)
        hits.set(c.id, byOutput)
      }
    }
    const h = [...hits.values()].reduce((n, m) => n + [...m.values()].reduce((k, s) => k + s.size, 0), 0)
    const lines = [
      `canaries × forms × outputs = ${total}; hits = ${h}   (${d.canaries.length} canaries, ${perOutput} forms of their secrets, ${outputs.length} outputs; a hit is one canary found in one output in one form)`,
    ]
    if (h > 0) {
      const leaked = d.canaries.filter((c) => hits.has(c.id))
      const classes = [...new Set(d.canaries.map((c) => c.cls))]
      const outputsWith = (cs: Canary[]) => new Set(cs.flatMap((c) => [...(hits.get(c.id)?.keys() ?? [])]))
      lines.push('', `Leaks by class (${leaked.length} of ${d.canaries.length} canaries leaked):`)
      lines.push(
        table([
          ['class', 'leaked', 'outputs', 'forms'],
          ...classes.map((cls) => {
            const all = d.canaries.filter((c) => c.cls === cls)
            const bad = all.filter((c) => hits.has(c.id))
            const formNames = new Set(bad.flatMap((c) => [...hits.get(c.id)!.values()].flatMap((s) => [...s])))
            return [
              cls,
              `${bad.length}/${all.length}`,
              `${outputsWith(bad).size}/${outputs.length}`,
              [...formNames].join(', '),
            ]
          }),
        ]),
      )
      lines.push('', 'Leaks by canary (value shown as first 4 chars…/length):')
      lines.push(
        table([
          ['canary', 'value', 'place', 'outputs', 'forms'],
          ...leaked.map((c) => {
            const m = hits.get(c.id)!
            const formNames = new Set([...m.values()].flatMap((s) => [...s]))
            return [c.id, short(c.value), c.place, `${m.size}/${outputs.length}`, [...formNames].join(', ')]
          }),
        ]),
      )
      lines.push('', 'Leaks by output:')
      lines.push(
        table([
          ['output', 'canaries', 'classes'],
          ...outputs
            .map((o) => ({o, cs: leaked.filter((c) => hits.get(c.id)!.has(o.label))}))
            .filter((x) => x.cs.length > 0)
            .map(({o, cs}) => [o.label, String(cs.length), [...new Set(cs.map((c) => c.cls))].join(', ')]),
        ]),
      )
    }
    console.log(lines.join('\n'))
    expect(outputs.length).toBeGreaterThan(20)
    expect(h, 'canary hits: see the tables above').toBe(0)
  })

  it('non-secret values survive in the JSON report and the Markdown (false-positive corpus)', () => {
    const reports = outputs.filter((o) => o.kind && o.text.trim())
    const kinds = {
      json: reports.filter((o) => o.kind === 'json'),
      markdown: reports.filter((o) => o.kind === 'markdown'),
    }
    const present = (text: string, v: string) =>
      [v, jsonEscaped(v), html(v, '&#39;'), jsonEscaped(html(v, '&#39;'))].some((f) => text.includes(f))
    const failures: string[] = []
    let survived = 0
    for (const v of d.survivors) {
      const problems: string[] = []
      for (const kind of v.outputs) {
        if (kinds[kind].length === 0) problems.push(`no ${kind} report was written`)
        for (const o of kinds[kind]) {
          const text = o.text
          let scope = text
          if (v.anchor.kind === 'exchange') {
            // The response that carries it must be in the report, with the part (body snippet or headers) that carries it.
            const {path, part} = v.anchor
            let exchanges: Exchange[]
            try {
              exchanges = (JSON.parse(text) as {http?: {exchanges?: Exchange[]}}).http?.exchanges ?? []
            } catch {
              problems.push(`${o.label}: not JSON`)
              continue
            }
            const carrying = exchanges
              .filter((e) => {
                try {
                  return new URL(e.url).pathname === path
                } catch {
                  return false
                }
              })
              .map((e) => (part === 'body' ? (e.bodySnippet ?? '') : JSON.stringify(e.responseHeaders ?? {})))
              .filter((x) => x !== '' && x !== '{}')
            if (carrying.length === 0) {
              problems.push(`${o.label}: the response it rides in (${path}, ${part}) is not in the report`)
              continue
            }
            scope = carrying.join('\n')
          } else if (!present(text, v.anchor.text)) {
            problems.push(`${o.label}: its place (next to "${v.anchor.text}") is not in this output`)
            continue
          }
          if (!present(scope, v.value)) problems.push(`${o.label}: over-redacted`)
        }
      }
      if (problems.length) failures.push(`${v.id} = ${JSON.stringify(v.value)}: ${problems.join('; ')}`)
      else survived++
    }
    console.log(
      `survivors: ${survived}/${d.survivors.length} (checked in ${kinds.json.length} JSON and ${kinds.markdown.length} Markdown reports)${failures.length ? `\n  ${failures.join('\n  ')}` : ''}`,
    )
    expect(d.survivors.length).toBeGreaterThanOrEqual(40)
    expect(failures, 'survivors that did not survive').toEqual([])
  })
})
