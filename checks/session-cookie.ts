import {concluded, defineCheck, type Finding, type Item, leading, pass, skip} from '../src/engine/check.js'
import {authorizationRequest, type LoginWalkFact, loginWalk, sameEndpoint} from '../src/facts/login.js'
import type {WalkHop} from '../src/login/walk.js'
import {
  BROWSER_NOTE,
  causeForRejection,
  hopLines,
  type JudgedCookie,
  judgedCookies,
  missingSessionCause,
  originOf,
  rejectedCookies,
  RULE_CAUSE,
  setCookieLine,
} from '../src/login/cookie-causes.js'

/** nginx's default large_client_header_buffers is 8 KiB per header line. */
const COOKIE_HEADER_LIMIT = 8192

export default defineCheck({
  meta: {
    id: 'session-cookie',
    title: 'The browser keeps and sends back every login cookie',
    failureTitle: 'The browser would reject or withhold a login cookie',
    area: 'login',
    description:
      'Walks the login (console, app login, IdP, and with a test user the callback) and judges every Set-Cookie by RFC 6265bis storage rules as current Chromium applies them: Domain, Secure over http, SameSite=None without Secure, __Host-/__Secure- prefixes, 4096-byte limit; then whether the session cookie would be sent to the console (Path, host).',
    needs: ['target.baseUrl'],
    kb: [
      ...new Set(Object.values(RULE_CAUSE)),
      'cookie-too-large#attribute-too-long',
      'cookie-too-large#request-headers-too-large',
      'cookie-samesite-none-without-secure#samesite-unspecified-treated-as-lax',
      'cookie-samesite-none-without-secure#cross-site-flow-on-plain-http',
      'cookie-path-too-narrow#default-path-from-callback',
      'cookie-path-too-narrow#explicit-path-too-narrow',
      'cookie-path-too-narrow#trailing-slash-or-case',
      'cookie-domain-mismatch#host-only-on-other-subdomain',
      'login-redirect-loop#state-cookie-withheld',
      'cookie-samesite-none-without-secure#secure-dropped-behind-proxy',
      'cookie-secure-over-http#proxy-reports-http',
      'console-redirects-to-login#session-not-kept',
    ],
  },
  async run(ctx) {
    const fact = await loginWalk(ctx.facts)
    if (!fact) return skip('not configured: set target.baseUrl in doctor.yaml')
    return judgeSessionCookies(fact, ctx.config.login?.sessionCookie)
  },
})

