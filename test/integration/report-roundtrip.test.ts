import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer as createTlsServer, type Server as TlsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {reportSchema} from '../../src/report/schema.js'
import {runCli, writeConfig} from '../helpers/cli.js'
import {send, startServer, streamBytes, type TestServer} from '../helpers/servers.js'
import {makeCertificates} from '../helpers/tls.js'

/**
 * Issue 16, item 4: every report doctor writes loads back. For each way a request can fail, a
 * real loopback server fails that way and doctor saves its report (`doctor report --output-dir`
 * per failure mode, and `doctor all --json > file` with all of them at once); each file goes
 * back through `doctor analyze` and `doctor verify --before`, which validate it against the
 * published report schema. A timed-out request once recorded `error.code: 23` (the
 * DOMException's numeric code), which the schema rejects, so the report of a hung service
 * could not be read back.
 */

const servers: TestServer[] = []
let tls: TlsServer
let url: Record<
  'hung' | 'stalled' | 'reset' | 'resetMidBody' | 'tls' | 'loop' | 'oversized' | 'refused' | 'portal404',
  string
>

beforeAll(async () => {
  const start = async (handler: Parameters<typeof startServer>[0]) => {
    const s = await startServer(handler)
    servers.push(s)
    return s.url
  }
  const certs = makeCertificates()
  tls = createTlsServer({key: certs.selfSignedKey, cert: certs.selfSignedCert}, (_req, res) =>
    send(res, 200, {status: 'pass'}),
  )
  tls.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve))
  url = {
    // Accepts and never answers.
    hung: await start(() => {}),
    // Sends the headers, then never the rest of the body.
    stalled: await start((_req, res) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.write('{"status":')
    }),
    // Drops the connection on the request.
    reset: await start((req) => req.socket.destroy()),
    // Drops it halfway through the body.
    resetMidBody: await start((_req, res) => {
      res.writeHead(200, {'content-type': 'text/plain', 'content-length': '100000'})
      res.write('partial body', () => setTimeout(() => res.socket?.destroy(), 20))
    }),
    tls: `https://127.0.0.1:${(tls.address() as AddressInfo).port}`,
    // "/" -> "/b" -> "/": readiness sees the redirect, the login walk follows it round.
    loop: await start((req, res) => {
      res.writeHead(302, {location: req.url === '/b' ? '/' : '/b'}).end()
    }),
    // 503 with a body far over http.maxBodyBytes.
    oversized: await start((_req, res) => streamBytes(res, 256 * 1024, 'text/plain', 503)),
    // Port 1 (tcpmux): nothing listens there, and unlike a closed ephemeral port no parallel test can take it.
    refused: 'http://127.0.0.1:1',
    // Healthy readiness, but the portal is missing: portal-spa reports `error`.
    portal404: await start((req, res) =>
      req.url === '/readyz' ? send(res, 200, {status: 'pass'}) : send(res, 404, {error: 'not found'}),
    ),
  }
})

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  tls?.closeAllConnections()
  await new Promise((resolve) => tls?.close(resolve))
})

interface Mode {
  name: string
  config: () => Record<string, unknown>
  /** Run flags for every command that runs checks (all, report, verify). */
  flags: string[]
  /** The check and the status the text rendering must show for it. */
  check: 'readiness' | 'portal-spa'
  label: '✗' | '!'
  /** What the finding says, in the text rendering (whitespace collapsed). */
  found: RegExp
  /** How each readiness request ended, as recorded: the error kind, or the status. */
  outcomes: string[]
}

const CHECK_TIMEOUT = ['--check-timeout', '20s']

