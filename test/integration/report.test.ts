import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {base64Needles} from '../../src/redact/redactor.js'
import type {Report} from '../../src/report/schema.js'
import {runCli, writeConfig} from '../helpers/cli.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/**
 * The canary suite. Distinct canary secrets are planted everywhere a secret can come from:
 * config fields, env vars (referenced and not), request headers the server echoes back,
 * response headers, cookies, JSON and text bodies, redirect URLs, URL userinfo in a failing
 * request's error, and base64 inside a body. Then every output format and both bundle kinds
 * are produced by the built CLI, and every byte written (stdout, stderr, files, the unpacked
 * archive) is searched for every canary in every encoding.
 */
const C = {
  // Known values: doctor learns them from the config and the environment.
  configPassword: 'cnry-cfg-password-4d1c9e',
  headerFromEnv: 'cnry-env-header-8b2f71', // DOCTOR_CANARY_HEADER: not secret-named, but used in a secret config field
  apiToken: 'cnry-api-token-5e0a3b', // CANARY_API_TOKEN via api.tokenEnv
  webhookSecret: 'whsec_cnryWebhookSecret9f8e7d6c', // CANARY_WEBHOOK_SECRET via webhooks[].secretEnv
  unusedEnv: 'cnry-env-unused-secret-2a7f', // SOME_SERVICE_PASSWORD: referenced nowhere, echoed by the server
  userinfoPassword: 'cnry-userinfo-pw-6c3d', // in a URL's userinfo in the config
  // Unknown values: only their position says they are secret.
  respCookie: 'cnry-resp-cookie-1f2e3d',
  respHeader: 'cnry-resp-header-7a8b9c',
  respAccessToken: 'cnry-resp-at-0d9e8f',
  respAuthText: 'cnry-resp-authtext-4b5c6d',
  respCode: 'cnry-resp-code-2c3d4e',
  respState: 'cnry-resp-state-9e8d7c',
  respFormPassword: 'cnry-resp-formpw-3f4a5b',
  respGithubToken: 'ghp_CnryResponseGithubToken00000000000001',
  respJwt: `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"cnry-jwt-subject-77"}').toString('base64url')}.Y25yeS1qd3Qtc2lnbmF0dXJl`,
  respPem:
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcnryPemKey0123456789\n-----END PRIVATE KEY-----',
  email: 'cnry.person@example.org',
}

/** Every way a canary could show up in bytes doctor writes. */
function encodings(value: string): string[] {
  const forms = new Set([
    value,
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
    value.replace(/&/g, '&amp;').replace(/</g, '&lt;'),
    Buffer.from(value).toString('hex'),
  ])
  for (const needle of base64Needles(value)) forms.add(needle)
  forms.add(Buffer.from(value).toString('base64url'))
  // The PEM's body line and the JWT's payload are the secret parts of those canaries.
  if (value.includes('PRIVATE KEY')) forms.add('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcnryPemKey0123456789')
  if (value.startsWith('eyJ')) forms.add(value.split('.')[1]).add('cnry-jwt-subject-77')
  return [...forms].filter((f) => f.length >= 8)
}