export function judgeSessionCookies(fact: LoginWalkFact, sessionName: string | undefined) {
  const {walk} = fact
  const all = judgedCookies(walk)
  if (walk.end.kind === 'net-error' && all.length === 0) {
    return {
      status: 'error' as const,
      message: `could not walk the login from ${walk.start}: ${walk.end.error.message}`,
      evidence: {observed: {hops: hopLines(walk)}},
    }
  }
  const {rejected, covered} = rejectedCookies(walk)
  const findings: Finding[] = []
  const items: Item[] = []
  const notes: string[] = [BROWSER_NOTE]

  const reported = new Set<string>()
  for (const entry of rejected) {
    const problem = entry.cookie.rejections[0]
    // In a loop the same cookie is set (and dropped) on every round: report it once.
    const key = `${entry.cookie.name} ${problem.rule} ${originOf(entry.hop.url)}`
    if (reported.has(key)) continue
    reported.add(key)
    findings.push({
      status: 'fail',
      kb: causeForRejection(entry.cookie, false),
      message: `${entry.cookie.rejections.map((r) => r.message).join('; ')}`,
      detail: setCookieLine(entry),
      fix: fixFor(problem.rule, entry),
    })
  }
  for (const entry of covered)
    notes.push(
      `${entry.cookie.name} (SameSite=None without Secure) is rejected, but its legacy twin without SameSite was stored: the provider's fallback for such browsers, so sign-in still works.`,
    )

  for (const entry of all) {
    for (const w of entry.cookie.warnings) {
      if (w.rule === 'near-size-limit')
        findings.push({
          status: 'warn',
          kb: 'cookie-too-large#tokens-in-cookie',
          message: `${w.message}`,
          detail: setCookieLine(entry),
          fix: ['Keep tokens in a server-side session (or split them) so the cookie stays well under 4096 bytes.'],
        })
      if (w.rule === 'attribute-too-long')
        findings.push({
          status: 'warn',
          kb: 'cookie-too-large#attribute-too-long',
          message: `${w.message}`,
          detail: setCookieLine(entry),
          fix: ['Shorten the attribute value below 1024 bytes.'],
        })
    }
  }

  // Cookies the walk held back at the callback: the state cookie the app needs to finish the login.
  const authz = authorizationRequest(walk)
  for (const hop of walk.hops.filter((h) => h.callback)) {
    for (const w of hop.cookiesWithheld) {
      findings.push({
        status: 'fail',
        kb: all.some((e) => e.cookie.name === w.name && e.hop.n < hop.n && e.cookie.sameSiteUnspecified)
          ? 'cookie-samesite-none-without-secure#samesite-unspecified-treated-as-lax'
          : 'login-redirect-loop#state-cookie-withheld',
        message: `the browser does not send ${w.name} with the authorization response to ${originOf(hop.url)} (hop ${hop.n}, ${hop.method}${hop.crossSite ? ', cross-site' : ''}): ${w.reason}`,
        fix: [
          'Set the state/nonce cookie with SameSite=Lax for a query-mode callback, or SameSite=None; Secure (over https) for response_mode=form_post.',
        ],
      })
    }
  }
  // form_post callbacks arrive as cross-site POSTs: only SameSite=None; Secure cookies are reliably sent.
  if (authz?.responseMode === 'form_post') {
    const appOrigin = originOf(fact.console)
    for (const entry of all) {
      if (!entry.cookie.accepted || originOf(entry.hop.url) !== appOrigin || entry.cookie.sameSite === 'none') continue
      if (walk.hops.some((h) => h.callback && h.cookiesWithheld.some((w) => w.name === entry.cookie.name))) continue
      findings.push({
        status: 'warn',
        kb: entry.cookie.sameSiteUnspecified
          ? 'cookie-samesite-none-without-secure#samesite-unspecified-treated-as-lax'
          : 'cookie-samesite-none-without-secure#cross-site-flow-on-plain-http',
        message: `the app asks for response_mode=form_post, so the IdP returns with a cross-site POST, but ${entry.cookie.name} is SameSite=${entry.cookie.sameSiteUnspecified ? 'unspecified (Lax by default; Chromium sends it on such a POST only in the first 2 minutes)' : entry.cookie.sameSite}`,
        detail: setCookieLine(entry),
        fix: [
          'Set the cookies the callback needs with SameSite=None; Secure (which needs https), or use the query response mode.',
        ],
      })
    }
  }

  // The session cookie: named in the config, or whatever the callback set.
  const callbackHop = walk.hops.find((h) => h.callback?.code)
  const sessionCandidates = all.filter(
    (e) =>
      e.cookie.accepted &&
      !e.cookie.deletion &&
      (sessionName
        ? e.cookie.name === sessionName
        : callbackHop !== undefined && e.hop.n >= callbackHop.n && originOf(e.hop.url) === originOf(callbackHop.url)),
  )
  for (const entry of sessionCandidates) {
    const why = walk.jar.whyNotSent(entry.cookie.name, fact.console, {crossSite: false, method: 'GET', topLevel: true})
    if (!why) {
      items.push({label: entry.cookie.name, status: 'pass', message: `stored and sent to ${fact.console}`})
      continue
    }
    findings.push(pathOrHostFinding(entry, why, fact.console))
  }
  // A callback that answered with an error never meant to create a session; login-redirect-loop says why.
  const callbackFailed = callbackHop !== undefined && !callbackSucceeded(callbackHop, fact.console)
  if (callbackFailed)
    notes.push(
      `The callback (hop ${callbackHop!.n}) answered with an error, so no session cookie was expected; \`doctor run login-redirect-loop\` reads the error.`,
    )
  if (sessionName && callbackHop && !callbackFailed && !all.some((e) => e.cookie.name === sessionName)) {
    findings.push({
      status: 'fail',
      kb: missingSessionCause(fact.console),
      message: `the callback (hop ${callbackHop.n}) completed, but no response set the session cookie ${sessionName}: the app did not create a session (behind a TLS proxy, a Secure session cookie is often silently skipped when the app believes the request is http)`,
      fix: [
        'Make the app trust the proxy (X-Forwarded-Proto) or serve it over https, so it issues the session cookie; check its logs at the callback.',
      ],
    })
  }

  const biggest = Math.max(0, ...walk.hops.map((h) => h.cookieHeaderBytes))
  if (biggest > COOKIE_HEADER_LIMIT) {
    const hop = walk.hops.find((h) => h.cookieHeaderBytes === biggest)!
    findings.push({
      status: 'warn',
      kb: 'cookie-too-large#request-headers-too-large',
      message: `the Cookie header sent to ${originOf(hop.url)} reaches ${biggest} bytes (hop ${hop.n}); proxies with 8 KiB header buffers answer 400 or 431`,
      fix: [
        "Store less in cookies (server-side sessions), or raise the proxy's header buffer (nginx large_client_header_buffers).",
      ],
    })
  }

  const evidence = {
    observed: {
      cookies: all.map((e) => ({
        name: e.cookie.name,
        setBy: e.cookie.setBy,
        hop: e.hop.n,
        setCookie: e.cookie.display,
        accepted: e.cookie.accepted,
        rejected: e.cookie.rejections.map((r) => r.rule),
        warnings: e.cookie.warnings.map((w) => w.rule),
        domain: e.cookie.domain,
        hostOnly: e.cookie.hostOnly,
        path: e.cookie.path,
        sameSite: e.cookie.sameSite,
        valueBytes: e.cookie.valueBytes,
      })),
      walkEnd: walk.end.kind,
      hops: hopLines(walk),
    },
    exchanges: walk.exchanges,
    notes: [
      ...findings.slice(0, 1).flatMap((f) => (f.detail ? [f.detail] : [])),
      ...findings.slice(1).map((f) => `also: ${f.message}`),
      ...notes,
    ],
  }
  // One line per accepted cookie; rejected ones are the findings above.
  const listed = new Set(items.map((i) => i.label))
  for (const entry of all) {
    if (!entry.cookie.accepted || listed.has(entry.cookie.name)) continue
    listed.add(entry.cookie.name)
    items.push({label: entry.cookie.name, status: 'pass', message: `stored: ${entry.cookie.display}`})
  }

  const reach = fact.withUser
    ? callbackHop
      ? 'through the callback'
      : `until the walk ended (${walk.end.kind})`
    : "up to the IdP's login form (set login.testUser to cover the callback and the session cookie)"
  if (findings.length === 0) {
    if (all.length === 0) return pass(`no Set-Cookie along the login walk ${reach}`, {evidence, items})
    return pass(
      `${all.length} cookie(s) set along the login walk ${reach}, all kept by the browser${sessionCandidates.length ? `; session cookie ${[...new Set(sessionCandidates.map((e) => e.cookie.name))].join(', ')} is sent to the console` : ''}`,
      {evidence, items},
    )
  }
  const top = leading(findings)
  return concluded(
    top,
    SUMMARY[top.kb.split('#')[0]] ?? top.message,
    [
      '`doctor run session-cookie` passes: every Set-Cookie of the login is accepted and the session cookie is sent to the console.',
      "In the browser's developer tools (Application > Cookies), the cookie is listed after signing in, with no warning icon in the Network tab's Set-Cookie column.",
    ],
    {evidence, items},
  )
}