const MODES: Mode[] = [
  {
    name: 'request timeout (no answer, and a body that stops)',
    config: () => ({
      target: {baseUrl: url.hung},
      readiness: {endpoints: ['/readyz', `${url.stalled}/readyz`]},
      http: {timeoutMs: 300},
    }),
    flags: CHECK_TIMEOUT,
    check: 'readiness',
    label: '✗',
    found: /accepted the connection but did not answer within 300 ms/,
    outcomes: ['timeout', 'timeout'],
  },
  {
    name: 'connection reset (on the request, and mid-body)',
    config: () => ({
      target: {baseUrl: url.reset},
      readiness: {endpoints: ['/readyz', `${url.resetMidBody}/readyz`]},
      http: {timeoutMs: 5000},
    }),
    flags: CHECK_TIMEOUT,
    check: 'readiness',
    label: '✗',
    found: /closed the connection/,
    outcomes: ['reset', 'reset'],
  },
  {
    name: 'TLS failure (self-signed, not trusted)',
    config: () => ({target: {baseUrl: url.tls}, readiness: {endpoints: ['/readyz']}, http: {timeoutMs: 5000}}),
    flags: CHECK_TIMEOUT,
    check: 'readiness',
    label: '✗',
    found: /TLS verification of 127\.0\.0\.1:\d+ failed \(DEPTH_ZERO_SELF_SIGNED_CERT\)/,
    outcomes: ['tls'],
  },
  {
    name: 'redirect loop (A -> B -> A)',
    config: () => ({target: {baseUrl: url.loop}, readiness: {endpoints: ['/']}, http: {timeoutMs: 5000}}),
    flags: CHECK_TIMEOUT,
    check: 'readiness',
    label: '!',
    found: /redirected \(302 Found\) to \/b/,
    outcomes: ['302'],
  },
  {
    name: 'oversized body (over http.maxBodyBytes)',
    config: () => ({
      target: {baseUrl: url.oversized},
      readiness: {endpoints: ['/readyz']},
      http: {timeoutMs: 5000, maxBodyBytes: 1024},
    }),
    flags: CHECK_TIMEOUT,
    check: 'readiness',
    label: '✗',
    found: /503 Service Unavailable.*the body was cut at 1024 bytes by http\.maxBodyBytes/,
    outcomes: ['503'],
  },
  {
    name: 'DNS failure (.invalid)',
    config: () => ({
      target: {baseUrl: 'http://doctor-roundtrip.invalid'},
      readiness: {endpoints: ['/readyz']},
      http: {timeoutMs: 5000, connectTimeoutMs: 5000},
    }),
    flags: CHECK_TIMEOUT,
    check: 'readiness',
    label: '✗',
    found: /cannot resolve host doctor-roundtrip\.invalid/,
    outcomes: ['dns'],
  },
  {
    name: 'connection refused',
    config: () => ({target: {baseUrl: url.refused}, readiness: {endpoints: ['/readyz']}, http: {timeoutMs: 5000}}),
    flags: CHECK_TIMEOUT,
    check: 'readiness',
    label: '✗',
    found: /connection refused by 127\.0\.0\.1:\d+/,
    outcomes: ['refused'],
  },
  {
    name: 'run deadline reached',
    config: () => ({target: {baseUrl: url.hung}, readiness: {endpoints: ['/readyz']}, http: {timeoutMs: 20_000}}),
    flags: ['--timeout', '1s', '--check-timeout', '20s'],
    check: 'readiness',
    label: '✗',
    found: /run deadline of 1000 ms reached/,
    outcomes: ['aborted'],
  },
  {
    name: 'a check error',
    config: () => ({
      target: {baseUrl: url.portal404},
      readiness: {endpoints: ['/readyz']},
      portal: {path: '/portal/'},
      http: {timeoutMs: 5000},
    }),
    flags: CHECK_TIMEOUT,
    check: 'portal-spa',
    label: '✗',
    found: /the portal at http:\/\/127\.0\.0\.1:\d+\/portal\/ answered 404 Not Found, not a page/,
    outcomes: ['200'],
  },
]

