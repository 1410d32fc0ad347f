import {readFileSync} from 'node:fs'
import {Ajv2020} from 'ajv/dist/2020.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {checkIds} from '../../src/engine/registry.js'
import type {Report} from '../../src/report/schema.js'
import {startSandbox, type Sandbox} from '../../src/sandbox/server.js'
import {browserAvailable} from '../helpers/browser.js'
import {runCli, writeConfig} from '../helpers/cli.js'
import {send, startServer, streamBytes, type TestServer} from '../helpers/servers.js'

const reportSchema = JSON.parse(readFileSync(new URL('../../src/report/report.schema.json', import.meta.url), 'utf8'))
const validateReport = new Ajv2020({allErrors: true, strict: false}).compile(reportSchema)

/** Without Chromium (and outside CI) the mobile check skips, as it tells users to install one. */
const withBrowser = browserAvailable()
const expectedPass = (id: string) => `${id}:${id === 'viewport-overflow' && !withBrowser ? 'skip' : 'pass'}`

function parseReport(stdout: string): Report {
  const report = JSON.parse(stdout) as Report
  const ok = validateReport(report)
  if (!ok)
    throw new Error(`report does not match report.schema.json: ${JSON.stringify(validateReport.errors, null, 2)}`)
  return report
}

let faulty: Sandbox
let healthy: Sandbox

beforeAll(async () => {
  faulty = await startSandbox({faults: ['redis-down', 'idp-clock-ahead']})
  healthy = await startSandbox({faults: []})
})
afterAll(async () => {
  await Promise.all([faulty.stop(), healthy.stop()])
})

describe('doctor CLI against the sandbox', () => {
  it('finds both faults, explains them, and exits 1', async () => {
    const config = writeConfig(faulty.config)
    const r = await runCli(['all', '-c', config])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/✗ fail\s+│ clock-skew/)
    expect(r.stdout).toMatch(/✗ fail\s+│ readiness/)
    expect(r.stdout).toMatch(/redis/i)
    expect(r.stdout).toMatch(/Cause/)
    expect(r.stdout).toMatch(/Fix/)
    expect(r.stdout).toMatch(/Verify/)
    expect(r.stdout).toMatch(/Problems found: 2 failed/)
    // Progress goes to stderr as plain lines when it is not a terminal.
    expect(r.stderr).toMatch(/\[\d+\/\d+\] readiness: fail/)
  })

  it('comes out clean on the fixed sandbox (no false alarm)', async () => {
    const r = await runCli(['all', '-c', writeConfig(healthy.config), '--json'])
    expect(r.code).toBe(0)
    const report = parseReport(r.stdout)
    expect(report.verdict).toBe('pass')
    // Every registered check runs against the sandbox and passes: no false alarm anywhere.
    expect(report.results.map((x: {id: string; status: string}) => `${x.id}:${x.status}`)).toEqual(
      checkIds().map(expectedPass),
    )
  })

  it('--json prints one valid report object and nothing else, with stderr quiet', async () => {
    const r = await runCli(['all', '-c', writeConfig(faulty.config), '--json'])
    expect(r.code).toBe(1)
    const report = parseReport(r.stdout)
    expect(r.stderr).toBe('')
    expect(report.schemaVersion).toBe(1)
    expect(report.exitCode).toBe(1)
    expect(report.summary).toMatchObject({
      fail: 2,
      pass: checkIds().length - 2 - (withBrowser ? 0 : 1),
      total: checkIds().length,
    })
    const readiness = report.results.find((x) => x.id === 'readiness')!
    expect(readiness.cause!.fix.length).toBeGreaterThan(0)
    expect(readiness.cause!.verify.length).toBeGreaterThan(0)
    expect(readiness.evidence!.exchanges!.length).toBeGreaterThan(0)
    // Each distinct request (URL and headers: api-token asks one URL with and without credentials) is sent
    // once per run; the login walk is a browser and revisits pages on purpose.
    const gets = report.http.exchanges
      .filter((e) => e.method === 'GET' && e.purpose !== 'login-walk')
      .map((e) => `${e.url} ${JSON.stringify(e.requestHeaders)}`)
    expect(new Set(gets).size).toBe(gets.length)
  })

  it('runs only the named checks', async () => {
    const r = await runCli(['run', 'readiness', '-c', writeConfig(faulty.config), '--json'])
    expect(r.code).toBe(1)
    expect(parseReport(r.stdout).results.map((x: {id: string}) => x.id)).toEqual(['readiness'])
  })

  it('--fail-on warn makes warnings fail the run; severity caps keep CI green', async () => {
    const capped = writeConfig({
      ...faulty.config,
      checks: {readiness: {severity: 'warn'}, 'clock-skew': {enabled: false}},
    })
    const r1 = await runCli(['all', '-c', capped, '--json'])
    expect(r1.code).toBe(0)
    const report = parseReport(r1.stdout)
    const expected = Object.fromEntries(checkIds().map((id) => [id, expectedPass(id).split(':')[1]]))
    Object.assign(expected, {'clock-skew': 'skip', readiness: 'warn'})
    expect(report.results.map((x: {id: string; status: string}) => `${x.id}:${x.status}`)).toEqual(
      Object.entries(expected).map(([id, status]) => `${id}:${status}`),
    )
    const r2 = await runCli(['all', '-c', capped, '--fail-on', 'warn', '--json'])
    expect(r2.code).toBe(1)
  })

  it('demo diagnoses the sandbox and exits 0; demo --fixed is clean', async () => {
    const faultyRun = await runCli(['demo'])
    expect(faultyRun.code).toBe(0)
    expect(faultyRun.stderr).toMatch(
      /^Sandbox started: a self-hosted Release Passport \(its console behind an OIDC login through a real OpenID Provider/,
    )
    expect(faultyRun.stderr).toContain('faults: redis-down, idp-clock-ahead')
    expect(faultyRun.stdout).toMatch(/Problems found/)
    // The IdP is oidc-provider: the CLI callback is refused with its error page, and its development notices stay quiet.
    expect(faultyRun.stdout.replace(/\s+/g, ' ')).toMatch(
      /the IdP rejects redirect_uri http:\/\/127\.0\.0\.1:\d+\/api\/v1\/auth\/cli\/callback \(oidc-provider, invalid_redirect_uri\)/,
    )
    expect(faultyRun.stdout + faultyRun.stderr).not.toMatch(/oidc-provider (WARNING|NOTICE)/)
    const fixed = await runCli(['demo', '--fixed', '--json'])
    expect(fixed.code).toBe(0)
    expect(parseReport(fixed.stdout).verdict).toBe('pass')
    const strict = await runCli(['demo', '--fault', 'redis-down', '--fail-on', 'fail', '--json'])
    expect(strict.code).toBe(1)
    expect(parseReport(strict.stdout).results.find((x) => x.id === 'readiness')?.status).toBe('fail')
  })
})

