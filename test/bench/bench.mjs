#!/usr/bin/env node
// `npm run bench`: start-up and run-time figures for this machine (not part of `npm test`).
// Medians of several runs; targets from the foundation issue are checked and printed.
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {stringify} from 'yaml'
import {readPage} from '../../dist/src/login/html.js'
import {placeholderReason} from '../../dist/src/login/idp-errors.js'
import {Redactor} from '../../dist/src/redact/redactor.js'
import {startSandbox} from '../../dist/src/sandbox/server.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'doctor-bench-'))
const rssHook = join(dir, 'rss.mjs')
writeFileSync(
  rssHook,
  `import {writeFileSync} from 'node:fs'\nprocess.on('exit', () => writeFileSync(process.env.DOCTOR_BENCH_RSS, String(process.resourceUsage().maxRSS)))\n`,
)

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

// Async spawn: the sandbox runs in this process and must keep answering while doctor runs.
function time(args, {withRss = false} = {}) {
  const rssFile = join(dir, `rss-${Math.random().toString(36).slice(2)}`)
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(withRss ? ['--import', rssHook] : []), ...args], {
      env: {...process.env, DOCTOR_BENCH_RSS: rssFile, NO_COLOR: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (status) => {
      const ms = performance.now() - started
      if (status !== 0 && status !== 1) return reject(new Error(`${args.join(' ')} exited ${status}: ${stderr}`))
      resolve({ms, stdout, rssKb: withRss ? Number(readFileSync(rssFile, 'utf8')) : undefined})
    })
  })
}

async function measure(label, args) {
  await time(args) // warm the file cache
  const runs = []
  for (let i = 0; i < RUNS; i++) runs.push((await time(args)).ms)
  return {label, ms: median(runs)}
}

const rows = []
const baseline = await measure('node -e 0', ['-e', '0'])
rows.push(baseline)
const version = await measure('doctor --version', [bin, '--version'])
const list = await measure('doctor list', [bin, 'list'])
const explainId = await measure('doctor explain <id>', [bin, 'explain', 'service-not-ready'])
const explainText = await measure('doctor explain "<text>"', [bin, 'explain', 'Error 400: redirect_uri_mismatch'])
const docs = await measure('doctor docs build (html)', [bin, 'docs', 'build', '--out', join(dir, 'site')])
rows.push(version, list, explainId, explainText, docs)

const sandbox = await startSandbox({faults: ['redis-down', 'idp-clock-ahead']})
const configPath = join(dir, 'doctor.yaml')
writeFileSync(configPath, stringify(sandbox.config))
const allRuns = []
for (let i = 0; i < RUNS; i++) {
  const r = await time([bin, 'all', '-c', configPath, '--json'], {withRss: true})
  const report = JSON.parse(r.stdout)
  const slowest = Math.max(...report.results.map((x) => x.durationMs))
  // Clock samples repeat a URL on purpose, and the login walk is a browser: it opens the console again after signing in.
  const deliberate = (e) => e.purpose === 'clock' || e.purpose.startsWith('clock:') || e.purpose === 'login-walk'
  const gets = report.http.exchanges.filter((e) => !deliberate(e))
  const distinct = new Set(gets.map((e) => `${e.method} ${e.url} ${JSON.stringify(e.requestHeaders)}`)).size
  const clockSamples = report.http.exchanges.length - gets.length
  allRuns.push({
    wall: r.ms,
    inProcess: report.durationMs,
    slowest,
    perUrl: gets.length / distinct,
    clockSamples,
    rssMb: r.rssKb / 1024,
  })
}
await sandbox.stop()

const all = {
  wall: median(allRuns.map((r) => r.wall)),
  inProcess: median(allRuns.map((r) => r.inProcess)),
  slowest: median(allRuns.map((r) => r.slowest)),
  perUrl: Math.max(...allRuns.map((r) => r.perUrl)),
  clockSamples: median(allRuns.map((r) => r.clockSamples)),
  rssMb: Math.max(...allRuns.map((r) => r.rssMb)),
}

// Redaction cost: every text body is redacted whole as it arrives (collect -> redact -> analyse).
// Three 5 MB bodies of the kinds servers send, with a few secrets planted, and the default 1 MiB cap.
const MB = 1024 * 1024
const fill = (unit, bytes) => unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes)
const planted =
  '"admin_password":"Tr0ub4dor-3x","license_key":"LIC-7777-8888-9999","env":[{"name":"RACK_TOKEN","value":"rk-0042-abcdef"}]'
