import type {FilledOutcome} from '../../src/kb/cause.js'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import loginRedirectLoop from '../../checks/login-redirect-loop.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {type LoginEnv, startLoginEnv, USER} from '../helpers/login-env.js'
import type {RpOptions} from '../helpers/rp-app.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'
import {makeCertificates} from '../helpers/tls.js'

/** Run the check against a fresh app + oidc-provider pair with these faults. */
async function walk(
  options: {rp?: Partial<RpOptions>; named?: boolean} = {},
  extra: Parameters<LoginEnv['config']>[0] = {},
): Promise<{outcome: FilledOutcome; env: LoginEnv}> {
  const env = await startLoginEnv(options)
  const ctx = makeContext(env.config(extra))
  try {
    return {outcome: await runCheck(loginRedirectLoop, ctx), env}
  } finally {
    await ctx.close()
    await env.stop()
  }
}

const hops = (o: FilledOutcome): string[] => (o.evidence?.observed as {hops: string[]}).hops

describe('login-redirect-loop against oidc-provider and a real relying party', () => {
  it('healthy: signs in as the test user and reaches the console, no false alarm', async () => {
    const {outcome, env} = await walk()
    expect(outcome.status, outcome.message).toBe('pass')
    expect(outcome.message).toContain(`reached ${env.origin}/console (HTTP 200)`)
    // console -> login -> IdP -> login form -> POST -> resume -> callback -> console
    expect(hops(outcome).some((h) => /\(login-submit\) 303/.test(h))).toBe(true)
    expect(env.rp.sessions).toBe(1)
  })

  it('healthy on a named host that is not a secure context: still no false alarm', async () => {
    const {outcome} = await walk({named: true})
    expect(outcome.status, outcome.message).toBe('pass')
  })

  it('without a test user: walks to the IdP login form and says how to go further', async () => {
    const {outcome, env} = await walk({}, {withUser: false})
    expect(outcome.status).toBe('pass')
    expect(outcome.message).toMatch(/to the IdP's login form .*login\.testUser/)
    expect(env.rp.sessions).toBe(0)
  })

  const loops: Array<[string, {rp?: Partial<RpOptions>; named?: boolean}, string, RegExp]> = [
    [
      'a session cookie Domain that does not match the host',
      {named: true, rp: {sessionCookieAttributes: 'Path=/; HttpOnly; SameSite=Lax; Domain=other.example.test'}},
      'login-redirect-loop#session-cookie-domain',
      /drops rp_session: .*Domain=other\.example\.test does not domain-match the host console\.example\.test/,
    ],
    [
      'a Secure session cookie over plain http on a named host',
      {named: true, rp: {sessionCookieAttributes: 'Path=/; HttpOnly; Secure; SameSite=Lax'}},
      'login-redirect-loop#cookie-rejected-insecure',
      /drops rp_session: .*Secure cookie set over plain http:\/\/console\.example\.test/,
    ],
    [
      'SameSite=None without Secure',
      {rp: {sessionCookieAttributes: 'Path=/; HttpOnly; SameSite=None'}},
      'login-redirect-loop#cookie-rejected-insecure',
      /drops rp_session: .*SameSite=None requires Secure/,
    ],
    [
      'a session cookie over 4096 bytes',
      {rp: {sessionCookieBytes: 5000}},
      'cookie-too-large#tokens-in-cookie',
      /drops rp_session: .*over the 4096-octet limit/,
    ],
    [
      'a session cookie Path that does not cover /console',
      {rp: {sessionCookieAttributes: 'Path=/auth; HttpOnly; SameSite=Lax'}},
      'cookie-path-too-narrow#explicit-path-too-narrow',
      /rp_session is stored with path \/auth and not sent to \/console/,
    ],
    [
      'a session cookie without Path, set by /auth/callback',
      {rp: {sessionCookieAttributes: 'HttpOnly; SameSite=Lax'}},
      'cookie-path-too-narrow#default-path-from-callback',
      /stored with path \/auth/,
    ],
    [
      'a SameSite=Strict state cookie on a cross-site callback',
      {named: true, rp: {stateCookieAttributes: 'Path=/; HttpOnly; SameSite=Strict'}},
      'login-redirect-loop#state-cookie-withheld',
      /does not send rp_state .*SameSite=Strict/,
    ],
    [
      'a Lax state cookie on a cross-site form_post callback',
      {named: true, rp: {formPost: true}},
      'login-redirect-loop#state-cookie-withheld',
      /does not send rp_state/,
    ],
    [
      'an issuer the app does not expect',
      {rp: {callbackError: 'issuer'}},
      'login-redirect-loop#issuer-mismatch',
      /rejects the ID token's issuer: .*iss/,
    ],
    [
      'an audience the app does not expect',
      {rp: {callbackError: 'audience'}},
      'login-redirect-loop#audience-mismatch',
      /rejects the ID token's audience/,
    ],
    [
      'an app clock ten minutes ahead',
      {rp: {callbackError: 'clock'}},
      'login-redirect-loop#clock-skew',
      /rejects the ID token's timestamps: .*exp/,
    ],
    [
      'a group the user is not in',
      {rp: {requireGroup: 'owners'}},
      'login-redirect-loop#group-or-membership-denied',
      /groups claim does not contain owners/,
    ],
    [
      'a claim the token does not carry',
      {rp: {requireClaim: 'department'}},
      'login-redirect-loop#required-claim-missing',
      /lacks the department claim/,
    ],
    [
      'a meta-refresh login page (mod_auth_openidc style) with a dropped cookie',
      {named: true, rp: {metaRefresh: true, sessionCookieAttributes: 'Path=/; Domain=other.example.test'}},
      'login-redirect-loop#session-cookie-domain',
      /drops rp_session/,
    ],
  ]
  for (const [name, faults, kb, message] of loops) {
    it(`loops, and names the cause: ${name}`, async () => {
      const {outcome} = await walk(faults)
      expect(outcome.status, outcome.message).toBe('fail')
      expect(outcome.message).toMatch(/^redirect loop: /)
      expect(outcome.cause?.kb).toBe(kb)
      expect(outcome.message).toMatch(message)
      expect((outcome.evidence?.observed as {cycle: string[]}).cycle.length).toBeGreaterThan(1)
    })
  }

  it('follows meta refresh and form_post pages the way a browser does', async () => {
    const meta = await walk({rp: {metaRefresh: true}})
    expect(meta.outcome.status, meta.outcome.message).toBe('pass')
    expect(hops(meta.outcome).some((h) => h.includes('(meta-refresh)'))).toBe(true)
    const post = await walk({rp: {formPost: true}})
    expect(post.outcome.status, post.outcome.message).toBe('pass')
    expect(hops(post.outcome).some((h) => /POST \S+\/auth\/callback \(form-post\)/.test(h))).toBe(true)
  })

  it('an app that refuses the email domain: names the domain and the allowed list', async () => {
    const {outcome} = await walk(
      {rp: {allowedEmailDomain: 'corp.example'}},
      {
        login: {
          allowedEmailDomains: ['corp.example'],
          testUser: {username: USER.username, password: USER.password, email: USER.email},
        },
      },
    )
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('login-failed-after-oauth#email-domain-not-allowed')
    expect(outcome.message).toContain(
      "the test user's email domain example.com is not among the allowed domains (corp.example)",
    )
  })

  it('a callback that answers with an error page (no loop): the error is still attributed', async () => {
    const {outcome} = await walk({rp: {callbackError: 'clock', errorPage: true}})
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('login-redirect-loop#clock-skew')
    expect(outcome.message).toMatch(
      /^the login ended on HTTP 401 after the callback: the callback rejects the ID token's timestamps/,
    )
    expect(outcome.cause?.summary).toMatch(/^The login ends on an error because/)
  })

  it('wrong test-user password: an error that says to fix login.testUser, not a finding', async () => {
    const {outcome} = await walk({}, {login: {testUser: {username: USER.username, password: 'not-the-password-1'}}})
    expect(outcome.status).toBe('error')
    expect(outcome.message).toMatch(/did not accept the test user's credentials \(Invalid username or password\.\)/)
  })
})

describe('login-redirect-loop without an IdP', () => {
  let hopper: TestServer
  let certs: ReturnType<typeof makeCertificates>
  let https: {url: string; close(): Promise<void>}
  let http: TestServer
  beforeAll(async () => {
    // Every answer is a new URL: no repeat, only the hop limit stops it.
    hopper = await startServer((req, res) => {
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? 0)
      res.writeHead(302, {location: `/next?n=${n + 1}`})
      res.end()
    })
    // A proxy that sends http to https, and an app behind it that does not see the TLS and sends https back to http.
    certs = makeCertificates()
    let httpUrl = ''
    const server = createHttpsServer({key: certs.key, cert: certs.cert}, (_req, res) => {
      res.writeHead(302, {location: `${httpUrl}/console`})
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    https = {
      url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
    }
    http = await startServer((_req, res) => {
      res.writeHead(301, {location: `${https.url}/console`})
      res.end()
    })
    httpUrl = http.url
  })
  afterAll(async () => {
    await Promise.all([hopper.close(), https.close(), http.close()])
  })

  it('an IdP that asks for consent after the password: skipped with the reason, not passed', async () => {
    const idp = await startServer((req, res) => {
      if (req.method === 'POST')
        return send(
          res,
          200,
          '<!doctype html><title>Authorize access</title><form method="post" action="/consent"><button name="allow" value="yes">Allow</button></form>',
          'text/html',
        )
      send(
        res,
        200,
        '<!doctype html><title>Sign in</title><form method="post" action="/login"><input name="username"><input type="password" name="password"></form>',
        'text/html',
      )
    })
    const app = await startServer((_req, res) => {
      res.writeHead(302, {
        location: `${idp.url}/authorize?response_type=code&client_id=app&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/cb')}&state=s1`,
      })
      res.end()
    })
    const ctx = makeContext({
      target: {baseUrl: app.url},
      login: {testUser: {username: 'u', password: 'consent-test-pw'}},
    })
    const outcome = await runCheck(loginRedirectLoop, ctx)
    await ctx.close()
    await Promise.all([idp.close(), app.close()])
    expect(outcome.status).toBe('skip')
    expect(outcome.message).toMatch(/stopped at "Authorize access" .*consent, MFA/)
    expect(idp.seen).not.toContain('POST /consent')
  })

  it('gives up at the hop limit and says it could not tie the loop to a cause', async () => {
    const ctx = makeContext({target: {baseUrl: hopper.url}, login: {consolePath: '/next?n=0', maxHops: 12}})
    const outcome = await runCheck(loginRedirectLoop, ctx)
    await ctx.close()
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain('more than 12 browser moves without settling')
    expect(outcome.cause?.kb).toBe('login-redirect-loop')
    expect(hopper.seen.length).toBe(12)
  })

  it('an http <-> https loop is blamed on the proxy and the app disagreeing about the scheme', async () => {
    const ctx = makeContext({target: {baseUrl: http.url}, login: {consolePath: '/console'}}, {caFile: certs.caFile})
    const outcome = await runCheck(loginRedirectLoop, ctx)
    await ctx.close()
    expect(outcome.status, outcome.message).toBe('fail')
    expect(outcome.cause?.kb).toBe('login-redirect-loop#proxy-scheme-loop')
    expect(outcome.message).toContain('alternates between http and https on 127.0.0.1')
  })

  it('nothing listening: an error with the reason, never a hang', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    const ctx = makeContext({target: {baseUrl: closed.url}})
    const outcome = await runCheck(loginRedirectLoop, ctx)
    await ctx.close()
    expect(outcome.status).toBe('error')
    expect(outcome.message).toMatch(/could not reach .*connection refused/)
  })

  it('without target.baseUrl the check is skipped, not failed', async () => {
    const ctx = makeContext({oidc: {issuer: 'http://127.0.0.1:1/'}})
    const outcome = await runCheck(loginRedirectLoop, ctx)
    await ctx.close()
    expect(outcome.status).toBe('skip')
  })
})