/** One line per cookie entry: what the browser does with such a cookie. */
const SUMMARY: Record<string, string> = {
  'cookie-domain-mismatch':
    "The cookie's Domain does not cover the host that sets it or the host that needs it, so the browser drops it or never sends it there.",
  'cookie-secure-over-http':
    'A Secure cookie arrives over plain http on a host that is not a secure context, so the browser drops it.',
  'cookie-samesite-none-without-secure':
    'SameSite rules keep the cookie out: SameSite=None without Secure is rejected, and Lax or Strict cookies are not sent on some cross-site steps of a login.',
  'cookie-prefix-rejected':
    "The cookie name's __Host- or __Secure- prefix demands attributes the cookie does not have, so the browser drops it.",
  'cookie-too-large': 'The cookie (or the Cookie header) is larger than browsers or proxies accept.',
  'cookie-path-too-narrow': "The session cookie's Path does not cover the console, so it is never sent there.",
  'login-redirect-loop':
    "The cookie that carries the login state does not come back with the provider's answer, so the app cannot finish the login.",
  'console-redirects-to-login':
    'The login completes at the callback, but the app keeps no session the browser can send back.',
}

/** The app accepted the authorization response: it moved on to the console (or another page), not back to a login or an error. */
function callbackSucceeded(hop: WalkHop, consoleUrl: string): boolean {
  if ((hop.status ?? 0) >= 400) return false
  if (!hop.location) return (hop.status ?? 0) < 300
  try {
    const next = new URL(hop.location, hop.url)
    if (sameEndpoint(next.href, consoleUrl)) return true
    return !/error/i.test(next.search) && !/log-?in|sign-?in|\/auth(?:orize)?\b/i.test(next.pathname)
  } catch {
    return false
  }
}