/** The schema problems of a saved report, as "path: message" (empty when it loads). */
function schemaProblems(file: string): string[] {
  const parsed = reportSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')))
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

interface SavedReport {
  results: Array<{id: string; status: string}>
  http: {exchanges: Array<{purpose: string; status?: number; error?: {kind: string; code?: unknown}}>}
}

/** How each request made for `purpose` ended, sorted: the error kind, or the HTTP status. */
const outcomes = (report: SavedReport, purpose: string): string[] =>
  report.http.exchanges
    .filter((e) => e.purpose === purpose)
    .map((e) => e.error?.kind ?? String(e.status))
    .sort()

const collapse = (text: string) => text.replace(/\s+/g, ' ')
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** `doctor analyze FILE` renders it; `doctor verify service-not-ready --before FILE` compares with it. Neither may reject it. */
async function loadsBack(
  file: string,
  config: string,
  flags: string[],
  rendered: {check: string; label: string; found: RegExp[]},
): Promise<void> {
  const opts = {cwd: dirname(config), timeoutMs: 40_000}
  const [analyzed, verified] = await Promise.all([
    runCli(['analyze', file], opts),
    runCli(['verify', 'service-not-ready', '--before', file, '-c', config, ...flags], opts),
  ])
  expect(analyzed.code, analyzed.stderr).toBe(0)
  const text = collapse(analyzed.stdout)
  expect(text).toContain(`${rendered.label} ${rendered.check} — `)
  for (const found of rendered.found) expect(text).toMatch(found)

  expect(verified.code, verified.stderr).not.toBe(2)
  expect(verified.stderr).not.toMatch(/does not match the doctor report schema/)
  expect(verified.stdout).toMatch(new RegExp(`Before: ${escape(file)} \\(`))
  expect(verified.stdout).toMatch(/\n {2}readiness +\S+ \w+ +→ /)
  // The same verdict in-process, naming every offending field.
  expect(schemaProblems(file), file).toEqual([])
}

describe('every report doctor writes loads back into analyze and verify', () => {
  // One report per failure mode, saved as `doctor report --output-dir` writes it (what `doctor verify` reads by default).
  it.for(MODES)('doctor report --output-dir: $name', async (mode) => {
    const config = writeConfig(mode.config())
    const dir = join(dirname(config), 'report')
    const saved = await runCli(['report', '-c', config, '--output-dir', dir, ...mode.flags], {
      cwd: dirname(config),
      timeoutMs: 40_000,
    })
    expect(saved.code, saved.stderr).toBeLessThanOrEqual(1)
    const file = join(dir, 'doctor-report.json')
    expect(existsSync(file), saved.stderr).toBe(true)
    const report = JSON.parse(readFileSync(file, 'utf8')) as SavedReport
    expect(report.results.find((r) => r.id === mode.check)?.status).not.toMatch(/^(pass|skip)$/)
    expect(outcomes(report, 'readiness')).toEqual(mode.outcomes)
    await loadsBack(file, config, mode.flags, {check: mode.check, label: mode.label, found: [mode.found]})
    for (const exchange of report.http.exchanges)
      if (exchange.error?.code !== undefined) expect(typeof exchange.error.code).toBe('string')
  })

  // `doctor all --json > file`, with every failing endpoint in one run (the deadline has its own run above).
  it('doctor all --json > file: every failure mode in one report', async () => {
    const config = writeConfig({
      target: {baseUrl: url.hung},
      readiness: {
        endpoints: [
          {name: 'hung', url: '/readyz'},
          {name: 'stalled', url: `${url.stalled}/readyz`},
          {name: 'reset', url: `${url.reset}/readyz`},
          {name: 'reset-mid-body', url: `${url.resetMidBody}/readyz`},
          {name: 'tls', url: `${url.tls}/readyz`},
          {name: 'loop', url: `${url.loop}/`},
          {name: 'oversized', url: `${url.oversized}/readyz`},
          {name: 'dns', url: 'http://doctor-roundtrip.invalid/readyz'},
          {name: 'refused', url: `${url.refused}/readyz`},
        ],
      },
      portal: {path: `${url.portal404}/portal/`},
      http: {timeoutMs: 2000, maxBodyBytes: 1024},
    })
    const r = await runCli(['all', '-c', config, '--json', ...CHECK_TIMEOUT], {cwd: dirname(config), timeoutMs: 40_000})
    expect(r.code, r.stderr).toBe(1)
    const file = join(dirname(config), 'all.json')
    writeFileSync(file, r.stdout)
    const report = JSON.parse(r.stdout) as SavedReport
    expect(report.results.find((x) => x.id === 'readiness')?.status).toBe('fail')
    expect(report.results.find((x) => x.id === 'portal-spa')?.status).toBe('error')
    expect(outcomes(report, 'readiness')).toEqual([
      '302',
      '503',
      'dns',
      'refused',
      'reset',
      'reset',
      'timeout',
      'timeout',
      'tls',
    ])
    await loadsBack(file, config, CHECK_TIMEOUT, {
      check: 'readiness',
      label: '✗',
      found: [
        /9 endpoints are not ready/,
        /did not answer within 2000 ms/,
        /closed the connection/,
        /TLS verification/,
        /connection refused/,
      ],
    })
  })

  // A longer timer fires after 1 ms (the run ended at once), and past 2^53 ms the report's options were not integers the schema accepts.
  it('a time limit too long for a timer is refused up front, not written into a report that cannot load', async () => {
    const config = writeConfig({target: {baseUrl: url.portal404}, readiness: {endpoints: ['/readyz']}})
    for (const [flag, value] of [
      ['--timeout', '30d'],
      ['--check-timeout', '99999999999999999999999s'],
    ]) {
      const r = await runCli(['run', 'readiness', '-c', config, '--json', flag, value], {
        cwd: dirname(config),
        timeoutMs: 20_000,
      })
      expect(r.code, r.stdout).toBe(2)
      expect(r.stdout).toMatch(/is longer than doctor can wait; use at most 24d/)
    }
    const ok = await runCli(
      ['run', 'readiness', '-c', config, '--json', '--timeout', '24d', '--check-timeout', '24d'],
      {cwd: dirname(config), timeoutMs: 20_000},
    )
    expect(ok.code, ok.stderr).toBe(0)
    const saved = join(dirname(config), 'long.json')
    writeFileSync(saved, ok.stdout)
    expect(schemaProblems(saved)).toEqual([])
  })
})
