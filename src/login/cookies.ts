/**
 * Cookie storage and retrieval as a current Chromium does it, for explaining login loops.
 *
 * Storage follows the RFC 6265bis storage model (draft-ietf-httpbis-rfc6265bis, "Storage Model")
 * plus Chromium's additions (SameSite=None and Partitioned require Secure, 400-day expiry cap,
 * localhost is a secure context, Lax by default with the 2-minute Lax-allowing-unsafe exception).
 * The algorithms (domain-match, path-match, default-path, canonical domain, registrable domain via
 * the Public Suffix List, cookie-date parsing) come from tough-cookie; the attribute scan is our own
 * because tough-cookie normalises away facts a diagnosis needs (a literal Path, value lengths,
 * prefix case, an invalid SameSite value).
 *
 * Values never leave this module except through CookieSelection.header and CookieJar.values().
 */
import {canonicalDomain, defaultPath, domainMatch, getPublicSuffix, parseDate, pathMatch} from 'tough-cookie'
import {fingerprint, marker} from '../redact/redactor.js'

export type CookieRule =
  /** Also: an empty name with a value starting with __Secure-/__Host- (step 22), e.g. `Set-Cookie: __Host-sid` missing its '='. */
  | 'unparseable'
  | 'name-value-too-large'
  | 'secure-from-insecure'
  | 'samesite-none-without-secure'
  | 'secure-prefix-without-secure'
  | 'host-prefix-without-secure'
  | 'host-prefix-with-domain'
  | 'host-prefix-path'
  | 'domain-mismatch'
  | 'domain-on-ip'
  | 'public-suffix-domain'
  | 'partitioned-without-secure'
  | 'secure-overlay'

export type CookieWarning =
  | 'near-size-limit'
  | 'attribute-too-long'
  | 'samesite-invalid'
  | 'samesite-unspecified'
  | 'expiry-capped'
  /** Path attribute empty or not starting with '/': ignored, the default path applies. */
  | 'path-ignored'

export interface CookieProblem {
  rule: CookieRule | CookieWarning
  message: string
}

export interface SetCookieJudgement {
  name: string
  /** The Set-Cookie line with the value replaced by marker('cookie', value), attributes kept verbatim (except values over 1024 octets, shortened). */
  display: string
  valueBytes: number
  valueFingerprint: string
  setBy: string
  attributes: {
    domain?: string
    path?: string
    secure: boolean
    httpOnly: boolean
    sameSite?: string
    maxAge?: number
    expires?: string
    partitioned: boolean
  }
  hostOnly: boolean
  domain: string
  path: string
  sameSite: 'strict' | 'lax' | 'none'
  sameSiteUnspecified: boolean
  deletion: boolean
  accepted: boolean
  rejections: CookieProblem[]
  warnings: CookieProblem[]
}

export interface SendContext {
  crossSite: boolean
  method: string
  topLevel?: boolean
  now?: number
}

export interface CookieSelection {
  /** Value for the Cookie request header, '' when nothing is sent. Contains raw values: never log it. */
  header: string
  sent: string[]
  withheld: Array<{name: string; reason: string}>
  /** Cookies sent only thanks to a Chromium exception (Lax-allowing-unsafe), with the explanation. */
  notes: Array<{name: string; note: string}>
}

const MAX_NAME_VALUE = 4096
const NEAR_NAME_VALUE = 3800
const MAX_ATTRIBUTE_VALUE = 1024
const MAX_AGE_SECONDS = 400 * 24 * 3600
const LAX_ALLOW_UNSAFE_MS = 120_000
const CTL = /[\x00-\x08\x0A-\x1F\x7F]/
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')
const trimWsp = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '')
const toUrl = (u: URL | string): URL => (typeof u === 'string' ? new URL(u) : u)

function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

function isIpHost(host: string): boolean {
  return IPV4.test(host) || host.startsWith('[') || host.includes(':')
}

/** Chromium's idea of a secure context for cookies: https, or http to localhost, *.localhost, 127.0.0.0/8 or [::1]. */
export function isSecureContext(url: URL | string): boolean {
  const u = toUrl(url)
  if (u.protocol === 'https:' || u.protocol === 'wss:') return true
  if (u.protocol !== 'http:' && u.protocol !== 'ws:') return false
  const host = bare(u.hostname).replace(/\.+$/, '')
  if (IPV4.test(host)) return host.startsWith('127.')
  if (host === '::1') return true
  return host === 'localhost' || host.endsWith('.localhost')
}