describe('the sandbox signs in through a real OpenID Provider', () => {
  it("the test user signs in at oidc-provider's login form and the app redeems the code at its token endpoint", async () => {
    const ids = ['login-redirect-loop', 'oidc-discovery', 'oidc-redirect-uri', 'session-cookie']
    const r = await runCli(['run', ...ids, '-c', writeConfig(healthy.config), '--json'])
    const report = parseReport(r.stdout)
    expect(report.results.map((x) => `${x.id}:${x.status}`)).toEqual(ids.map((id) => `${id}:pass`))
    expect(report.results.find((x) => x.id === 'login-redirect-loop')?.message).toMatch(
      /^signed in as the test user and reached http:\/\/127\.0\.0\.1:\d+\/console \(HTTP 200\)/,
    )
    const walk = report.http.exchanges
      .filter((e) => e.purpose === 'login-walk')
      .map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}`)
    expect(walk).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^POST \/realms\/sandbox\/interaction\/\S+\/login 303$/),
        expect.stringMatching(/^GET \/api\/v1\/auth\/web\/callback 302$/),
        'GET /console 200',
      ]),
    )
  })

  it('discovery publishes a token endpoint and a key set; with issuer-trailing-slash the issuer ends with a slash', async () => {
    const issuer = (healthy.config.oidc as {issuer: string}).issuer
    const doc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    expect(doc).toMatchObject({issuer, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`})
    const slashed = await startSandbox({faults: ['issuer-trailing-slash']})
    try {
      const published = (await (
        await fetch(`${(slashed.config.oidc as {issuer: string}).issuer}/.well-known/openid-configuration`)
      ).json()) as {issuer: string}
      expect(published.issuer).toBe(`${(slashed.config.oidc as {issuer: string}).issuer}/`)
    } finally {
      await slashed.stop()
    }
  })

  for (const json of [false, true]) {
    it(`the test user's password and the console's client secret never reach the ${json ? 'JSON' : 'table'} output`, async () => {
      expect(faulty.secrets.length).toBe(2)
      const r = await runCli(['all', '-c', writeConfig(faulty.config), ...(json ? ['--json'] : [])])
      expect(r.code).toBe(1)
      for (const secret of faulty.secrets) expect(r.stdout + r.stderr).not.toContain(secret)
    })
  }
})

