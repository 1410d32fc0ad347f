import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Report} from '../../src/report/schema.js'
import {runCli, writeConfig} from '../helpers/cli.js'
import {type LoginEnv, startLoginEnv, USER} from '../helpers/login-env.js'

/** The built CLI, as a child process, against oidc-provider and a real relying party. */
describe('login checks through the CLI', () => {
  let healthy: LoginEnv
  let looping: LoginEnv
  beforeAll(async () => {
    healthy = await startLoginEnv()
    // A session cookie for another domain: the browser drops it and the login loops.
    looping = await startLoginEnv({
      named: true,
      rp: {sessionCookieAttributes: 'Path=/; HttpOnly; SameSite=Lax; Domain=other.example.test'},
    })
  })
  afterAll(async () => {
    await Promise.all([healthy.stop(), looping.stop()])
  })

  const configFor = (env: LoginEnv) => {
    const config = env.config() as {login: {testUser: {password: string}}}
    // The password comes from the environment, as the docs tell users to do.
    config.login.testUser.password = '${DOCTOR_TEST_PASSWORD}'
    return writeConfig(config)
  }
  const ids = ['oidc-discovery', 'oidc-redirect-uri', 'session-cookie', 'login-redirect-loop']

  it('a healthy login: all four login checks pass', async () => {
    const r = await runCli(['run', ...ids, '-c', configFor(healthy), '--json'], {
      env: {DOCTOR_TEST_PASSWORD: USER.password},
    })
    const report = JSON.parse(r.stdout) as Report
    expect(
      report.results.map((x) => `${x.id}:${x.status}`),
      r.stdout.slice(0, 2000),
    ).toEqual(ids.map((id) => `${id}:pass`).sort())
    expect(r.code).toBe(0)
  })

  for (const json of [false, true]) {
    it(`a loop is diagnosed, and no password, cookie value, code or state reaches the ${json ? 'JSON' : 'text'} output`, async () => {
      const r = await runCli(['all', '-c', configFor(looping), ...(json ? ['--json'] : [])], {
        env: {DOCTOR_TEST_PASSWORD: USER.password},
      })
      expect(r.code).toBe(1)
      const out = r.stdout + r.stderr
      expect(out).not.toContain(USER.password)
      expect(looping.rp.issued.length).toBeGreaterThanOrEqual(2)
      for (const value of looping.rp.issued) expect(out).not.toContain(value)
      // Authorization codes, states and PKCE challenges in recorded URLs are redacted too.
      expect(out).not.toMatch(/[?&](code|state|code_challenge)=(?!‹redacted)[\w-]{16,}/)
      if (json) {
        const report = JSON.parse(r.stdout) as Report
        const loop = report.results.find((x) => x.id === 'login-redirect-loop')!
        expect(loop.status).toBe('fail')
        expect(loop.cause?.kb).toBe('login-redirect-loop#session-cookie-domain')
        expect(report.results.find((x) => x.id === 'session-cookie')?.cause?.kb).toBe(
          'cookie-domain-mismatch#domain-not-matching-host',
        )
        expect(report.redactions.map((x) => x.kind)).toEqual(expect.arrayContaining(['cookie']))
      } else {
        // The terminal output wraps; read it as one line.
        const flat = r.stdout.replace(/\s*\n\s*(?:Note|Found)?\s*/g, ' ')
        expect(flat).toMatch(
          /redirect loop: \/console → \/login → 127\.0\.0\.1:\d+ \(\d hops\) → \/auth\/callback → \/console and round again/,
        )
        expect(flat).toMatch(
          /Set-Cookie at hop \d+ \(GET http:\/\/console\.example\.test:\d+\/auth\/callback\): rp_session=‹redacted:cookie:[0-9a-f]{4}›; Path=\/; HttpOnly; SameSite=Lax; Domain=other\.example\.test/,
        )
        expect(r.stdout).toContain('doctor explain login-redirect-loop#session-cookie-domain')
      }
    })
  }

  it('explain --run confirms the cause behind a pasted browser error', async () => {
    const r = await runCli(['explain', 'ERR_TOO_MANY_REDIRECTS', '--run', '-c', configFor(looping), '--json'], {
      env: {DOCTOR_TEST_PASSWORD: USER.password},
    })
    const result = JSON.parse(r.stdout) as {run: {verdicts: Array<{ref: string; verdict: string}>}}
    const verdict = (ref: string) => result.run.verdicts.find((v) => v.ref === ref)?.verdict
    expect(verdict('login-redirect-loop#session-cookie-domain')).toBe('confirmed')
    expect(verdict('login-redirect-loop#issuer-mismatch')).toBe('other-cause')
  })
})

describe('the sandbox behind npm run demo', () => {
  it('shows each login fault diagnosed, and --fixed stays clean', async () => {
    const faulty = await runCli(['demo', '--json'])
    const report = JSON.parse(faulty.stdout) as Report
    const kb = (id: string) => report.results.find((x) => x.id === id)?.cause?.kb
    expect(kb('oidc-discovery')).toBe('oidc-discovery-failed#issuer-mismatch')
    expect(kb('oidc-redirect-uri')).toBe('oidc-redirect-uri-rejected#callback-not-registered')
    expect(kb('session-cookie')).toBe('cookie-samesite-none-without-secure#none-without-secure')
    expect(kb('login-redirect-loop')).toBe('login-redirect-loop#cookie-rejected-insecure')
    const fixed = await runCli(['demo', '--fixed', '--json'])
    expect(
      (JSON.parse(fixed.stdout) as Report).results
        .map((x) => `${x.id}:${x.status}`)
        .filter((x) => !/:(pass|skip)$/.test(x)),
    ).toEqual([])
  })
})