/** Registrable domain (eTLD+1, private PSL entries included) or undefined for public suffixes, single labels and IPs. */
function registrable(host: string): string | undefined {
  if (isIpHost(host)) return undefined
  // tough-cookie's getPublicSuffix returns the registrable domain (tldts getDomain), despite its name.
  return getPublicSuffix(host, {ignoreError: true}) ?? undefined
}

/** Schemeful site: scheme + registrable domain (eTLD+1 via the public suffix list); an IP address or a single-label host is its own site. */
export function siteOf(url: URL | string): string {
  const u = toUrl(url)
  const scheme = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol
  const host = u.hostname.replace(/\.+$/, '')
  return `${scheme}//${registrable(host) ?? host}`
}

export function isSameSite(a: URL | string, b: URL | string): boolean {
  return siteOf(a) === siteOf(b)
}

/** Domain attribute value per §5.6.3: leading '.' stripped, lower-cased (and IDNA-encoded). */
function canonicalDomainAttr(value: string): string {
  const v = value.replace(/^\./, '').toLowerCase()
  try {
    return canonicalDomain(v) ?? v
  } catch {
    return v
  }
}

interface RawAttribute {
  name: string
  value: string
  raw: string
}

/** RFC 6265bis §5.6 parsing, keeping what tough-cookie normalises away. */
function scan(header: string): {name: string; value: string; hasEq: boolean; attrs: RawAttribute[]; rest: string} {
  const semi = header.indexOf(';')
  const pair = semi < 0 ? header : header.slice(0, semi)
  const rest = semi < 0 ? '' : header.slice(semi)
  const eq = pair.indexOf('=')
  const name = eq < 0 ? '' : trimWsp(pair.slice(0, eq))
  const value = trimWsp(eq < 0 ? pair : pair.slice(eq + 1))
  const attrs = rest
    .split(';')
    .slice(1)
    .map((raw) => {
      const i = raw.indexOf('=')
      return {name: trimWsp(i < 0 ? raw : raw.slice(0, i)), value: i < 0 ? '' : trimWsp(raw.slice(i + 1)), raw}
    })
    .filter((a) => a.name !== '' || a.value !== '')
  return {name, value, hasEq: eq >= 0, attrs, rest}
}

/**
 * Replace the value wherever else it shows up (an attribute such as Path=/<value>, a path in a
 * message). Values under 6 characters are left alone, like Redactor.addSecret: "1" is everywhere.
 */
function scrub(text: string, value: string): string {
  return value.length >= 6 ? text.split(value).join(marker('cookie', value)) : text
}

function displayOf(header: string, parsed: ReturnType<typeof scan>): string {
  const {name, value, hasEq, rest} = parsed
  let attrs = rest
  for (const a of parsed.attrs) {
    if (bytes(a.value) > MAX_ATTRIBUTE_VALUE)
      attrs = attrs.replace(a.value, `${a.value.slice(0, 32)}…[${bytes(a.value)} octets]`)
  }
  attrs = scrub(attrs, value)
  const shownValue = value === '' ? '' : marker('cookie', value)
  const lead = /^[ \t]*/.exec(header)![0]
  return `${lead}${hasEq ? `${name}=` : ''}${shownValue}${attrs}`
}

interface Evaluated {
  judgement: SetCookieJudgement
  value: string
  expiry?: number
  pathDefaulted: boolean
}