describe('secrets never reach output', () => {
  let leaky: TestServer
  const CANARY_TOKEN = 'canary-token-7f3a9c1e5b'
  const CANARY_COOKIE = 'canary-cookie-2d8e4f6a0c'
  const CANARY_CODE = 'canary-code-91b7e3d5f2'
  beforeAll(async () => {
    // A badly behaved server that echoes credentials back in every place doctor records.
    leaky = await startServer((req, res) => {
      res.setHeader('set-cookie', `session=${CANARY_COOKIE}; Path=/; HttpOnly`)
      if (req.url === '/readyz') {
        res.setHeader('location', `/login?code=${CANARY_CODE}&state=${CANARY_CODE}`)
        return send(res, 503, {
          status: 'fail',
          echo: req.headers.authorization,
          cookie: CANARY_COOKIE,
          checks: {'db:connections': [{status: 'fail', output: `auth ${req.headers.authorization}`}]},
        })
      }
      send(res, 200, {status: 'pass'})
    })
  })
  afterAll(() => leaky.close())

  for (const json of [false, true]) {
    it(`in ${json ? 'JSON' : 'table'} output`, async () => {
      const config = writeConfig({
        target: {baseUrl: leaky.url},
        readiness: {
          endpoints: [
            {url: '/readyz', headers: {Authorization: 'Bearer ${CANARY_TOKEN}', Cookie: `session=${CANARY_COOKIE}`}},
          ],
        },
      })
      const r = await runCli(['run', 'readiness', '-c', config, ...(json ? ['--json'] : [])], {env: {CANARY_TOKEN}})
      expect(r.code).toBe(1)
      for (const canary of [CANARY_TOKEN, CANARY_COOKIE, CANARY_CODE]) {
        expect(r.stdout).not.toContain(canary)
        expect(r.stderr).not.toContain(canary)
      }
      expect(r.stdout).toContain('‹redacted:')
      if (json) expect(parseReport(r.stdout).redactions.length).toBeGreaterThan(0)
    })
  }
})

describe('bad targets end cleanly', () => {
  let hung: TestServer
  let huge: TestServer
  beforeAll(async () => {
    hung = await startServer(() => {
      /* accepts, never answers */
    })
    huge = await startServer((_req, res) => streamBytes(res, 50 * 1024 * 1024, 'text/plain'))
  })
  afterAll(async () => {
    await Promise.all([hung.close(), huge.close()])
  })

  it('a target that never answers: the run still ends by its deadline', async () => {
    const config = writeConfig({target: {baseUrl: hung.url}, readiness: {endpoints: ['/readyz']}, clock: {samples: 2}})
    // runCli kills a run that outlives 15 s: a hang fails the test without a wall-clock assertion here.
    const r = await runCli(['all', '-c', config, '--check-timeout', '1500ms', '--timeout', '3s', '--json'], {
      timeoutMs: 15_000,
    })
    expect(r.code).toBe(1)
    const report = parseReport(r.stdout)
    for (const result of report.results.filter((x) => x.status !== 'skip'))
      expect(['fail', 'timeout', 'error'], `${result.id}: ${result.message}`).toContain(result.status)
  })

  it('a refused connection is a finding with a hint, not a crash', async () => {
    const closed = await startServer(() => {})
    const url = closed.url
    await closed.close()
    const r = await runCli([
      'run',
      'readiness',
      '-c',
      writeConfig({target: {baseUrl: url}, readiness: {endpoints: ['/readyz']}}),
    ])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/refused/i)
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
  })

  it('a 50 MB response is read up to the cap', async () => {
    const r = await runCli([
      'run',
      'readiness',
      '-c',
      writeConfig({target: {baseUrl: huge.url}, readiness: {endpoints: ['/']}}),
      '--json',
    ])
    const report = parseReport(r.stdout)
    expect(report.http.exchanges[0].truncated).toBe(true)
    expect(report.http.exchanges[0].bodyBytes).toBe(1024 * 1024)
  })
})

