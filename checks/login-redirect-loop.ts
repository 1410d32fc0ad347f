import type {DoctorConfig} from '../src/config/schema.js'
import {type CauseRef, defineCheck, fail, type Finding, type Item, pass, skip} from '../src/engine/check.js'
import {type LoginWalkFact, discovery, loginWalk, sameEndpoint} from '../src/facts/login.js'
import {
  BROWSER_NOTE,
  causeForRejection,
  cycleText,
  hopLines,
  missingSessionCause,
  originOf,
  rejectedCookies,
  ruleText,
  setCookieLine,
} from '../src/login/cookie-causes.js'
import type {Walk, WalkHop} from '../src/login/walk.js'

const E = 'login-redirect-loop'

/** A finding whose severity the caller decides (a loop is always a failure). */
type Diagnosis = Omit<Finding, 'status'>

export default defineCheck({
  meta: {
    id: 'login-redirect-loop',
    title: 'Signing in reaches the console without a redirect loop',
    failureTitle: 'Signing in loops back to the login',
    area: 'login',
    description:
      "Follows the console URL the way a browser does (Location redirects, meta refresh, auto-submitting form_post pages) with a cookie jar that applies Chromium's cookie rules; with a test user it signs in at the IdP and opens the console again. Detects repeated URLs and the hop limit, and attributes a loop to the cookie the browser dropped or withheld, to an issuer/audience/clock error at the callback, or to a session the app refuses (missing claim, group, email domain).",
    needs: ['target.baseUrl'],
    kb: [
      `${E}#session-cookie-domain`,
      `${E}#cookie-rejected-insecure`,
      `${E}#issuer-mismatch`,
      `${E}#audience-mismatch`,
      `${E}#clock-skew`,
      `${E}#callback-host-mismatch`,
      `${E}#state-cookie-withheld`,
      `${E}#required-claim-missing`,
      `${E}#group-or-membership-denied`,
      `${E}#proxy-scheme-loop`,
      E,
      'login-failed-after-oauth#email-domain-not-allowed',
      'cookie-prefix-rejected#prefix-without-secure',
      'cookie-prefix-rejected#host-prefix-with-domain',
      'cookie-prefix-rejected#host-prefix-path-not-root',
      'cookie-too-large#tokens-in-cookie',
      'cookie-path-too-narrow#default-path-from-callback',
      'cookie-path-too-narrow#explicit-path-too-narrow',
      'cookie-secure-over-http#secure-cookie-overlay',
      'console-redirects-to-login#session-not-kept',
      'cookie-samesite-none-without-secure#secure-dropped-behind-proxy',
      'cookie-secure-over-http#proxy-reports-http',
    ],
  },
  async run(ctx) {
    const fact = await loginWalk(ctx.facts)
    if (!fact) return skip('not configured: set target.baseUrl in doctor.yaml')
    const disc = ctx.config.oidc?.issuer ? await discovery(ctx.facts) : undefined
    const authz =
      typeof disc?.document?.authorization_endpoint === 'string' ? disc.document.authorization_endpoint : undefined
    return judgeWalk(fact, ctx.config, authz)
  },
})

