import type {FilledOutcome} from '../../src/kb/cause.js'
import {describe, expect, it} from 'vitest'
import sessionCookie from '../../checks/session-cookie.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {type LoginEnv, startLoginEnv} from '../helpers/login-env.js'
import type {RpOptions} from '../helpers/rp-app.js'
import {startServer} from '../helpers/servers.js'

async function judge(
  options: {rp?: Partial<RpOptions>; named?: boolean} = {},
  extra: Parameters<LoginEnv['config']>[0] = {},
): Promise<{outcome: FilledOutcome; issued: string[]}> {
  const env = await startLoginEnv(options)
  const ctx = makeContext(env.config(extra))
  try {
    return {outcome: await runCheck(sessionCookie, ctx), issued: env.rp.issued}
  } finally {
    await ctx.close()
    await env.stop()
  }
}

type Cookie = {name: string; setCookie: string; accepted: boolean; rejected: string[]; path: string}
const cookies = (o: FilledOutcome): Cookie[] => (o.evidence?.observed as {cookies: Cookie[]}).cookies

describe('session-cookie against oidc-provider and a real relying party', () => {
  it('healthy: every cookie of the login is kept and the session cookie reaches the console', async () => {
    const {outcome} = await judge()
    expect(outcome.status, outcome.message).toBe('pass')
    expect(outcome.message).toMatch(/all kept by the browser; session cookie rp_session is sent to the console/)
    // oidc-provider sets `_session` with SameSite=None but no Secure over http, plus a `_session.legacy` twin: not a finding.
    expect(cookies(outcome).find((c) => c.name === '_session')?.rejected).toEqual(['samesite-none-without-secure'])
    expect(outcome.evidence?.notes?.join(' ')).toMatch(/legacy twin/)
    expect(outcome.evidence?.notes?.join(' ')).toMatch(/current Chromium/)
  })

  it('a Secure cookie over http://127.0.0.1 is fine (loopback is a secure context in Chromium)', async () => {
    const {outcome} = await judge({rp: {sessionCookieAttributes: 'Path=/; HttpOnly; Secure; SameSite=Lax'}})
    expect(outcome.status, outcome.message).toBe('pass')
  })

  it('without a test user it judges the cookies up to the IdP login form', async () => {
    const {outcome} = await judge({}, {withUser: false})
    expect(outcome.status).toBe('pass')
    expect(outcome.message).toMatch(/up to the IdP's login form \(set login\.testUser/)
    expect(cookies(outcome).map((c) => c.name)).toContain('rp_state')
  })

  const faults: Array<[string, {rp?: Partial<RpOptions>; named?: boolean}, string, RegExp]> = [
    [
      'Domain that does not domain-match the host',
      {named: true, rp: {sessionCookieAttributes: 'Path=/; HttpOnly; SameSite=Lax; Domain=other.example.test'}},
      'cookie-domain-mismatch#domain-not-matching-host',
      /^rp_session: rejected: Domain=other\.example\.test does not domain-match the host console\.example\.test/,
    ],
    [
      'Secure over plain http on a named host',
      {named: true, rp: {sessionCookieAttributes: 'Path=/; HttpOnly; Secure; SameSite=Lax'}},
      'cookie-secure-over-http#site-served-over-http',
      /^rp_session: rejected: Secure cookie set over plain http:\/\/console\.example\.test/,
    ],
    [
      'SameSite=None without Secure',
      {rp: {sessionCookieAttributes: 'Path=/; HttpOnly; SameSite=None'}},
      'cookie-samesite-none-without-secure#none-without-secure',
      /^rp_session: rejected: SameSite=None requires Secure/,
    ],
    [
      'SameSite=None; Secure over plain http',
      {named: true, rp: {sessionCookieAttributes: 'Path=/; HttpOnly; Secure; SameSite=None'}},
      'cookie-samesite-none-without-secure#cross-site-flow-on-plain-http',
      /^rp_session: rejected: Secure cookie set over plain http/,
    ],
    [
      'name + value over 4096 bytes',
      {rp: {sessionCookieBytes: 5000}},
      'cookie-too-large#tokens-in-cookie',
      /^rp_session: rejected: name \+ value is 5010 octets/,
    ],
    [
      'a Path that does not cover /console',
      {rp: {sessionCookieAttributes: 'Path=/auth; HttpOnly; SameSite=Lax'}},
      'cookie-path-too-narrow#explicit-path-too-narrow',
      /^rp_session is stored with path \/auth, so it is not sent to \/console/,
    ],
    [
      'no Path, so the callback directory becomes the path',
      {rp: {sessionCookieAttributes: 'HttpOnly; SameSite=Lax'}},
      'cookie-path-too-narrow#default-path-from-callback',
      /stored with path \/auth \(no Path attribute/,
    ],
    [
      'a __Host- cookie with a Domain',
      {rp: {sessionCookieName: '__Host-sid', sessionCookieAttributes: 'Path=/; Secure; HttpOnly; Domain=127.0.0.1'}},
      'cookie-prefix-rejected#host-prefix-with-domain',
      /^__Host-sid: rejected: .*__Host-/,
    ],
    [
      'a __Secure- cookie without Secure',
      {rp: {sessionCookieName: '__Secure-sid', sessionCookieAttributes: 'Path=/; HttpOnly'}},
      'cookie-prefix-rejected#prefix-without-secure',
      /^__Secure-sid: rejected: .*__Secure-/,
    ],
    [
      'a SameSite=Strict state cookie on the cross-site callback',
      {named: true, rp: {stateCookieAttributes: 'Path=/; HttpOnly; SameSite=Strict'}},
      'login-redirect-loop#state-cookie-withheld',
      /does not send rp_state with the authorization response .*cross-site\): SameSite=Strict/,
    ],
  ]
  for (const [name, options, kb, message] of faults) {
    it(`names the cookie and the rule: ${name}`, async () => {
      const {outcome, issued} = await judge(options)
      expect(outcome.status, outcome.message).toBe('fail')
      expect(outcome.cause?.kb).toBe(kb)
      expect(outcome.message).toMatch(message)
      // The evidence shows the exact Set-Cookie attributes with the value redacted.
      const text = JSON.stringify(outcome)
      for (const value of issued) expect(text).not.toContain(value)
      expect(text).toMatch(/=‹redacted:cookie:[0-9a-f]{4}›/)
    })
  }

  it('a state cookie without SameSite on a cross-site form_post: a warning, since Chromium sends it only for 2 minutes', async () => {
    const {outcome} = await judge({named: true, rp: {formPost: true, stateCookieAttributes: 'Path=/; HttpOnly'}})
    expect(outcome.status, outcome.message).toBe('warn')
    expect(outcome.cause?.kb).toBe('cookie-samesite-none-without-secure#samesite-unspecified-treated-as-lax')
    expect(outcome.message).toMatch(/response_mode=form_post.*rp_state is SameSite=unspecified .*first 2 minutes/)
  })

  it('a session cookie close to the 4096-byte limit: a warning before browsers start dropping it', async () => {
    const {outcome} = await judge({rp: {sessionCookieBytes: 3900}})
    expect(outcome.status, outcome.message).toBe('warn')
    expect(outcome.cause?.kb).toBe('cookie-too-large#tokens-in-cookie')
    expect(outcome.message).toMatch(/rp_session/)
  })

  it('nothing listening: an error with the reason; no target: skipped', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    const ctx = makeContext({target: {baseUrl: closed.url}})
    const outcome = await runCheck(sessionCookie, ctx)
    await ctx.close()
    expect(outcome.status).toBe('error')
    expect(outcome.message).toMatch(/could not walk the login from .*connection refused/)
    const none = makeContext({oidc: {issuer: closed.url}})
    expect((await sessionCookie.run(none)).status).toBe('skip')
    await none.close()
  })

  it('the configured session cookie never set after a good callback: the app kept no session', async () => {
    const {outcome} = await judge({rp: {sessionCookieName: 'sid'}})
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('console-redirects-to-login#session-not-kept')
    expect(outcome.message).toMatch(/no response set the session cookie rp_session/)
  })

  it('a callback that failed is not blamed on the session cookie', async () => {
    const {outcome} = await judge({rp: {callbackError: 'issuer'}})
    expect(outcome.status, outcome.message).toBe('pass')
    expect(outcome.evidence?.notes?.join(' ')).toMatch(/callback .* answered with an error/)
  })
})
