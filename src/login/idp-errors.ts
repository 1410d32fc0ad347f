/**
 * Recognise identity-provider error pages at the authorization endpoint.
 *
 * RFC 6749 §4.1.2.1: when client_id or redirect_uri is invalid the IdP must not redirect; it shows
 * an error page. `classifyIdpError` reads that page (HTML or JSON) and says which error it is,
 * matching machine codes first and wording second (vendors reword their pages).
 */
import {type PageInfo, readPage} from './html.js'

export type IdpRejectionKind = 'redirect-uri' | 'client' | 'client-disabled' | 'other'

export interface IdpErrorMatch {
  /** 'keycloak' | 'google' | 'okta' | 'auth0' | 'entra' | 'dex' | 'gitlab' | 'oidc-provider' | 'generic' */
  idp: string
  kind: IdpRejectionKind
  /** The machine code when there is one: 'invalid_redirect_uri', 'redirect_uri_mismatch', 'AADSTS50011', 'invalid_client', ... */
  code?: string
  /** The recognised error text as the page shows it (trimmed, at most 300 chars). */
  message: string
  /** Caveats a support engineer needs. */
  notes: string[]
}

export interface IdpResponse {
  status: number
  url: string
  contentType?: string
  body: string
  location?: string
}

const MAX_MESSAGE = 300

export const KEYCLOAK_REDIRECT_NOTE =
  'Keycloak builds between PR #13314 (merged 2022-07) and its revert PR #19731 (merged 2023-04) also showed "Invalid parameter: redirect_uri" for an unknown client, so on those versions this message does not prove the client exists.'
const ENTRA_CASE_NOTE =
  'Entra ID says the reply address did not match because of case sensitivity: a registered redirect URI differs from the one sent only in letter case.'
const ENTRA_TENANT_NOTE =
  'Entra ID looks the application up in the tenant named in the authorization URL; "not found in the directory" also happens when the request goes to the wrong tenant (another tenant id, or /common for a single-tenant app).'

/** Codes that by themselves say what was rejected. Other codes (invalid_request, unauthorized_client, ...) defer to the wording. */
const CODE_KINDS: Record<string, IdpRejectionKind> = {
  invalid_redirect_uri: 'redirect-uri',
  redirect_uri_mismatch: 'redirect-uri',
  invalid_client: 'client',
  client_not_found: 'client',
  unknown_client: 'client',
  deleted_client: 'client',
  disabled_client: 'client-disabled',
}

const ENTRA_KINDS: Record<string, IdpRejectionKind> = {
  '50011': 'redirect-uri', // redirect URI / reply URL does not match
  '500113': 'redirect-uri', // no reply address is registered for the application
  '900971': 'redirect-uri', // no reply address provided
  '700016': 'client', // application not found in the directory
  '7000112': 'client-disabled', // application is disabled
}

/** Everything the signatures look at. */
interface Evidence {
  res: IdpResponse
  host: string
  path: string
  page?: PageInfo
  title: string
  /** title, headings, error boxes and visible text (or the JSON's strings), whitespace-collapsed. */
  hay: string
  /** Codes stated explicitly (JSON fields, "Error 400: x", "Error Code: x", "error: x"). */
  codes: string[]
  /** Descriptions stated explicitly (JSON error_description / errorSummary, oidc-provider's error_description line). */
  descriptions: string[]
  errorish: boolean
}

type Signature = (ev: Evidence) => IdpErrorMatch | undefined

const collapse = (s: string): string => s.replace(/\s+/g, ' ').trim()

function clip(s: string, max = MAX_MESSAGE): string {
  const t = collapse(s)
  if (t.length <= max) return t
  return `${t.slice(0, max - 1).trimEnd()}…`
}

function match(
  idp: string,
  kind: IdpRejectionKind,
  message: string,
  code?: string,
  notes: string[] = [],
): IdpErrorMatch {
  const m: IdpErrorMatch = {idp, kind, message: clip(message), notes}
  if (code) m.code = code
  return m
}