function fixFor(rule: string, entry: JudgedCookie): string[] {
  const host = new URL(entry.cookie.setBy).hostname
  switch (rule) {
    case 'domain-mismatch':
    case 'domain-on-ip':
    case 'public-suffix-domain':
      return [
        `Set the cookie's Domain to ${host} or a parent domain of it (or drop Domain for a host-only cookie); on an IP address, omit Domain.`,
      ]
    case 'secure-from-insecure':
    case 'partitioned-without-secure':
      return [
        `Serve ${originOf(entry.cookie.setBy)} over https (or, for local development only, turn the app's secure-cookie setting off).`,
      ]
    case 'samesite-none-without-secure':
      return [
        'Add Secure to the cookie (and serve the site over https), or use SameSite=Lax if it is not needed on cross-site requests.',
      ]
    case 'name-value-too-large':
      return [
        'Keep tokens server-side and put only a session id in the cookie, or split the value over several cookies.',
      ]
    case 'secure-overlay':
      return ['Serve the site over https only, so the Secure cookie is always the one set.']
    default:
      return ['Fix the cookie attributes: __Secure- needs Secure; __Host- needs Secure, Path=/ and no Domain.']
  }
}

function pathOrHostFinding(entry: JudgedCookie, why: string, consoleUrl: string): Finding {
  const path = new URL(consoleUrl).pathname
  if (/path/i.test(why)) {
    const explicit = entry.cookie.attributes.path !== undefined
    const caseOrSlash = entry.cookie.path.toLowerCase().replace(/\/+$/, '') === path.toLowerCase().replace(/\/+$/, '')
    return {
      status: 'fail',
      kb: caseOrSlash
        ? 'cookie-path-too-narrow#trailing-slash-or-case'
        : explicit
          ? 'cookie-path-too-narrow#explicit-path-too-narrow'
          : 'cookie-path-too-narrow#default-path-from-callback',
      message: `${entry.cookie.name} is stored with path ${entry.cookie.path}${explicit ? '' : " (no Path attribute: the default is the callback's directory)"}, so it is not sent to ${path}: ${why}`,
      detail: setCookieLine(entry),
      fix: ["Set the session cookie with Path=/ (or the app's base path, without a trailing slash)."],
    }
  }
  return {
    status: 'fail',
    kb: 'cookie-domain-mismatch#host-only-on-other-subdomain',
    message: `${entry.cookie.name} is stored for ${entry.cookie.hostOnly ? `host ${entry.cookie.domain} only` : `domain ${entry.cookie.domain}`} and is not sent to ${new URL(consoleUrl).host}: ${why}`,
    detail: setCookieLine(entry),
    fix: [`Serve the callback on the console's host, or set Domain to a parent domain that covers both hosts.`],
  }
}