function evaluate(header: string, requestUrl: string, jar: CookieJar | undefined, now: number): Evaluated {
  const url = new URL(requestUrl)
  const host = url.hostname
  const parsed = scan(header)
  const {name, value} = parsed
  const who = name === '' ? '(nameless cookie)' : name
  const rejections: CookieProblem[] = []
  const warnings: CookieProblem[] = []
  const reject = (rule: CookieRule, text: string) =>
    rejections.push({rule, message: scrub(`${who}: rejected: ${text}`, value)})
  const warn = (rule: CookieWarning, text: string) => warnings.push({rule, message: scrub(`${who}: ${text}`, value)})

  if (CTL.test(header))
    reject(
      'unparseable',
      'the Set-Cookie line contains a control character (other than tab), so the whole line is ignored',
    )
  if (name === '' && value === '') reject('unparseable', 'the Set-Cookie line has neither a cookie name nor a value')
  const size = bytes(name) + bytes(value)
  if (size > MAX_NAME_VALUE)
    reject(
      'name-value-too-large',
      `name + value is ${size} octets, over the ${MAX_NAME_VALUE}-octet limit, so the cookie is ignored entirely`,
    )
  else if (size >= NEAR_NAME_VALUE)
    warn(
      'near-size-limit',
      `name + value is ${size} octets, close to the ${MAX_NAME_VALUE}-octet limit above which browsers drop the cookie`,
    )

  const attributes: SetCookieJudgement['attributes'] = {secure: false, httpOnly: false, partitioned: false}
  let expiresDate: Date | undefined
  for (const a of parsed.attrs) {
    const key = a.name.toLowerCase()
    if (bytes(a.value) > MAX_ATTRIBUTE_VALUE) {
      const effect =
        key === 'domain'
          ? ' (the cookie becomes host-only unless an earlier Domain applies)'
          : key === 'path'
            ? ' (the default path applies unless an earlier Path does)'
            : ''
      warn(
        'attribute-too-long',
        `the ${a.name} attribute value is ${bytes(a.value)} octets, over ${MAX_ATTRIBUTE_VALUE}, so it is ignored${effect}`,
      )
      continue
    }
    if (key === 'expires') {
      const d = parseDate(a.value)
      if (d) {
        attributes.expires = a.value
        expiresDate = d
      }
    } else if (key === 'max-age') {
      if (/^-?\d+$/.test(a.value)) attributes.maxAge = Number.parseInt(a.value, 10)
    } else if (key === 'domain') attributes.domain = a.value
    else if (key === 'path') attributes.path = a.value
    else if (key === 'secure') attributes.secure = true
    else if (key === 'httponly') attributes.httpOnly = true
    else if (key === 'samesite') attributes.sameSite = a.value
    else if (key === 'partitioned') attributes.partitioned = true
  }
  const secure = attributes.secure

  // Expiry: Max-Age wins over Expires; both capped at 400 days.
  let expiry: number | undefined
  let deletion = false
  if (attributes.maxAge !== undefined) {
    if (attributes.maxAge <= 0) deletion = true
    else {
      if (attributes.maxAge > MAX_AGE_SECONDS)
        warn('expiry-capped', `Max-Age=${attributes.maxAge} is beyond 400 days; Chromium caps the lifetime at 400 days`)
      expiry = now + Math.min(attributes.maxAge, MAX_AGE_SECONDS) * 1000
    }
  } else if (expiresDate) {
    const t = expiresDate.getTime()
    if (t <= now) deletion = true
    else {
      if (t > now + MAX_AGE_SECONDS * 1000)
        warn(
          'expiry-capped',
          `Expires=${attributes.expires} is more than 400 days ahead; Chromium caps the lifetime at 400 days`,
        )
      expiry = Math.min(t, now + MAX_AGE_SECONDS * 1000)
    }
  }

  // Domain (steps 7-10).
  let hostOnly = true
  let domain = host
  const domainAttr = attributes.domain === undefined ? '' : canonicalDomainAttr(attributes.domain)
  if (domainAttr !== '') {
    const shown = `Domain=${attributes.domain}`
    if (isIpHost(host)) {
      if (bare(domainAttr) !== bare(host)) {
        hostOnly = false
        domain = domainAttr
        reject(
          'domain-on-ip',
          `${shown} on a cookie set by the IP address ${host}: an IP host can only set host-only cookies (omit Domain or make it identical to the address)`,
        )
      }
    } else if (registrable(domainAttr) === undefined) {
      // A public suffix (or a single label with no registrable domain) is only allowed as the exact host, and then host-only (step 9).
      if (domainAttr !== host) {
        hostOnly = false
        domain = domainAttr
        reject(
          'public-suffix-domain',
          `${shown} is a public suffix (Public Suffix List, or a name with no registrable domain), so no site under it may set a cookie for all of it; only the host ${domainAttr} itself could, as a host-only cookie`,
        )
        if (!domainMatch(host, domainAttr, false))
          reject('domain-mismatch', `${shown} does not domain-match the host ${host} that set it`)
      }
    } else {
      hostOnly = false
      domain = domainAttr
      if (!domainMatch(host, domainAttr, false))
        reject('domain-mismatch', `${shown} does not domain-match the host ${host} that set it`)
    }
  }

  // Path (step 11 and §5.6.4).
  const literalPath = attributes.path
  const pathDefaulted = literalPath === undefined || !literalPath.startsWith('/')
  const path = pathDefaulted ? defaultPath(url.pathname) : literalPath
  if (literalPath !== undefined && pathDefaulted)
    warn(
      'path-ignored',
      `Path=${literalPath} does not start with '/', so it is ignored and the default path ${path} (from ${url.pathname}) applies`,
    )

  // Secure (step 13) and secure overlay (step 16).
  const secureCtx = isSecureContext(url)
  if (secure && !secureCtx)
    reject(
      'secure-from-insecure',
      `Secure cookie set over plain ${url.origin} (only https, localhost and loopback addresses are secure contexts in Chromium)`,
    )
  if (!secure && !secureCtx && jar) {
    const clash = jar
      .storedCookies()
      .find(
        (c) =>
          c.name === name &&
          c.secure &&
          (c.expiry === undefined || c.expiry > now) &&
          (domainMatch(c.domain, domain, false) || domainMatch(domain, c.domain, false)) &&
          pathMatch(path, c.path),
      )
    if (clash)
      reject(
        'secure-overlay',
        `a non-Secure cookie from the insecure ${url.origin} may not overlay the existing Secure cookie ${name} (domain ${clash.domain}, path ${clash.path})`,
      )
  }

  // SameSite (steps 17-19).
  let sameSite: 'strict' | 'lax' | 'none' = 'lax'
  let sameSiteUnspecified = true
  const ss = attributes.sameSite?.toLowerCase()
  if (ss === 'strict' || ss === 'lax' || ss === 'none') {
    sameSite = ss
    sameSiteUnspecified = false
  } else if (attributes.sameSite !== undefined) {
    warn(
      'samesite-invalid',
      `SameSite=${attributes.sameSite} is not Strict, Lax or None, so it is treated as unspecified: Chromium applies Lax ("Lax by default")`,
    )
  } else if (!deletion) {
    warn(
      'samesite-unspecified',
      'no SameSite attribute: Chromium treats it as SameSite=Lax ("Lax by default"), so it is not sent on cross-site POSTs or subrequests (except a cross-site top-level POST within 2 minutes of being set)',
    )
  }
  if (sameSite === 'none' && !secure)
    reject(
      'samesite-none-without-secure',
      'SameSite=None requires Secure (Chromium rejects it on every host, including localhost)',
    )

  // Prefixes (steps 20-22), matched case-insensitively as the latest draft and Chromium do.
  const lname = name.toLowerCase()
  const prefix = (p: string) =>
    name.slice(0, p.length) === p
      ? `the ${p} prefix`
      : `the ${p} prefix (matched case-insensitively: ${name.slice(0, p.length)})`
  if (lname.startsWith('__secure-') && !secure)
    reject('secure-prefix-without-secure', `${prefix('__Secure-')} requires the Secure attribute`)
  if (lname.startsWith('__host-')) {
    if (!secure) reject('host-prefix-without-secure', `${prefix('__Host-')} requires the Secure attribute`)
    if (domainAttr !== '')
      reject(
        'host-prefix-with-domain',
        `${prefix('__Host-')} forbids a Domain attribute (got Domain=${attributes.domain})`,
      )
    if (literalPath !== '/')
      reject(
        'host-prefix-path',
        `${prefix('__Host-')} requires Path=/ (${literalPath === undefined ? 'no Path attribute; a defaulted / does not count' : `got Path=${literalPath}`})`,
      )
  }
  const lvalue = value.toLowerCase()
  if (name === '' && (lvalue.startsWith('__secure-') || lvalue.startsWith('__host-')))
    reject(
      'unparseable',
      "the line has no '=' before its first ';' (or an empty name) and its value starts with __Secure- or __Host-: a nameless cookie that would be sent looking like a prefixed cookie is rejected (was a '=value' forgotten?)",
    )

  if (attributes.partitioned && !secure)
    reject('partitioned-without-secure', 'Partitioned requires Secure (Chromium rejects it otherwise)')

  const judgement: SetCookieJudgement = {
    name,
    display: displayOf(header, parsed),
    valueBytes: bytes(value),
    valueFingerprint: fingerprint(value),
    setBy: requestUrl,
    attributes,
    hostOnly,
    domain,
    path,
    sameSite,
    sameSiteUnspecified,
    deletion,
    accepted: rejections.length === 0,
    rejections,
    warnings,
  }
  return {judgement, value, expiry, pathDefaulted}
}