function hostOf(url: string | undefined): {host: string; path: string} {
  try {
    const u = new URL(url ?? '')
    return {host: u.hostname.toLowerCase(), path: u.pathname}
  } catch {
    return {host: '', path: ''}
  }
}

const isGoogleHost = (h: string): boolean => h === 'accounts.google.com' || h.endsWith('.accounts.google.com')
const isMicrosoftHost = (h: string): boolean =>
  /(?:^|\.)(?:login\.microsoftonline\.com|login\.microsoftonline\.us|login\.partner\.microsoftonline\.cn|login\.windows\.net|login\.microsoft\.com|login\.live\.com|sts\.windows\.net)$/.test(
    h,
  ) || h.endsWith('.ciamlogin.com')
const isOktaHost = (h: string): boolean => /(?:^|\.)(?:okta|oktapreview|okta-emea|okta-gov)\.com$/.test(h)
const isAuth0Host = (h: string): boolean => /(?:^|\.)auth0\.com$/.test(h)

/** First sentence(s) of `text` starting at `from`, up to MAX_MESSAGE chars, stopping before trace boilerplate. */
function sentencesFrom(text: string, from: number, stop?: RegExp): string {
  let s = text.slice(from, from + 2000)
  const cut =
    /\s(?:Trace ID|Correlation ID|Timestamp|Request Id|Troubleshooting details|Please go to|Navigate to|Learn more|Request details|Request Details|If you(?:'|’)re the app developer)\b/i.exec(
      s,
    )
  if (cut) s = s.slice(0, cut.index)
  if (stop) {
    const st = stop.exec(s)
    if (st) s = s.slice(0, st.index)
  }
  const parts = s.split(/(?<=[.!?])\s+(?=[A-Z])/)
  let out = parts[0] ?? ''
  for (const p of parts.slice(1)) {
    if (out.length + 1 + p.length > MAX_MESSAGE) break
    out += ` ${p}`
  }
  return out.trim()
}

function codeKind(code: string | undefined): IdpRejectionKind | undefined {
  return code ? CODE_KINDS[code.toLowerCase()] : undefined
}

/** Kind from wording that names the parameter. `GAP` spans words and URLs but not a sentence end. */
const GAP = String.raw`(?:[^.]|\.(?!\s|$))`
const TEXT_KINDS: Array<[RegExp, IdpRejectionKind]> = [
  [
    new RegExp(
      String.raw`\b(?:redirect[_ -]?ur[il]s?|callback[_ -]?ur[il]s?|reply[_ -]?ur[il]s?|reply address|return[_ -]?ur[il])\b${GAP}{0,100}?\b(?:mismatch(?:ed)?|invalid|not (?:registered|allowed|valid|whitelisted|permitted|in the list)|(?:does|did)(?: not|n't) match|unregistered|malformed)`,
      'i',
    ),
    'redirect-uri',
  ],
  [
    /\b(?:invalid|unregistered|mismatched|unknown|bad|wrong)\s+(?:redirect[_ -]?uri|callback[_ -]?url|reply[_ -]?url)/i,
    'redirect-uri',
  ],
  [new RegExp(String.raw`\bclient(?:[_ ]?id)?\b${GAP}{0,40}?\b(?:is\s+)?disabled\b`, 'i'), 'client-disabled'],
  [
    new RegExp(
      String.raw`\bclient(?:[_ ]?id)?\b${GAP}{0,60}?\b(?:not found|unknown|invalid|does not exist|doesn't exist|not registered|was not found)`,
      'i',
    ),
    'client',
  ],
  [/\b(?:unknown|invalid|unregistered)\s+(?:oauth\s+)?client(?:[_ ]?id)?\b/i, 'client'],
]

function textKind(text: string): IdpRejectionKind | undefined {
  return TEXT_KINDS.find(([re]) => re.test(text))?.[1]
}

/** The sentence around the first match of `re` in `text`. */
function sentenceAround(text: string, re: RegExp): string | undefined {
  const m = re.exec(text)
  if (!m) return undefined
  const dot = text.lastIndexOf('. ', m.index)
  return sentencesFrom(text, dot >= 0 ? dot + 2 : 0)
}

// ---------------------------------------------------------------------------------------------
// Signatures, most specific first.

const entra: Signature = (ev) => {
  let number: string | undefined
  let message: string | undefined
  for (const s of [...ev.descriptions, ev.hay]) {
    const m = /AADSTS(\d{5,8})\b/.exec(s)
    if (m) {
      number = m[1]
      message = sentencesFrom(s, m.index)
      break
    }
  }
  // JSON error_codes: [50011] without the AADSTS text.
  number ??= ev.codes.find((c) => /^AADSTS\d{5,8}$/.test(c))?.slice(6)
  if (!number) return undefined
  const code = `AADSTS${number}`
  const kind = ENTRA_KINDS[number] ?? 'other'
  message ??= ev.descriptions[0] ?? code
  const notes: string[] = []
  if (kind === 'redirect-uri' && /case[ -]?sensitiv/i.test(ev.hay)) notes.push(ENTRA_CASE_NOTE)
  if (number === '700016') notes.push(ENTRA_TENANT_NOTE)
  if (number === '90002')
    notes.push('The tenant in the authorization URL does not exist: check the tenant id or domain in the issuer.')
  return match('entra', kind, message, code, notes)
}

const oidcProvider: Signature = (ev) => {
  const titled = /^oops! something went wrong$/i.test(ev.title)
  const desc = ev.descriptions[0] ?? ''
  const known = /redirect_uri did not match any of the client's registered redirect_uris|^client is invalid$/.test(desc)
  if (!titled && !known) return undefined
  const code = ev.codes[0]
  if (!code) return undefined
  const kind = codeKind(code) ?? textKind(desc) ?? 'other'
  return match('oidc-provider', kind, desc ? `${code}: ${desc}` : code, code)
}

const google: Signature = (ev) => {
  const line = /\bError(?:\s+(\d{3}))?\s*:\s*([A-Za-z]+_[A-Za-z_]+)\b/.exec(ev.hay)
  const notFound = /The OAuth client was (not found|deleted|disabled)\.?/i.exec(ev.hay)
  const googly = isGoogleHost(ev.host) || /\bGoogle\b/.test(ev.hay)
  if (!googly || (!line && !notFound)) return undefined
  const code = line
    ? line[2].toLowerCase()
    : notFound?.[1] === 'deleted'
      ? 'deleted_client'
      : notFound?.[1] === 'disabled'
        ? 'disabled_client'
        : 'invalid_client'
  const kind = codeKind(code) ?? textKind(ev.hay) ?? 'other'
  let message = line ? line[0].replace(/\s+/g, ' ') : code
  if (notFound) message += ` (${notFound[0].replace(/\.?$/, '.')})`
  if (kind === 'redirect-uri') {
    const uri = /redirect_uri\s*[=:]\s*([^\s"'<>]+)/i.exec(ev.hay)
    if (uri) message += ` (redirect_uri=${uri[1]})`
  }
  return match('google', kind, message, code)
}

const okta: Signature = (ev) => {
  const redirect = /The 'redirect_uri' parameter must be (?:a|an) [^.:]*?redirect URI in the client app settings/i.exec(
    ev.hay,
  )
  const client = /Invalid value for 'client_id' parameter\./i.exec(ev.hay)
  const labelled = /\bError Code:?\s*([a-z_]+)/i.exec(ev.hay)
  const code = ev.codes[0] ?? labelled?.[1]
  if (redirect) return match('okta', 'redirect-uri', `${redirect[0]}.`, code)
  if (client) return match('okta', 'client', client[0], code ?? 'invalid_client')
  if (isOktaHost(ev.host) && ev.errorish && code) {
    const summary =
      ev.descriptions[0] ??
      /Description:?\s*([^\n]+?)(?=\s+(?:Error Code|Identity Provider)\b|$)/i.exec(ev.hay)?.[1] ??
      code
    return match('okta', codeKind(code) ?? textKind(summary) ?? 'other', summary, code)
  }
  return undefined
}

const keycloakShape = (ev: Evidence): boolean =>
  /We are sorry\.\.\./i.test(ev.hay) ||
  /\/realms\/[^/]+\/protocol\/openid-connect\//.test(ev.path) ||
  /\bkc-(?:error-message|page-title|feedback)/.test(ev.res.body.slice(0, 200_000))

const keycloak: Signature = (ev) => {
  if (/Invalid parameter:\s*redirect_uri\b/i.test(ev.hay))
    return match('keycloak', 'redirect-uri', 'Invalid parameter: redirect_uri', undefined, [KEYCLOAK_REDIRECT_NOTE])
  if (!keycloakShape(ev)) return undefined
  if (/\bClient not found\b/i.test(ev.hay)) return match('keycloak', 'client', 'Client not found.')
  if (/\bClient disabled\b/i.test(ev.hay)) return match('keycloak', 'client-disabled', 'Client disabled.')
  const invalid = /\b(?:Invalid|Missing) parameter:\s*[\w.-]+/i.exec(ev.hay)
  if (invalid) return match('keycloak', 'other', invalid[0])
  if (/We are sorry\.\.\./i.test(ev.hay)) {
    const msg = ev.page?.errorTexts.find((t) => !/^We are sorry/i.test(t)) ?? 'We are sorry...'
    return match('keycloak', 'other', msg)
  }
  return undefined
}

const auth0: Signature = (ev) => {
  const tech = /\b(unauthorized_client|invalid_request|invalid_client|access_denied|server_error)\s*:/.exec(ev.hay)
  const code = ev.codes[0] ?? tech?.[1]
  const old = /The url "([^"]+)" is not in the list of allowed callback URLs/i.exec(ev.hay)
  if (/Callback URL mismatch/i.test(ev.hay) || old) {
    let message = 'Callback URL mismatch.'
    if (old) message += ` ${sentencesFrom(ev.hay, old.index, /:\s/)}`
    else if (/The provided redirect_uri is not in the list of allowed callback URLs\.?/i.test(ev.hay))
      message += ' The provided redirect_uri is not in the list of allowed callback URLs.'
    const detail = /Callback URL mismatch\.?\s+(\S+) is not in the list of allowed callback URLs/i.exec(ev.hay)
    if (!old && detail) message += ` (${detail[1]})`
    return match('auth0', 'redirect-uri', message, code)
  }
  const auth0ish =
    isAuth0Host(ev.host) || /Oops!\s*,\s*something went wrong/i.test(ev.hay) || /\bauth0\b/i.test(ev.title)
  if (!auth0ish) return undefined
  const unknown = /Unknown client:?\s*[^\s.<]*/i.exec(ev.hay)
  if (unknown || code === 'invalid_client')
    return match('auth0', 'client', unknown?.[0] ?? 'invalid_client', code ?? 'invalid_client')
  return undefined
}

const dex: Signature = (ev) => {
  const redirect = /Unregistered redirect_uri \((?:"[^"]*"|[^)]*)\)\.?/.exec(ev.hay)
  if (redirect) return match('dex', 'redirect-uri', redirect[0], ev.codes[0])
  const client = /Invalid client_id \((?:"[^"]*"|[^)]*)\)\.?/.exec(ev.hay)
  if (client) return match('dex', 'client', client[0], ev.codes[0])
  return undefined
}

const doorkeeper: Signature = (ev) => {
  const redirect =
    /The redirect URI included is not valid\.|The requested redirect uri is malformed or doesn't match client redirect URI\./i.exec(
      ev.hay,
    )
  const client =
    /Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method\./i.exec(
      ev.hay,
    )
  const found = redirect ?? client
  if (!found) return undefined
  const gitlab = /gitlab/i.test(ev.host) || /\bGitLab\b/.test(ev.hay)
  return match(gitlab ? 'gitlab' : 'generic', redirect ? 'redirect-uri' : 'client', found[0], ev.codes[0])
}

/** Codes and wording any IdP may use. */
const genericSignature: Signature = (ev) => {
  const stated = ev.codes.find((c) => codeKind(c))
  const code =
    stated ??
    (ev.errorish
      ? /\b(invalid_redirect_uri|redirect_uri_mismatch|invalid_client|unknown_client|client_not_found)\b/.exec(
          ev.hay,
        )?.[1]
      : undefined)
  const fromCode = codeKind(code)
  const text = [...ev.descriptions, ev.hay].join(' \n ')
  const kind = fromCode ?? (ev.errorish ? textKind(text) : undefined)
  if (!kind) return undefined
  const described = ev.descriptions[0]
  const message = described ? (code ? `${code}: ${described}` : described) : bestErrorText(ev, kind)
  return match('generic', kind, message, code ?? ev.codes[0])
}

const SIGNATURES: Signature[] = [entra, oidcProvider, google, okta, keycloak, auth0, dex, doorkeeper, genericSignature]

function bestErrorText(ev: Evidence, kind?: IdpRejectionKind): string {
  if (kind && kind !== 'other') {
    const re = kind === 'redirect-uri' ? /redirect[_ -]?ur[il]|callback[_ -]?url|reply[_ -]?url/i : /client/i
    const hit = [...(ev.page?.errorTexts ?? []), ...(ev.page?.headings ?? [])].find((t) => re.test(t))
    if (hit) return hit
    const s = sentenceAround(ev.hay, re)
    if (s) return s
  }
  const page = ev.page
  const headings = page?.headings.length ? page.headings.slice(0, 2).join(' — ') : undefined
  return (
    page?.errorTexts[0] ??
    headings ??
    (ev.title || undefined) ??
    (page?.text.slice(0, MAX_MESSAGE) || ev.res.body.slice(0, MAX_MESSAGE))
  )
}

// ---------------------------------------------------------------------------------------------
// Inputs

function parseJson(res: IdpResponse): Record<string, unknown> | undefined {
  const body = res.body.trim()
  const jsonType = /\bjson\b/i.test(res.contentType ?? '')
  if (!jsonType && !(body.startsWith('{') && body.endsWith('}'))) return undefined
  try {
    const v: unknown = JSON.parse(body)
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined)

function jsonEvidence(
  res: IdpResponse,
  json: Record<string, unknown>,
  base: Pick<Evidence, 'host' | 'path'>,
): Evidence {
  const codes: string[] = []
  const descriptions: string[] = []
  const err = json.error
  if (err && typeof err === 'object') {
    const o = err as Record<string, unknown>
    const c = str(o.code) ?? str(o.error)
    if (c) codes.push(c)
    const d = str(o.message) ?? str(o.error_description)
    if (d) descriptions.push(d)
  }
  for (const c of [str(json.errorCode), typeof err === 'string' ? str(err) : undefined, str(json.code)])
    if (c) codes.push(c)
  const aad: string[] = []
  if (Array.isArray(json.error_codes))
    for (const n of json.error_codes) if (/^\d{5,8}$/.test(String(n))) aad.push(`AADSTS${String(n)}`)
  for (const d of [str(json.error_description), str(json.errorSummary), str(json.message)]) if (d) descriptions.push(d)
  const hay = collapse([...codes, ...descriptions].join(' \n '))
  codes.push(...aad)
  return {res, ...base, title: '', hay, codes, descriptions, errorish: res.status >= 400 || codes.length > 0}
}

function htmlEvidence(res: IdpResponse, page: PageInfo, base: Pick<Evidence, 'host' | 'path'>): Evidence {
  const title = page.title ?? ''
  let hay = collapse([title, page.text].join(' \n '))
  // Entra renders its error pages from a $Config script; the message is there even when the visible text is not.
  if (!/AADSTS\d/.test(hay)) {
    const m = /AADSTS\d{5,8}(?:[^"<\\]|\\.){0,1500}/.exec(res.body)
    if (m) {
      let s = m[0]
      try {
        s = JSON.parse(`"${s.replace(/\\$/, '')}"`) as string
      } catch {
        // keep the raw text
      }
      hay = collapse(`${hay} \n ${s}`)
    }
  }
  const codes: string[] = []
  const descriptions: string[] = []
  // oidc-provider's renderError: <pre><strong>error</strong>: invalid_client</pre><pre><strong>error_description</strong>: ...</pre>
  const opError = /(?:^|\s)error:\s*([a-z][a-z_]+)\b/.exec(page.text)
  const opDesc = /(?:^|\s)error_description:\s*(.+?)(?=\s+(?:error_uri|state|scope|iss):|$)/.exec(page.text)
  if (/^oops! something went wrong$/i.test(title) && opError) {
    codes.push(opError[1])
    if (opDesc) descriptions.push(opDesc[1].trim())
  }
  const googleLine = /\bError(?:\s+\d{3})?\s*:\s*([A-Za-z]+_[A-Za-z_]+)\b/.exec(hay)
  if (googleLine && !codes.length && (isGoogleHost(base.host) || /\bGoogle\b/.test(hay)))
    codes.push(googleLine[1].toLowerCase())
  const oktaLine = /\bError Code:?\s*([a-z]+_[a-z_]+)/i.exec(hay)
  if (oktaLine && !codes.length) codes.push(oktaLine[1])
  const titleErrorish =
    /\b(?:error|oops|sorry|problem|bad request|not found|forbidden|unauthori[sz]ed|denied|failed|invalid)\b/i.test(
      title,
    )
  const headingErrorish = page.headings.some((h) =>
    /\b(?:error|oops|sorry|bad request|something went wrong|access blocked)\b/i.test(h),
  )
  const errorish = res.status >= 400 || titleErrorish || headingErrorish
  return {res, ...base, page, title, hay, codes, descriptions, errorish}
}

// ---------------------------------------------------------------------------------------------
// Redirects

function decodeBase64Url(s: string): string {
  try {
    return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1')
  } catch {
    return ''
  }
}

/** A 3xx is normally the login flow; recognise only redirects to the IdP's own error page. */
function classifyRedirect(res: IdpResponse): IdpErrorMatch | undefined {
  if (!res.location) return undefined
  let target: URL
  let from: URL | undefined
  try {
    from = new URL(res.url)
  } catch {
    from = undefined
  }
  try {
    target = new URL(res.location, from)
  } catch {
    return undefined
  }
  const host = target.hostname.toLowerCase()
  if (isGoogleHost(host) && /\/signin\/oauth\/error/.test(target.pathname)) {
    const blob = decodeBase64Url(target.searchParams.get('authError') ?? '')
    const code = /(redirect_uri_mismatch|invalid_client|deleted_client|disabled_client|[a-z]+_[a-z_]+)/.exec(blob)?.[1]
    if (!code) return undefined
    const description = /(The [\x20-\x7e]{5,200}?\.)/.exec(blob)?.[1]
    return match('google', codeKind(code) ?? 'other', description ? `${code}: ${description}` : code, code)
  }
  const sameHost = from !== undefined && from.hostname.toLowerCase() === host
  if (!(sameHost || isMicrosoftHost(host)) || !/\/error\b/i.test(target.pathname)) return undefined
  const code = target.searchParams.get('error') ?? target.searchParams.get('code') ?? undefined
  const description = target.searchParams.get('error_description') ?? undefined
  if (!code && !description) return undefined
  const aad = /AADSTS(\d{5,8})/.exec(description ?? '')?.[1] ?? (code && /^\d{5,8}$/.test(code) ? code : undefined)
  if (aad && (isMicrosoftHost(host) || description?.includes('AADSTS'))) {
    const notes = aad === '700016' ? [ENTRA_TENANT_NOTE] : []
    return match('entra', ENTRA_KINDS[aad] ?? 'other', description ?? `AADSTS${aad}`, `AADSTS${aad}`, notes)
  }
  const kind = codeKind(code) ?? textKind(description ?? '') ?? 'other'
  return match(
    isAuth0Host(host) ? 'auth0' : isOktaHost(host) ? 'okta' : 'generic',
    kind,
    description ? `${code ?? 'error'}: ${description}` : String(code),
    code,
  )
}

// ---------------------------------------------------------------------------------------------
// Public API

export function classifyIdpError(res: IdpResponse): IdpErrorMatch | undefined {
  try {
    if (!res || typeof res.status !== 'number') return undefined
    if (res.status >= 300 && res.status < 400) return classifyRedirect(res)
    const body = typeof res.body === 'string' ? res.body : ''
    const r: IdpResponse = {...res, body}
    const base = hostOf(res.url)
    const json = parseJson(r)
    if (json) {
      const ev = jsonEvidence(r, json, base)
      for (const sig of SIGNATURES) {
        const m = sig(ev)
        if (m) return m
      }
      if (!ev.errorish) return undefined
      return match(
        'generic',
        'other',
        ev.descriptions[0]
          ? `${ev.codes[0] ?? 'error'}: ${ev.descriptions[0]}`
          : (ev.codes[0] ?? body.slice(0, MAX_MESSAGE)),
        ev.codes[0],
      )
    }
    const page = readPage(body, res.url)
    if (isLoginPage(page, r, base.host)) return undefined
    const ev = htmlEvidence(r, page, base)
    for (const sig of SIGNATURES) {
      const m = sig(ev)
      if (m) return m
    }
    if (!ev.errorish) return undefined
    return match('generic', 'other', bestErrorText(ev) || `HTTP ${res.status}`, ev.codes[0])
  } catch {
    return undefined
  }
}

const LOGIN_WORDS = /\b(?:sign[\s-]?in|log[\s-]?in|login|anmelden|connexion|iniciar sesi[oó]n|accedi)\b/i

function isLoginPage(page: PageInfo, res: IdpResponse, host: string): boolean {
  if (page.forms.some((f) => f.hasPassword)) return true
  const body = res.body
  // Keycloak: the login form, or a realm that only offers identity-provider buttons.
  if (page.forms.some((f) => f.id === 'kc-form-login') || /\bid=["']?kc-social-providers\b/.test(body)) return true
  const aad = /AADSTS\d{5,8}/.test(body)
  // Entra ID: username-first page (loginfmt), rendered from $Config.
  if (page.forms.some((f) => f.usernameField === 'loginfmt') && !aad) return true
  if (
    (isMicrosoftHost(host) || body.includes('$Config=')) &&
    !aad &&
    (/"urlPost"\s*:/.test(body) || /^Sign in to your account$/i.test(page.title ?? ''))
  )
    return true
  // Google: identifier-first sign-in.
  if (
    isGoogleHost(host) &&
    !/\bError(?:\s+\d{3})?\s*:/.test(page.text) &&
    (page.forms.some((f) => f.usernameField === 'identifier') ||
      /\bid=["']?identifierId\b/.test(body) ||
      /^Sign in\b/i.test(page.title ?? ''))
  )
    return true
  // Okta: the sign-in widget renders the form from script.
  if (
    (/\bid=["']okta-sign-in["']/.test(body) ||
      /new\s+OktaSignIn\s*\(/.test(body) ||
      /okta-sign-in(?:\.min)?\.js/.test(body)) &&
    !/\bError Code\b/i.test(page.text) &&
    res.status < 400
  )
    return true
  // Dex: connector selection ("Log in to dex" with "Log in with ..." buttons).
  if (/\bdex-btn\b|\btheme-btn-provider\b/.test(body) && page.headings.some((h) => /^Log in to\b/i.test(h))) return true
  // Generic username-first form on a page that says "sign in".
  const titled = LOGIN_WORDS.test(page.title ?? '') || page.headings.some((h) => LOGIN_WORDS.test(h))
  return res.status < 400 && titled && page.forms.some((f) => f.usernameField !== undefined && f.method === 'POST')
}

export function looksLikeLoginPage(res: IdpResponse): boolean {
  try {
    if (!res || typeof res.status !== 'number' || (res.status >= 300 && res.status < 400)) return false
    const body = typeof res.body === 'string' ? res.body : ''
    const r: IdpResponse = {...res, body}
    if (parseJson(r)) return false
    return isLoginPage(readPage(body, res.url), r, hostOf(res.url).host)
  } catch {
    return false
  }
}

const PLACEHOLDER_WORDS = new Set([
  'changeme',
  'change-me',
  'change_me',
  'changethis',
  'change-this',
  'replaceme',
  'replace-me',
  'replace_me',
  'todo',
  'tbd',
  'fixme',
  'example',
  'dummy',
  'placeholder',
  'your-client-id',
  'your_client_id',
  'yourclientid',
  'client-id',
  'client_id',
  'clientid',
  'my-client-id',
  'my_client_id',
  'oauth-client-id',
  'oidc-client-id',
  'insert-client-id-here',
  'foo',
  'foobar',
  'xxx',
])
const EMPTY_WORDS = new Set(['none', 'null', 'undefined', 'nil', 'false', 'nan'])

/** Why a client id is an obvious placeholder, or undefined. */
export function placeholderReason(value: string | undefined): string | undefined {
  if (value === undefined || value === null) return 'is empty'
  const v = String(value)
  const t = v.trim()
  if (!t) return 'is empty'
  const lower = t.toLowerCase()
  const show = JSON.stringify(t.length > 60 ? `${t.slice(0, 57)}...` : t)
  if (EMPTY_WORDS.has(lower))
    return `is a stringified empty value (${show}): the setting was unset when the config was rendered`
  if (/\$\{[^}]*\}?|\{\{[^}]*\}\}|^\$[A-Za-z_][A-Za-z0-9_]*$|^%[A-Za-z_][A-Za-z0-9_]*%$|^#\{[^}]*\}$/.test(t))
    return `looks like an uninterpolated variable (${show})`
  if (/^<[^<>]*>$|^\{[^{}]*\}$|^\[[^[\]]*\]$/.test(t)) return `looks like a template placeholder (${show})`
  if (/^(?:\.{3,}|…+|\*{3,}|-{3,}|_{3,}|\?{3,})$/.test(t)) return `looks like elided text (${show})`
  if (
    /^x{3,}(?:[-_.]+x+)*(?:\.{3}|…)?$/i.test(t) ||
    /^(?:x+[-_.])+x+$/i.test(t) ||
    /^x{3,}[-_.x]*\.apps\.googleusercontent\.com$/i.test(t)
  )
    return `looks like a redacted example value (${show})`
  if (PLACEHOLDER_WORDS.has(lower)) return `looks like a template placeholder (${show})`
  if (
    /^(?:your|insert|enter|put|replace)[-_ ]?[a-z0-9 _-]{0,40}?(?:client|app|application|oauth|oidc)(?:[-_ ]?id)?(?:[-_ ]?here)?$/i.test(
      t,
    ) ||
    (/[-_ ]here$/i.test(t) && /client|app|id/i.test(t))
  )
    return `looks like a template placeholder (${show})`
  if (/^(['"`]).*\1$/.test(t) && t.length >= 2)
    return `includes literal quotes (${show}): the quotes became part of the value`
  if (v !== t)
    return `has leading or trailing whitespace (${JSON.stringify(v)}), which the IdP treats as part of the id`
  return undefined
}