export function judgeWalk(fact: LoginWalkFact, config: DoctorConfig, authorizationEndpoint?: string) {
  const {walk} = fact
  const hops = hopLines(walk)
  const items: Item[] = []
  const notes: string[] = [BROWSER_NOTE]
  const domainNote = allowedDomain(config)
  // Compared from the configuration alone; the walk decides whether it matters.
  if (domainNote)
    items.push({label: 'allowed email domain', status: domainNote.ok ? 'pass' : 'warn', message: domainNote.message})
  const evidence = (extra: Record<string, unknown> = {}) => ({
    observed: {end: walk.end, hops, ...extra},
    notes,
    exchanges: walk.exchanges,
  })
  const end = walk.end
  const appOrigin = originOf(fact.console)
  const last = walk.hops[walk.hops.length - 1]

  if (end.kind === 'net-error')
    return {
      status: 'error' as const,
      message: `the login walk could not reach ${last ? last.url : walk.start}: ${end.error.message}`,
      evidence: evidence(),
    }
  if (end.kind === 'stuck') return {status: 'error' as const, message: end.message, evidence: evidence()}
  if (end.kind === 'login-rejected') {
    return {
      status: 'error' as const,
      message: `the IdP did not accept the test user's credentials (${end.message}); fix login.testUser, then run again`,
      evidence: evidence(),
    }
  }
  if (end.kind === 'login-form') {
    return pass(
      `no loop: ${walk.hops.length} hop(s) from ${walk.start} to the IdP's login form${fact.withUser ? '' : ' (set login.testUser to walk through the callback to the console)'}`,
      {evidence: evidence(), items},
    )
  }
  if (end.kind === 'page') {
    const onIdp =
      last &&
      authorizationEndpoint &&
      originOf(last.url) === originOf(authorizationEndpoint) &&
      originOf(last.url) !== appOrigin
    if (onIdp && end.status >= 400)
      return skip(`the walk stopped at an error page of the IdP (HTTP ${end.status}); oidc-redirect-uri diagnoses it`)
    const callback = walk.hops.find((h) => h.callback)
    // Signed in, but the IdP wants one more step (consent, MFA, a password change) that doctor does not take.
    if (walk.submittedLogin && !callback && last && originOf(last.url) !== appOrigin && end.status < 400) {
      return skip(
        `after the test user signed in, the walk stopped at "${last.page?.title ?? last.url}" on ${originOf(last.url)} (HTTP ${end.status}): a consent, MFA or other step doctor does not complete; use a test user without it`,
      )
    }
    const atConsole = last && sameEndpoint(last.url, fact.console) && end.status < 400
    if (atConsole) {
      if (domainNote && !domainNote.ok)
        notes.push(
          `The app admitted the test user although ${domainNote.message}; login.allowedEmailDomains in doctor.yaml may be out of date.`,
        )
      return pass(
        fact.withUser
          ? `signed in as the test user and reached ${fact.console} (HTTP ${end.status}) in ${walk.hops.length} hops`
          : `${fact.console} answers HTTP ${end.status} without a login (it is public, or login.consolePath is not a protected page)`,
        {evidence: evidence(), items},
      )
    }
    if (callback && originOf(last.url) === originOf(callback.url) && end.status >= 400) {
      const d = refusal(walk, last, domainNote) ?? callbackError(walk)
      if (d)
        return fail(`the login ended on HTTP ${end.status} after the callback: ${d.message}`, causeRef(d, false), {
          evidence: evidence(),
          items,
        })
    }
    return pass(
      `no loop: the walk from ${walk.start} ended on ${last?.url ?? walk.start} (HTTP ${end.status}) after ${walk.hops.length} hop(s)`,
      {evidence: evidence(), items},
    )
  }

  // A loop or the hop limit.
  const cycle = end.kind === 'loop' ? walk.hops.slice(end.first, end.repeat + 1) : walk.hops.slice(-10)
  const what =
    end.kind === 'loop'
      ? `${cycleText(cycle, appOrigin)} and round again (hops ${end.first + 1}-${end.repeat + 1})`
      : `more than ${end.limit} browser moves without settling`
  const d = attribute(fact, cycle, config, domainNote)
  const message = `redirect loop: ${what}${d ? `; ${d.message}` : ''}`
  const cause = causeRef(
    d ?? {
      kb: E,
      message: 'the loop could not be tied to one cause from outside the app',
      fix: ["Read the app's log at the callback and at the console: which check sends the user back to the login?"],
    },
    true,
  )
  if (!d)
    notes.push(
      "No rejected or withheld cookie and no callback error explain the loop; the app's logs at the callback say why it sends the user back.",
    )
  if (d?.detail) notes.unshift(d.detail)
  return fail(message, cause, {evidence: evidence({cycle: cycle.map((h) => `${h.method} ${h.url}`)}), items})
}

function causeRef(d: Diagnosis, loop: boolean): CauseRef {
  return {
    kb: d.kb,
    summary: loop ? `The login loops because ${d.message}.` : `The login ends on an error because ${d.message}.`,
    fix: d.fix,
    verify: [
      '`doctor run login-redirect-loop` passes: the walk reaches the console with HTTP 200.',
      'Sign in from a private browser window and land on the console once, with no flicker back to the IdP.',
    ],
  }
}

