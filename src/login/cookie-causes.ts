import type {CookieRule, SetCookieJudgement} from './cookies.js'
import type {Walk, WalkHop} from './walk.js'

/** The browser behaviour every cookie verdict assumes; printed with the findings. */
export const BROWSER_NOTE =
  'Cookie verdicts follow current Chromium: http://localhost, *.localhost and loopback addresses count as secure for Secure cookies (Safari does not), SameSite=None needs Secure on every host, a missing SameSite means Lax, and name+value may not exceed 4096 bytes.'

/** The knowledge-base cause for each storage rule a cookie can break (the cookie entries). */
export const RULE_CAUSE: Record<CookieRule, string> = {
  unparseable: 'console-redirects-to-login#session-not-kept',
  'name-value-too-large': 'cookie-too-large#tokens-in-cookie',
  'secure-from-insecure': 'cookie-secure-over-http#site-served-over-http',
  'samesite-none-without-secure': 'cookie-samesite-none-without-secure#none-without-secure',
  'secure-prefix-without-secure': 'cookie-prefix-rejected#prefix-without-secure',
  'host-prefix-without-secure': 'cookie-prefix-rejected#prefix-without-secure',
  'host-prefix-with-domain': 'cookie-prefix-rejected#host-prefix-with-domain',
  'host-prefix-path': 'cookie-prefix-rejected#host-prefix-path-not-root',
  'domain-mismatch': 'cookie-domain-mismatch#domain-not-matching-host',
  'domain-on-ip': 'cookie-domain-mismatch#domain-on-ip-address',
  'public-suffix-domain': 'cookie-domain-mismatch#public-suffix-domain',
  'partitioned-without-secure': 'cookie-secure-over-http#site-served-over-http',
  'secure-overlay': 'cookie-secure-over-http#secure-cookie-overlay',
}

/** The same rules seen as the cause of a redirect loop (the login-redirect-loop entry, where it has one). */
export const LOOP_RULE_CAUSE: Record<CookieRule, string> = {
  ...RULE_CAUSE,
  'secure-from-insecure': 'login-redirect-loop#cookie-rejected-insecure',
  'samesite-none-without-secure': 'login-redirect-loop#cookie-rejected-insecure',
  'partitioned-without-secure': 'login-redirect-loop#cookie-rejected-insecure',
  'domain-mismatch': 'login-redirect-loop#session-cookie-domain',
  'domain-on-ip': 'login-redirect-loop#session-cookie-domain',
  'public-suffix-domain': 'login-redirect-loop#session-cookie-domain',
}

/** The cause for a rejected cookie, refined by how it was set (https, SameSite). */
export function causeForRejection(cookie: SetCookieJudgement, loop: boolean): string {
  const rule = cookie.rejections[0].rule as CookieRule
  const overHttps = cookie.setBy.startsWith('https:')
  // SameSite=None without Secure over https: the framework left Secure out because it thinks the request was http.
  if (rule === 'samesite-none-without-secure' && overHttps)
    return 'cookie-samesite-none-without-secure#secure-dropped-behind-proxy'
  if (!loop && rule === 'secure-from-insecure' && cookie.sameSite === 'none' && !cookie.sameSiteUnspecified)
    return 'cookie-samesite-none-without-secure#cross-site-flow-on-plain-http'
  return (loop ? LOOP_RULE_CAUSE : RULE_CAUSE)[rule]
}

/** When the callback set no session cookie: behind TLS termination, the usual reason is the app thinking it is on http. */
export function missingSessionCause(consoleUrl: string): string {
  return consoleUrl.startsWith('https:')
    ? 'cookie-secure-over-http#proxy-reports-http'
    : 'console-redirects-to-login#session-not-kept'
}

export interface JudgedCookie {
  hop: WalkHop
  cookie: SetCookieJudgement
}

/** Every Set-Cookie the walk received, in order. */
export function judgedCookies(walk: Walk): JudgedCookie[] {
  return walk.hops.flatMap((hop) => hop.setCookies.map((cookie) => ({hop, cookie})))
}

/** `_session.legacy.sig` -> `_session.sig`, `KEYCLOAK_IDENTITY_LEGACY` -> `KEYCLOAK_IDENTITY`. */
const withoutLegacy = (name: string): string => name.replace(/[._-]legacy(?=$|[._-])/i, '')

/**
 * Rejected cookies that matter. A SameSite=None cookie without Secure that comes with an
 * accepted "legacy" twin (oidc-provider's `_session.legacy`, Keycloak's `*_LEGACY`) is the
 * deliberate fallback for browsers that reject it: sign-in still works, so it is a note.
 */
export function rejectedCookies(walk: Walk): {rejected: JudgedCookie[]; covered: JudgedCookie[]} {
  const all = judgedCookies(walk)
  const rejected: JudgedCookie[] = []
  const covered: JudgedCookie[] = []
  for (const entry of all) {
    if (entry.cookie.accepted) continue
    const twin =
      entry.cookie.rejections.every((r) => r.rule === 'samesite-none-without-secure') &&
      entry.hop.setCookies.some(
        (c) => c.accepted && c.name !== entry.cookie.name && withoutLegacy(c.name) === entry.cookie.name,
      )
    ;(twin ? covered : rejected).push(entry)
  }
  return {rejected, covered}
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

/** The rules a cookie broke, without the leading "name: rejected: ". */
export function ruleText(cookie: SetCookieJudgement): string {
  return cookie.rejections
    .map((r) => r.message.replace(new RegExp(`^${cookie.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: rejected: `), ''))
    .join('; ')
}

/** The exact Set-Cookie (value redacted) and where it came from, for the evidence. */
export function setCookieLine(entry: JudgedCookie): string {
  return `Set-Cookie at hop ${entry.hop.n} (${entry.hop.method} ${withoutQuery(entry.cookie.setBy)}): ${entry.cookie.display}`
}

export function withoutQuery(url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return url
  }
}

/** A cycle as a browser would show it: paths on the app; consecutive hops on another host as one step. */
export function cycleText(hops: readonly WalkHop[], appOrigin: string): string {
  const steps: string[] = []
  let run: {host: string; count: number} | undefined
  const flush = () => {
    if (run) steps.push(run.count > 1 ? `${run.host} (${run.count} hops)` : run.host)
    run = undefined
  }
  for (const h of hops) {
    let u: URL
    try {
      u = new URL(h.url)
    } catch {
      flush()
      steps.push(h.url)
      continue
    }
    if (u.origin === appOrigin) {
      flush()
      steps.push(u.pathname)
    } else if (run && run.host === u.host) run.count++
    else {
      flush()
      run = {host: u.host, count: 1}
    }
  }
  flush()
  return steps.join(' → ')
}

/** The hop sequence, one line per hop, for evidence. URLs are redacted later with the report. */
export function hopLines(walk: Walk): string[] {
  return walk.hops.map((h) => {
    const to = h.location ? ` -> ${h.location}` : ''
    const status = h.status ?? h.error?.kind ?? '?'
    const cookies = h.setCookies.length
      ? ` [set ${h.setCookies.map((c) => `${c.name}${c.accepted ? '' : ' REJECTED'}`).join(', ')}]`
      : ''
    const withheld = h.cookiesWithheld.length ? ` [withheld ${h.cookiesWithheld.map((w) => w.name).join(', ')}]` : ''
    return `${h.n}. ${h.method} ${h.url} (${h.via}) ${status}${to}${cookies}${withheld}`
  })
}