function expectNoCanary(label: string, bytes: Buffer | string, skip: string[] = []): void {
  const text = Buffer.isBuffer(bytes) ? bytes.toString('latin1') : bytes
  for (const [name, value] of Object.entries(C)) {
    if (skip.includes(name)) continue
    for (const form of encodings(value))
      expect(
        text.includes(form),
        `${label} contains canary ${name} (${form === value ? 'as is' : `encoded as ${form.slice(0, 12)}…`})`,
      ).toBe(false)
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

describe('canary suite: no secret reaches any output, in any format or encoding', () => {
  let leaky: TestServer
  let closedUrl: string
  const seen = {header: 0, token: 0, webhookPosts: 0}
  const work = mkdtempSync(join(tmpdir(), 'doctor-canary-'))
  const outputs: Array<{label: string; bytes: Buffer | string; skip?: string[]}> = []
  let config: string
  const env = {
    DOCTOR_CANARY_HEADER: C.headerFromEnv,
    CANARY_API_TOKEN: C.apiToken,
    CANARY_WEBHOOK_SECRET: C.webhookSecret,
    SOME_SERVICE_PASSWORD: C.unusedEnv,
  }

  beforeAll(async () => {
    const closed = await startServer(() => {})
    closedUrl = closed.url
    await closed.close()
    // A badly behaved app that hands secrets back in every place doctor records.
    leaky = await startServer((req, res) => {
      if (req.headers.authorization === `Bearer ${C.headerFromEnv}`) seen.header++
      if (req.headers.authorization === `Bearer ${C.apiToken}`) seen.token++
      res.setHeader('set-cookie', [`sid=${C.respCookie}; Path=/; HttpOnly`, `pref=light; Path=/`])
      res.setHeader('x-api-key', C.respHeader)
      const url = req.url ?? '/'
      if (url === '/readyz') {
        return send(res, 503, {
          status: 'fail',
          access_token: C.respAccessToken,
          echo: req.headers.authorization,
          debug: `Authorization: Bearer ${C.respAuthText}; env SOME_SERVICE_PASSWORD=${C.unusedEnv}`,
          owner: C.email,
          checks: {'db:connections': [{status: 'fail', output: `token ${C.respGithubToken} rejected`}]},
        })
      }
      if (url === '/redirect') {
        res.setHeader('location', `/callback?code=${C.respCode}&state=${C.respState}`)
        return send(res, 302, '')
      }
      if (url === '/boom') {
        res.writeHead(500, {'content-type': 'text/plain'})
        return res.end(
          `Traceback: login failed with password=${C.respFormPassword}&user=admin\nsession jwt ${C.respJwt}\n${C.respPem}\n`,
        )
      }
      if (url.startsWith('/api/whoami')) {
        res.setHeader(
          'www-authenticate',
          `Bearer realm="x", error="invalid_token", error_description="token ${C.apiToken} is not known"`,
        )
        return send(res, 401, {
          error: 'invalid_token',
          received: req.headers.authorization,
          basic: Buffer.from(`ci-bot:${C.apiToken}`).toString('base64'),
        })
      }
      if (url === '/webhook') {
        seen.webhookPosts++
        return send(res, 400, {
          error: `signature mismatch; expected a signature made with ${C.webhookSecret}`,
          headers: req.headers,
        })
      }
      send(res, 200, {status: 'pass'})
    })
    config = writeConfig({
      target: {baseUrl: leaky.url},
      readiness: {
        endpoints: [
          {url: '/readyz', name: 'api', headers: {Authorization: 'Bearer ${DOCTOR_CANARY_HEADER}'}},
          {url: '/redirect', name: 'redirect'},
          {url: '/boom', name: 'boom'},
          {url: `${closedUrl.replace('http://', `http://admin:${C.userinfoPassword}@`)}/healthz`, name: 'userinfo'},
        ],
      },
      api: {url: '/api/whoami', tokenEnv: 'CANARY_API_TOKEN'},
      webhooks: [{name: 'stripe', url: '/webhook', scheme: 'stripe', secretEnv: 'CANARY_WEBHOOK_SECRET'}],
      login: {testUser: {username: 'ci-bot', password: C.configPassword, email: C.email}},
    })

    const run = async (label: string, args: string[], skip: string[] = ['email']) => {
      const r = await runCli([...args, '-c', config, '--allow-writes', '--check-timeout', '5s'], {
        env,
        cwd: work,
        timeoutMs: 45_000,
      })
      expect(r.code, `${label}: ${r.stderr}`).toBe(1)
      outputs.push({label: `${label} stdout`, bytes: r.stdout, skip}, {label: `${label} stderr`, bytes: r.stderr, skip})
      return r
    }
    await run('all (text)', ['all'])
    await run('all --json', ['all', '--json'])
    await run('all --format markdown', ['all', '--format', 'markdown'])
    await run('all --format junit -o', ['all', '--format', 'junit', '-o', join(work, 'junit.xml')])
    await run('report + archive', [
      'report',
      '--output-dir',
      join(work, 'report'),
      '--bundle',
      join(work, 'bundle.tar.gz'),
    ])
    await run(
      'report + folder, --redact-emails',
      [
        'report',
        '--output-dir',
        join(work, 'report-emails'),
        '--bundle',
        join(work, 'bundle-emails'),
        '--redact-emails',
      ],
      [],
    )
    const analyzed = await runCli(['analyze', join(work, 'report', 'doctor-report.json'), '--format', 'markdown'], {
      env,
      cwd: work,
    })
    expect(analyzed.code, analyzed.stderr).toBe(0)
    outputs.push({label: 'analyze stdout', bytes: analyzed.stdout, skip: ['email']})
    for (const file of filesUnder(work)) {
      const bytes = readFileSync(file)
      outputs.push({
        label: file.slice(work.length + 1),
        bytes: file.endsWith('.tar.gz') ? gunzipSync(bytes) : bytes,
        skip: file.includes('emails') ? [] : ['email'],
      })
    }
  }, 240_000)
  afterAll(() => leaky?.close())

  it('the planted secrets were really exercised: sent, echoed and recognised', () => {
    expect(seen.header).toBeGreaterThan(0)
    expect(seen.token).toBeGreaterThan(0)
    expect(seen.webhookPosts).toBeGreaterThan(0)
    const report = JSON.parse(readFileSync(join(work, 'report', 'doctor-report.json'), 'utf8')) as Report
    const kinds = new Set(report.redactions.map((r) => r.kind))
    for (const kind of [
      'cookie',
      'credential',
      'jwt',
      'private-key',
      'param:code',
      'param:state',
      'password',
      'secret',
      'token',
    ])
      expect(kinds, kind).toContain(kind)
    const text = JSON.stringify(report)
    expect(text).toMatch(/sid=‹redacted:cookie:[0-9a-f]{4}›; Path=\/; HttpOnly/) // cookie names and attributes survive, values never
    expect(text).toContain(C.email) // emails stay unless --redact-emails
  })

  it('no canary in stdout or stderr of any format, nor in any file written, nor inside the archive', () => {
    expect(outputs.length).toBeGreaterThan(20)
    for (const o of outputs) expectNoCanary(o.label, o.bytes, o.skip)
  })

  it('--redact-emails removes the email everywhere in that run', () => {
    for (const o of outputs.filter((x) => x.label.includes('emails')))
      expect(Buffer.from(o.bytes).toString('utf8'), o.label).not.toContain(C.email)
    expect(outputs.filter((x) => x.label.includes('emails')).length).toBeGreaterThan(5)
  })

  it('the archive unpacks with the system tar into the same files as the folder bundle', () => {
    const into = mkdtempSync(join(tmpdir(), 'doctor-untar-'))
    execFileSync('tar', ['-xzf', join(work, 'bundle.tar.gz'), '-C', into])
    const unpacked = filesUnder(join(into, 'bundle'))
      .map((f) => f.slice(join(into, 'bundle').length + 1))
      .sort()
    const folder = filesUnder(join(work, 'bundle-emails'))
      .map((f) => f.slice(join(work, 'bundle-emails').length + 1))
      .sort()
    expect(unpacked).toEqual(folder)
    expect(unpacked).toEqual(
      expect.arrayContaining(['report.md', 'report.json', 'junit.xml', 'evidence/http.har', 'redactions.json']),
    )
    for (const f of unpacked) expectNoCanary(`unpacked ${f}`, readFileSync(join(into, 'bundle', f)), ['email'])
  })

  it('redactions.json lists kind and count per file and per place, never a value', () => {
    const index = JSON.parse(readFileSync(join(work, 'bundle-emails', 'redactions.json'), 'utf8')) as {
      session: Record<string, number>
      files: Array<{file: string; redactions: Record<string, number>}>
      places: Array<{where: string; redactions: Record<string, number>}>
    }
    expect(index.session.cookie).toBeGreaterThan(0)
    expect(index.session.email).toBeGreaterThan(0)
    expect(index.files.find((f) => f.file === 'report.json')?.redactions.cookie).toBeGreaterThan(0)
    expect(index.places.map((p) => p.where)).toEqual(
      expect.arrayContaining(['results.readiness', 'results.api-token', 'config.values', 'http.exchanges']),
    )
    for (const counts of [
      index.session,
      ...index.files.map((f) => f.redactions),
      ...index.places.map((p) => p.redactions),
    ]) {
      for (const v of Object.values(counts)) expect(typeof v).toBe('number')
    }
  })

  it('the HAR file is a HAR 1.2 log of every recorded exchange', () => {
    const har = JSON.parse(readFileSync(join(work, 'bundle-emails', 'evidence', 'http.har'), 'utf8'))
    const report = JSON.parse(readFileSync(join(work, 'bundle-emails', 'report.json'), 'utf8')) as Report
    expect(har.log.version).toBe('1.2')
    expect(har.log.entries).toHaveLength(report.http.exchanges.length)
    const redirect = har.log.entries.find((e: {request: {url: string}}) => e.request.url.endsWith('/redirect'))
    expect(redirect.response.status).toBe(302)
    expect(redirect.response.redirectURL).toMatch(/code=‹redacted:param:code:[0-9a-f]{4}›/)
    for (const e of har.log.entries) {
      expect(typeof e.startedDateTime).toBe('string')
      expect(Array.isArray(e.request.headers)).toBe(true)
      expect(typeof e.timings.wait).toBe('number')
    }
  })
})

describe('doctor report, analyze: end to end on the demo sandbox', () => {
  const work = mkdtempSync(join(tmpdir(), 'doctor-report-e2e-'))

  it('demo before and after the fix: report, JUnit valid against the XSD, analyze round-trips and compares', async () => {
    const before = await runCli(['demo', '-o', join(work, 'before.json')], {cwd: work, timeoutMs: 60_000})
    expect(before.code, before.stderr).toBe(0)
    const after = await runCli(['demo', '--fixed', '-o', join(work, 'after.json')], {cwd: work, timeoutMs: 60_000})
    expect(after.code, after.stderr).toBe(0)
    expect(after.stdout).toMatch(/No problems found/)

    // Round trip: analyze re-renders the saved JSON unchanged.
    const again = await runCli(['analyze', join(work, 'before.json'), '--json'], {cwd: work})
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(readFileSync(join(work, 'before.json'), 'utf8')))

    // The comparison a support engineer runs to confirm the fix.
    const compared = await runCli(['analyze', join(work, 'before.json'), join(work, 'after.json')], {cwd: work})
    expect(compared.code, compared.stdout).toBe(0)
    const failing = (JSON.parse(readFileSync(join(work, 'before.json'), 'utf8')) as Report).results.filter(
      (r) => r.status === 'fail',
    ).length
    expect(failing).toBeGreaterThan(10)
    expect(compared.stdout).toContain(`Fixed: ${failing} (a finding before, passing now)`)
    expect(compared.stdout).toMatch(/New: 0\n/)
    expect(compared.stdout).toMatch(/Still failing: 0\n/)
    const reversed = await runCli(
      ['analyze', join(work, 'after.json'), join(work, 'before.json'), '--format', 'json'],
      {cwd: work},
    )
    expect(reversed.code).toBe(1)
    expect(JSON.parse(reversed.stdout).new).toHaveLength(failing)

    const md = await runCli(['analyze', join(work, 'before.json'), '-o', join(work, 'before.md')], {cwd: work})
    expect(md.code, md.stderr).toBe(0)
    const markdown = readFileSync(join(work, 'before.md'), 'utf8')
    expect(markdown.length).toBeLessThanOrEqual(65_536)
    expect(markdown).toMatch(/^## ❌ doctor: Problems found/)
  }, 150_000)

  it.runIf(spawnSync('xmllint', ['--version']).status === 0 || process.env.CI === 'true')(
    "the demo's JUnit report validates against the JUnit XSD",
    async () => {
      const r = await runCli(['demo', '--format', 'junit', '-o', join(work, 'junit.xml')], {
        cwd: work,
        timeoutMs: 60_000,
      })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain('Wrote the junit report to')
      expect(existsSync(join(work, 'junit.xml'))).toBe(true)
      execFileSync(
        'xmllint',
        ['--noout', '--schema', new URL('../fixtures/junit.xsd', import.meta.url).pathname, join(work, 'junit.xml')],
        {stdio: 'pipe'},
      )
    },
    90_000,
  )

  it('usage errors: --json with --format markdown to stdout, unknown extension, a non-report to analyze', async () => {
    const both = await runCli(['demo', '--json', '--format', 'markdown'])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--json and --format markdown both ask for standard output/)
    const pdf = await runCli(['demo', '-o', join(work, 'x.pdf')])
    expect(pdf.code).toBe(2)
    expect(pdf.stderr).toMatch(/cannot tell which format to write to ".*x\.pdf"/)
    const three = await runCli(['analyze', 'a.json', 'b.json', 'c.json'])
    expect(three.code).toBe(2)
    const junitCompare = await runCli([
      'analyze',
      join(work, 'before.json'),
      join(work, 'after.json'),
      '--format',
      'junit',
    ])
    expect(junitCompare.code).toBe(2)
    expect(junitCompare.stderr).toMatch(/JUnit describes one run/)
  })
})