/** Why the walk went round: dropped cookies first, then callback errors, then a refused session. */
function attribute(
  fact: LoginWalkFact,
  cycle: WalkHop[],
  config: DoctorConfig,
  domainNote: ReturnType<typeof allowedDomain>,
): Diagnosis | undefined {
  const {walk} = fact
  const appOrigin = originOf(fact.console)
  // http <-> https on the same path without the IdP: a proxy and the app disagree on the scheme.
  const schemes = new Set(cycle.map((h) => new URL(h.url).protocol))
  if (schemes.size > 1 && cycle.every((h) => new URL(h.url).hostname === new URL(cycle[0].url).hostname)) {
    return {
      kb: `${E}#proxy-scheme-loop`,
      message: `the cycle alternates between http and https on ${new URL(cycle[0].url).hostname}: the app does not see that the proxy terminated TLS and redirects to https again`,
      fix: ['Make the app trust X-Forwarded-Proto from the proxy (or stop redirecting to https in both places).'],
    }
  }
  const {rejected} = rejectedCookies(walk)
  const appRejected = rejected.filter((e) => originOf(e.hop.url) === appOrigin || e.hop.callback)
  const dropped = appRejected[0] ?? rejected[0]
  if (dropped) {
    return {
      kb: causeForRejection(dropped.cookie, true),
      message: `the browser drops ${dropped.cookie.name}: ${ruleText(dropped.cookie)}`,
      detail: setCookieLine(dropped),
      fix: [
        'Fix the cookie attributes as `doctor run session-cookie` describes; the app then sees its cookie on the next request.',
      ],
    }
  }
  const withheldAtCallback = walk.hops.find((h) => h.callback && h.cookiesWithheld.length > 0)
  if (withheldAtCallback) {
    const w = withheldAtCallback.cookiesWithheld[0]
    return {
      kb: `${E}#state-cookie-withheld`,
      message: `the browser does not send ${w.name} with the authorization response (hop ${withheldAtCallback.n}): ${w.reason}; the app cannot match the state and starts over`,
      fix: [
        'Set the state cookie with SameSite=Lax (query response mode) or SameSite=None; Secure over https (form_post).',
      ],
    }
  }
  const err = callbackError(walk)
  if (err) return err
  // The callback succeeded; is the session cookie sent to the console?
  const callback = walk.hops.find((h) => h.callback?.code)
  if (callback) {
    const sessionName = config.login?.sessionCookie
    const setAfter = walk.hops
      .filter((h) => h.n >= callback.n && originOf(h.url) === originOf(callback.url))
      .flatMap((h) => h.setCookies.filter((c) => c.accepted && !c.deletion && (!sessionName || c.name === sessionName)))
    for (const c of setAfter) {
      const why = walk.jar.whyNotSent(c.name, fact.console, {crossSite: false, method: 'GET', topLevel: true})
      if (!why) continue
      if (originOf(callback.url) !== appOrigin) {
        return {
          kb: `${E}#callback-host-mismatch`,
          message: `the callback runs on ${originOf(callback.url)}, but the console is ${appOrigin}; ${c.name} is set for the callback's host and not sent to the console (${why})`,
          fix: [
            "Register and use a callback on the console's own host (fix the app's public URL setting), or give the cookie a Domain that covers both.",
          ],
        }
      }
      const explicit = c.attributes.path !== undefined
      return {
        kb: explicit
          ? 'cookie-path-too-narrow#explicit-path-too-narrow'
          : 'cookie-path-too-narrow#default-path-from-callback',
        message: `${c.name} is stored with path ${c.path} and not sent to ${new URL(fact.console).pathname} (${why})`,
        fix: ['Set the session cookie with Path=/.'],
      }
    }
    const refused = refusal(walk, cycle[cycle.length - 1], domainNote)
    if (refused) return refused
    if (sessionName && setAfter.length === 0) {
      return {
        kb: missingSessionCause(fact.console),
        message: `the callback succeeded but set no ${sessionName} cookie`,
        fix: ["Read the app's log at the callback: why does it not create a session?"],
      }
    }
    return {
      kb: `${E}#required-claim-missing`,
      message:
        'the callback succeeded and the session cookie reaches the console, yet the console sends the user back to sign in: the app refuses the session (a required claim, scope or group)',
      fix: [
        "Read the app's log for the claim or group it requires; add it to the ID token (client scopes or claim mappers at the IdP).",
      ],
    }
  }
  return undefined
}

const ERRORS: Array<[RegExp, string, string, string]> = [
  [
    /\biss\b|issuer/i,
    'issuer-mismatch',
    "the callback rejects the ID token's issuer",
    'Configure the app with the issuer exactly as the provider publishes it (see `doctor run oidc-discovery`).',
  ],
  [
    /\baud\b|audience/i,
    'audience-mismatch',
    "the callback rejects the ID token's audience",
    'Make the app expect its own client id as audience, and have the IdP issue tokens for it (client id, audience mapper).',
  ],
  [
    /\b(iat|exp|nbf)\b|clock|in the future|not yet valid|expired|too early|too late/i,
    'clock-skew',
    "the callback rejects the ID token's timestamps",
    'Synchronise the clocks of the app and the IdP (NTP); see `doctor run clock-skew`.',
  ],
]