describe('usage and config errors exit 2 with one clear paragraph', () => {
  const cases: Array<[string, string[], RegExp, string?]> = [
    ['no config', ['all'], /No config file found/],
    [
      'malformed YAML',
      ['all', '-c', 'CONFIG'],
      /not valid YAML[\s\S]*doctor\.yaml:\d+:\d+: Flow sequence/,
      'target:\n  baseUrl: [oops\n',
    ],
    [
      'unknown key',
      ['config', 'validate', '-c', 'CONFIG'],
      /unknown key "readines"\. Did you mean "readiness"\?/,
      'readines:\n  endpoints: [/x]\n',
    ],
    ['wrong type', ['all', '-c', 'CONFIG'], /clock\.samples: expected number, got string/, 'clock:\n  samples: lots\n'],
    [
      'missing env var',
      ['all', '-c', 'CONFIG'],
      /target\.baseUrl: \$\{DOCTOR_TEST_UNSET_URL\} is unset/,
      'target:\n  baseUrl: ${DOCTOR_TEST_UNSET_URL}\n',
    ],
    [
      'not a URL',
      ['all', '-c', 'CONFIG'],
      /"localhost:8080" is not an absolute http/,
      'target:\n  baseUrl: localhost:8080\n',
    ],
    [
      'unknown check id',
      ['run', 'redaines', '-c', 'CONFIG'],
      /Unknown check id: "redaines"\. Did you mean "readiness"\?/,
      'target:\n  baseUrl: http://127.0.0.1:9\n',
    ],
    ['unknown flag', ['all', '--colour'], /Nonexistent flag: --colour/],
    ['bad duration', ['all', '--timeout', 'soon'], /Invalid value for --timeout: "soon" is not a duration/],
    [
      'missing CA file',
      ['all', '-c', 'CONFIG', '--ca', '/nonexistent/ca.pem'],
      /Cannot read the CA file \/nonexistent\/ca\.pem/,
      'target:\n  baseUrl: https://127.0.0.1:9\nreadiness:\n  endpoints: [/r]\n',
    ],
  ]
  for (const [name, args, pattern, yaml] of cases) {
    it(name, async () => {
      const path = yaml ? writeConfig(yaml) : undefined
      const r = await runCli(args.map((a) => (a === 'CONFIG' ? path! : a)))
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(pattern)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(r.stdout).toBe('')
    })
  }

  it('under --json an error is a JSON object on stdout', async () => {
    const r = await runCli(['all', '-c', writeConfig('clock:\n  samples: lots\n'), '--json'])
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).error.exitCode).toBe(2)
  })
})

describe('list, config and version', () => {
  it('list shows every check and, with a config, which are enabled', async () => {
    const plain = await runCli(['list'])
    expect(plain.code).toBe(0)
    expect(plain.stdout).toMatch(/clock-skew\s+platform/)
    const withConfig = await runCli([
      'list',
      '-c',
      writeConfig({target: {baseUrl: 'http://127.0.0.1:9'}, checks: {'clock-skew': {enabled: false}}}),
      '--json',
    ])
    const listed = JSON.parse(withConfig.stdout).checks
    expect(listed.find((c: {id: string}) => c.id === 'clock-skew').state).toBe('disabled')
    expect(listed.find((c: {id: string}) => c.id === 'readiness')).toMatchObject({
      state: 'not-configured',
      reason: 'not configured: set readiness.endpoints in doctor.yaml',
    })
  })

  it('config validate and config schema', async () => {
    const ok = await runCli(['config', 'validate', '-c', writeConfig(healthy.config)])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/is valid/)
    const schema = await runCli(['config', 'schema'])
    expect(schema.code).toBe(0)
    const parsed = JSON.parse(schema.stdout)
    expect(parsed.properties.readiness).toBeDefined()
    // The sandbox's config is valid against the exported schema, as an editor would check it.
    const validate = new Ajv2020({strict: false}).compile(parsed)
    expect(validate(healthy.config), JSON.stringify(validate.errors)).toBe(true)
  })

  it('--version', async () => {
    const r = await runCli(['--version'])
    expect(r.stdout).toMatch(/^doctor\/\d+\.\d+\.\d+/)
  })
})

describe('TLS from the command line', () => {
  it('a self-signed certificate is named as such, with --ca suggested; --insecure is recorded', async () => {
    const {createServer} = await import('node:https')
    const {makeCertificates} = await import('../helpers/tls.js')
    const certs = makeCertificates()
    const server = createServer({key: certs.selfSignedKey, cert: certs.selfSignedCert}, (_req, res) => {
      res.writeHead(200, {'content-type': 'text/plain'})
      res.end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as {port: number}).port
    const config = writeConfig({target: {baseUrl: `https://127.0.0.1:${port}`}, readiness: {endpoints: ['/readyz']}})
    try {
      const strict = await runCli(['run', 'readiness', '-c', config])
      expect(strict.code).toBe(1)
      expect(strict.stdout).toMatch(/self-signed|SELF_SIGNED/)
      expect(strict.stdout).toContain('--ca')
      const insecure = await runCli(['run', 'readiness', '-c', config, '--insecure', '--json'])
      expect(insecure.code).toBe(0)
      const report = parseReport(insecure.stdout)
      expect(report.options.insecure).toBe(true)
      expect(report.warnings.join(' ')).toMatch(/TLS certificate verification was disabled/)
    } finally {
      server.close()
    }
  })
})