const items = (bytes) => {
  const list = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const item = JSON.stringify({
      id: i,
      name: `item-${i}`,
      status: i % 7 ? 'active' : 'pending',
      created_at: '2026-12-03T18:25:23Z',
      owner: {username: `user${i}`, email: `u${i}@example.com`},
      description: 'an ordinary description with a key phrase and some tokens of prose',
      token_count: i,
      url: `https://api.example.com/v1/items/${i}?page=2`,
    })
    list.push(item)
    size += item.length + 1
  }
  return `{"items":[${list.join(',')}],${planted}}`
}
const bodies = [
  ['JSON API list, 5 MB', 'application/json', items(5 * MB)],
  [
    'HTML page, 5 MB',
    'text/html',
    fill(
      '<div class="row"><a href="/docs/page">Page</a> <span>text about tokens and sessions 42</span></div>\n',
      5 * MB - 200,
    ) + '<input type=hidden name=csrf_token value=csrf-abc123def>',
  ],
  [
    'log text, 5 MB',
    'text/plain',
    fill(
      '2026-12-03T18:25:23.123Z INFO request id=4f6c2a90 path=/api/v1/items/42 status=200 took=12ms user=alice\n',
      5 * MB - 100,
    ) + 'RACK_TOKEN=rk-in-log-0042\n',
  ],
  ['JSON, 1 MiB (the default cap)', 'application/json', items(MB)],
]
const redaction = bodies.map(([label, type, body]) => {
  const runs = []
  for (let i = 0; i < RUNS + 2; i++) {
    const r = new Redactor()
    r.addSecretEnv(process.env)
    const t = performance.now()
    const out = r.redactBody(body, type)
    runs.push(performance.now() - t)
    if (/Tr0ub4dor|rk-0042|csrf-abc123def|rk-in-log-0042/.test(out))
      throw new Error(`bench: a planted secret survived in ${label}`)
  }
  return {label, ms: median(runs.slice(2))}
})

// Parsers that read what servers send: a 1 MiB IdP-like page, and adversarial placeholder text.
const bigPage = `<html><head><title>Big</title><script>${'var a=function(b){return b&&b.c<1?"x":"y"};'.repeat(15_000)}</script><style>${'.a{color:red}'.repeat(10_000)}</style></head><body>${'<div class="row"><p>Lorem ipsum dolor &amp; sit amet <a href="/x">link</a></p></div>\n'.repeat(3_500)}<form method="post"><input name="u"><input type="password" name="p"></form></body></html>`
const timeIt = (fn) => {
  const runs = []
  for (let i = 0; i < RUNS + 2; i++) {
    const t = performance.now()
    fn()
    runs.push(performance.now() - t)
  }
  return median(runs.slice(2))
}
const parsers = [
  {label: 'login page reader, 1 MiB page', ms: timeIt(() => readPage(bigPage, 'https://h.example/'))},
  {
    label: 'placeholder check, 10 KB adversarial',
    ms: timeIt(() => (placeholderReason(`your${'a-'.repeat(5_000)}!`), placeholderReason(`${'x-'.repeat(5_000)}!`))),
  },
]

const fmt = (ms) => `${ms.toFixed(0)} ms`
const verdict = (ok) => (ok ? 'ok  ' : 'MISS')
console.log(`doctor bench: node ${process.version}, ${RUNS} runs each, medians\n`)
for (const r of rows)
  console.log(
    `${r.label.padEnd(28)}${fmt(r.ms).padStart(10)}${r === baseline ? '' : `   ${(r.ms / baseline.ms).toFixed(2)} x node -e 0`}`,
  )
console.log(`${'doctor all (sandbox) wall'.padEnd(28)}${fmt(all.wall).padStart(10)}`)
console.log(
  `${'  run time (report)'.padEnd(28)}${fmt(all.inProcess).padStart(10)}   slowest check ${fmt(all.slowest)}, ratio ${(all.inProcess / all.slowest).toFixed(2)}`,
)
console.log(
  `${'  requests per distinct URL'.padEnd(28)}${all.perUrl.toFixed(2).padStart(10)}   (plus ${all.clockSamples} deliberate clock-sample and login-walk requests)`,
)
console.log(`${'  peak RSS'.padEnd(28)}${`${all.rssMb.toFixed(1)} MB`.padStart(10)}`)
console.log('parsers')
for (const r of parsers) console.log(`  ${r.label.padEnd(30)}${fmt(r.ms).padStart(8)}`)
console.log('redaction of a body as it arrives')
for (const r of redaction) console.log(`  ${r.label.padEnd(30)}${fmt(r.ms).padStart(8)}`)
console.log('\ntargets')
console.log(
  `${verdict(list.ms <= 3 * baseline.ms)} doctor list <= 3 x node -e 0 (${(list.ms / baseline.ms).toFixed(2)} x)`,
)
console.log(
  `${verdict(version.ms <= 3 * baseline.ms)} doctor --version <= 3 x node -e 0 (${(version.ms / baseline.ms).toFixed(2)} x)`,
)
console.log(
  `${verdict(all.inProcess <= 1.15 * all.slowest)} doctor all <= 1.15 x its slowest check (${(all.inProcess / all.slowest).toFixed(2)} x)`,
)
console.log(`${verdict(all.perUrl === 1)} each distinct URL fetched once per run`)
// The sandbox config uses every check, the Kubernetes client (about 35 MB here) included.
console.log(`${verdict(all.rssMb < 200)} peak RSS < 200 MB (every check configured, Kubernetes client loaded)`)
console.log(`${verdict(parsers[0].ms <= 100)} reading a 1 MiB login page <= 100 ms (${fmt(parsers[0].ms)})`)
console.log(`${verdict(parsers[1].ms <= 20)} placeholder check on adversarial input <= 20 ms (${fmt(parsers[1].ms)})`)
const worstRedaction = Math.max(...redaction.slice(0, 3).map((r) => r.ms))
console.log(`${verdict(worstRedaction <= 50)} redacting a 5 MB body <= 50 ms (slowest kind: ${fmt(worstRedaction)})`)