/** An issuer/audience/clock error the app reported at (or right after) the callback. */
function callbackError(walk: Walk): Diagnosis | undefined {
  const index = walk.hops.findIndex((h) => h.callback)
  if (index < 0) return undefined
  for (const hop of walk.hops.slice(index, index + 2)) {
    const text = `${safeDecode(hop.location ?? '')} ${hop.page?.title ?? ''} ${hop.page?.text ?? ''}`
    if (!/error|invalid|unexpected|mismatch|failed|reject/i.test(text)) continue
    for (const [re, cause, what, fix] of ERRORS) {
      if (re.test(text))
        return {kb: `${E}#${cause}`, message: `${what}: "${excerpt(text, re)}" (hop ${hop.n})`, fix: [fix]}
    }
  }
  return undefined
}

/** The app refused the signed-in user: say which claim, group or domain if it tells. */
function refusal(
  walk: Walk,
  hop: WalkHop | undefined,
  domainNote: ReturnType<typeof allowedDomain>,
): Diagnosis | undefined {
  // What the app said after the callback: its redirects (…/login?error=…) and pages, not the IdP's URLs.
  const callback = walk.hops.find((h) => h.callback)
  const appOrigin = callback ? originOf(callback.url) : hop ? originOf(hop.url) : ''
  const texts = walk.hops
    .filter((h) => originOf(h.url) === appOrigin && (!callback || h.n >= callback.n))
    .map(
      (h) =>
        `${safeDecode(h.location ?? '')} ${h.callback ? '' : safeDecode(new URL(h.url).search)} ${h.page?.title ?? ''} ${h.page?.text ?? ''}`,
    )
    .join(' ')
  if (domainNote && !domainNote.ok)
    return {
      kb: 'login-failed-after-oauth#email-domain-not-allowed',
      message: domainNote.message,
      fix: [
        "Sign in with an account of an allowed domain, or add the domain to the app's allowed list (Rack Gateway: GOOGLE_ALLOWED_DOMAIN).",
      ],
    }
  const name = claimName(texts)
  // "the groups claim does not contain X", "not a member of": the claim is there, the user lacks the membership.
  if (
    /group|member|workspace|\brole/i.test(texts) &&
    (!name || /does not contain|not (?:a )?member|not in|lacks? (?:the )?(?:group|role)|not allowed/i.test(texts))
  ) {
    return {
      kb: `${E}#group-or-membership-denied`,
      message: `the app refuses the signed-in user: "${excerpt(texts, /group|member|workspace|role/i)}"`,
      fix: [
        'Add the user to the required group or workspace, or fix the group mapping at the IdP (and that groups are released in the token).',
      ],
    }
  }
  if (name || /missing[_ ]claim|required claim|insufficient_scope/i.test(texts)) {
    return {
      kb: `${E}#required-claim-missing`,
      message: `the app refuses the session because the ID token lacks ${name ? `the ${name} claim` : 'a claim it requires'}: "${excerpt(texts, /claim|scope/i)}"`,
      fix: [
        `Release ${name ? `the ${name} claim` : 'the claim'} to this client at the IdP (requested scope, client scope, claim mapper).`,
      ],
    }
  }
  return undefined
}

const CLAIM_PATTERNS = [
  /[?&]claim=([A-Za-z_][\w.:-]*)/,
  /\bthe ([A-Za-z_][\w.:-]*) claim\b/i,
  /\b(?:missing|required|lacks?|without)(?: required)? claim[s]?:?\s*["'`]?([A-Za-z_][\w.:-]*)/i,
  /\bclaim\s*["'`]([A-Za-z_][\w.:-]*)["'`]\s*(?:is\s*)?(?:missing|required|not found|absent)/i,
]

/** The claim an app names when it refuses a session, if it names one. */
export function claimName(text: string): string | undefined {
  for (const re of CLAIM_PATTERNS) {
    const m = re.exec(text)
    if (m && !/^(does|is|not|the|a|an|value)$/i.test(m[1])) return m[1]
  }
  return undefined
}

function allowedDomain(config: DoctorConfig): {ok: boolean; message: string} | undefined {
  const allowed = config.login?.allowedEmailDomains
  const user = config.login?.testUser
  if (!allowed?.length || !user) return undefined
  const email = user.email ?? (user.username.includes('@') ? user.username : undefined)
  if (!email) return {ok: true, message: 'the test user has no email to compare (set login.testUser.email)'}
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase()
  const ok = allowed.some((d) => d.toLowerCase() === domain)
  return {
    ok,
    message: ok
      ? `the test user's domain ${domain} is allowed (${allowed.join(', ')})`
      : `the test user's email domain ${domain} is not among the allowed domains (${allowed.join(', ')})`,
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

function excerpt(text: string, re: RegExp): string {
  const clean = text.replace(/\s+/g, ' ')
  const m = re.exec(clean)
  const at = m ? m.index : 0
  return clean.slice(Math.max(0, at - 60), at + 90).trim()
}