/** Judge one Set-Cookie header value received from requestUrl. `jar` (optional) enables the secure-overlay rule. `now` in epoch ms (default Date.now()). */
export function judgeSetCookie(
  header: string,
  requestUrl: string,
  options: {jar?: CookieJar; now?: number} = {},
): SetCookieJudgement {
  return evaluate(header, requestUrl, options.jar, options.now ?? Date.now()).judgement
}

interface StoredCookie {
  name: string
  value: string
  domain: string
  hostOnly: boolean
  path: string
  pathDefaulted: boolean
  secure: boolean
  httpOnly: boolean
  sameSite: 'strict' | 'lax' | 'none'
  sameSiteUnspecified: boolean
  expiry?: number
  creation: number
  seq: number
}

const keyOf = (c: {name: string; domain: string; hostOnly: boolean; path: string}) =>
  `${c.name}\u0000${c.domain}\u0000${c.hostOnly}\u0000${c.path}`

export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>()
  private seq = 0

  /** @internal Stored cookies, for the secure-overlay rule. */
  storedCookies(): readonly StoredCookie[] {
    return [...this.cookies.values()]
  }

  /** Store the cookies of one response; returns a judgement per Set-Cookie (in order). Rejected cookies are not stored; deletions remove. */
  storeFrom(setCookieHeaders: string[], requestUrl: string, now: number = Date.now()): SetCookieJudgement[] {
    return setCookieHeaders.map((header) => {
      const {judgement: j, value, expiry, pathDefaulted} = evaluate(header, requestUrl, this, now)
      if (!j.accepted) return j
      const key = keyOf(j)
      const old = this.cookies.get(key)
      this.cookies.delete(key)
      if (j.deletion) return j
      this.cookies.set(key, {
        name: j.name,
        value,
        domain: j.domain,
        hostOnly: j.hostOnly,
        path: j.path,
        pathDefaulted,
        secure: j.attributes.secure,
        httpOnly: j.attributes.httpOnly,
        sameSite: j.sameSite,
        sameSiteUnspecified: j.sameSiteUnspecified,
        expiry,
        // Chromium keeps the creation time when a cookie is overwritten with the same value.
        creation: old && old.value === value ? old.creation : now,
        seq: old && old.value === value ? old.seq : this.seq++,
      })
      return j
    })
  }

  private reasonAndNote(c: StoredCookie, url: URL, ctx: SendContext, now: number): {reason?: string; note?: string} {
    const host = url.hostname
    if (c.expiry !== undefined && c.expiry <= now)
      return {reason: `expired ${Math.round((now - c.expiry) / 1000)} s ago`}
    if (c.hostOnly && c.domain !== host)
      return {reason: `host-only cookie of ${c.domain} (set without Domain), not sent to the other host ${host}`}
    if (!c.hostOnly && !domainMatch(host, c.domain, false))
      return {reason: `Domain=${c.domain} does not match the host ${host}`}
    if (!pathMatch(url.pathname, c.path)) {
      const p = c.pathDefaulted
        ? `path ${c.path} (defaulted from the URL that set it: no valid Path attribute)`
        : `Path=${c.path}`
      return {reason: `${p} does not cover ${url.pathname}`}
    }
    if (c.secure && !isSecureContext(url)) return {reason: `Secure cookie is not sent to the non-secure ${url.origin}`}
    if (!ctx.crossSite || c.sameSite === 'none') return {}
    const topLevel = ctx.topLevel ?? true
    const method = ctx.method.toUpperCase()
    const kind = topLevel ? 'navigation' : 'subresource request'
    if (c.sameSite === 'strict') return {reason: `SameSite=Strict is not sent on a cross-site ${kind}`}
    const lax = c.sameSiteUnspecified ? 'no SameSite attribute (Chromium: Lax by default)' : 'SameSite=Lax'
    if (!topLevel)
      return {reason: `${lax}: not sent on a cross-site subresource request (only on top-level navigations)`}
    if (SAFE_METHODS.has(method)) return {}
    const age = now - c.creation
    if (c.sameSiteUnspecified) {
      if (age < LAX_ALLOW_UNSAFE_MS)
        return {
          note: `sent on a cross-site ${method} only because of Chromium's Lax-allowing-unsafe exception: it has no SameSite attribute and is ${Math.round(age / 1000)} s old (under 120 s); after 2 minutes it would be withheld`,
        }
      return {
        reason: `${lax}: not sent on a cross-site ${method}; Chromium's 2-minute Lax-allowing-unsafe exception has passed (cookie is ${Math.round(age / 1000)} s old)`,
      }
    }
    return {reason: `SameSite=Lax is not sent on a cross-site ${method} (only on top-level GET navigations)`}
  }

  /** Cookies for a request to url (RFC 6265bis §5.8.3 retrieval: domain match / host-only, path-match, secure, expiry, SameSite per SendContext); sorted longer paths first. */
  select(url: string, ctx: SendContext): CookieSelection {
    const u = new URL(url)
    const now = ctx.now ?? Date.now()
    const ordered = [...this.cookies.values()].sort(
      (a, b) => b.path.length - a.path.length || a.creation - b.creation || a.seq - b.seq,
    )
    const sent: StoredCookie[] = []
    const selection: CookieSelection = {header: '', sent: [], withheld: [], notes: []}
    for (const c of ordered) {
      const {reason, note} = this.reasonAndNote(c, u, ctx, now)
      if (reason) selection.withheld.push({name: c.name, reason: scrub(reason, c.value)})
      else {
        sent.push(c)
        if (note) selection.notes.push({name: c.name, note: scrub(note, c.value)})
      }
    }
    selection.sent = sent.map((c) => c.name)
    selection.header = sent.map((c) => (c.name === '' ? c.value : `${c.name}=${c.value}`)).join('; ')
    return selection
  }

  /** Stored cookie names and where they live, values never included. */
  list(): Array<{
    name: string
    domain: string
    hostOnly: boolean
    path: string
    secure: boolean
    sameSite: 'strict' | 'lax' | 'none'
    valueBytes: number
    valueFingerprint: string
  }> {
    return [...this.cookies.values()].map((c) => ({
      name: c.name,
      domain: scrub(c.domain, c.value),
      hostOnly: c.hostOnly,
      path: scrub(c.path, c.value),
      secure: c.secure,
      sameSite: c.sameSite,
      valueBytes: bytes(c.value),
      valueFingerprint: fingerprint(c.value),
    }))
  }

  /** Raw values of every stored cookie, so the caller can register them with its redactor. */
  values(): string[] {
    return [...this.cookies.values()].map((c) => c.value)
  }

  /** Would a stored cookie with this name be sent to url? Returns undefined when yes, else the reason (same wording as withheld). */
  whyNotSent(name: string, url: string, ctx: SendContext): string | undefined {
    const sel = this.select(url, ctx)
    if (sel.sent.includes(name)) return undefined
    const reasons = sel.withheld.filter((w) => w.name === name).map((w) => w.reason)
    return reasons.length ? reasons.join('; ') : `no cookie named ${name} is stored`
  }
}

/**
 * Size in bytes of the Cookie request header line the selection produces ("Cookie: " + value + CRLF),
 * 0 when nothing is sent. Compare with nginx large_client_header_buffers (8 KiB per header line by default).
 */
export function cookieHeaderBytes(selection: CookieSelection): number {
  return selection.header === '' ? 0 : bytes(`Cookie: ${selection.header}\r\n`)
}
