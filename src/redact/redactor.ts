import {createHash} from 'node:crypto'
import {InternalError} from '../errors.js'

/** Short, stable fingerprint so two mentions of one secret can be matched without revealing it. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 4)
}

export function marker(kind: string, value: string): string {
  return `‹redacted:${kind}:${fingerprint(value)}›`
}

/** Header names whose values are credentials. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|x-access-token|x-csrf-token|x-xsrf-token|private-token|x-vault-token)$|token|secret|password|api[-_]?key|signature/i
/** Query parameters that carry credentials or one-time codes. */
const SECRET_PARAMS = ['code', 'state', 'token', 'access_token', 'id_token', 'refresh_token', 'client_secret', 'password', 'api_key', 'apikey', 'key', 'secret', 'signature', 'sig', 'session', 'session_state', 'code_verifier', 'code_challenge', 'nonce', 'assertion', 'client_assertion']
const PARAM_RE = new RegExp(`((?:^|[?&#;\\s])(?:${SECRET_PARAMS.join('|')})=)([^&#\\s"'<>]+)`, 'gi')
const JWT_RE = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g
const USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]+)@/gi
/** Well-known credential shapes (gitleaks-style prefixes). */
const TOKEN_SHAPES: Array<[string, RegExp]> = [
  ['token', /\brgw_[A-Za-z0-9_-]{8,}/g],
  ['token', /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g],
  ['token', /\bgithub_pat_[A-Za-z0-9_]{20,}/g],
  ['token', /\bgl(?:pat|dt|rt|cbt|ptt|oas)-[A-Za-z0-9_-]{16,}/g],
  ['token', /\b(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,}/g],
  ['secret', /\bwhsec_[A-Za-z0-9+/=_-]{10,}/g],
  ['secret', /\bwh(?:sk|pk)_[A-Za-z0-9+/=_-]{10,}/g],
  ['token', /\bxox[abeoprs]-[A-Za-z0-9-]{10,}/g],
  ['token', /\bxapp-[A-Za-z0-9-]{10,}/g],
  ['token', /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/g],
  ['secret', /(?<=aws_secret_access_key\s*[=:]\s*["']?)[A-Za-z0-9/+=]{40}\b/gi],
  ['token', /\bAIza[0-9A-Za-z_-]{35}\b/g],
  ['token', /\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b/g],
  ['token', /\bhvs\.[A-Za-z0-9_-]{24,}/g],
  ['token', /\bsk-(?:proj-|ant-api03-)?[A-Za-z0-9_-]{20,}/g],
  ['token', /\bnpm_[A-Za-z0-9]{30,}/g],
  ['token', /\bshp(?:at|ca|pa|ss)_[A-Fa-f0-9]{20,}/g],
  ['key', /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g],
]

export interface RedactionCount {
  kind: string
  count: number
}

/** What a known secret is and where it came from ("config field api.token", "env var RACK_TOKEN"); never its value. */
export interface SecretInfo {
  kind: string
  source?: string
}

export interface RedactorOptions {
  /** Replace email addresses too (`--redact-emails`); off by default, since an email is often the clue. */
  redactEmails?: boolean
}

const EMAIL_RE = /\b[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b/g
/** JSON members whose names say they hold a credential: "access_token": "..." in a recorded body. */
const JSON_SECRET_RE = /("(?:access_token|refresh_token|id_token|client_secret|password|passwd|secret|token|api_?key|apiKey|private_key|privateKey|session_?token|auth_?token)"\s*:\s*")((?:[^"\\]|\\.)+)(")/gi
/** A credential written out in prose or a pasted command: "Authorization: Bearer x", "Cookie: a=b", "Bearer x". */
const AUTH_TEXT_RE = /\b((?:proxy-)?authorization:\s*(?:bearer|basic|token|digest|dpop)?\s*)([^\s"'<>,;]{6,})/gi
const COOKIE_TEXT_RE = /\b((?:set-)?cookie:\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+=)([^;\s"'<>]{6,})/gi
const BEARER_RE = /\b(Bearer\s+)([A-Za-z0-9._~+/-]{8,}=*)/g

/** A word that reads like a credential rather than English: digits or token punctuation in it, or very long. */
function looksLikeCredential(value: string): boolean {
  if (value.startsWith('‹redacted')) return true
  return (value.length >= 8 && /[0-9._~+/=-]/.test(value)) || value.length >= 24
}

const b64 = (value: string, url = false) => Buffer.from(value, 'utf8').toString(url ? 'base64url' : 'base64')

/**
 * Substrings that any base64 encoding of a text containing `value` must contain, whatever the
 * value's offset: for each of the three alignments, the encoded run with the edge groups (which
 * mix in neighbouring bytes) dropped. Finds a password inside `Basic base64(user:password)`.
 */
export function base64Needles(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8')
  const out = new Set<string>()
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64').replace(/=+$/, '')
    const start = pad === 0 ? 0 : 4
    const usable = Math.floor((pad + bytes.length) / 3) * 4
    const needle = encoded.slice(start, usable)
    if (needle.length >= 8) {
      out.add(needle)
      out.add(needle.replace(/\+/g, '-').replace(/\//g, '_'))
    }
  }
  return [...out]
}

const escapeRegExp = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const xmlEscape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')

/**
 * Replaces secrets in everything doctor records or prints. Known values (secret config
 * fields, secret-named env vars, values read at run time) are replaced exactly, also in their
 * URL-encoded, JSON-escaped and base64 forms; credential headers, JWTs, token shapes, URL
 * userinfo, credential query parameters and JSON members are replaced by pattern.
 */
export class Redactor {
  private readonly secrets = new Map<string, SecretInfo & {value: string}>() // form -> origin
  private ordered: string[] = []
  /** Every form the final scan looks for: the replaced forms plus HTML-escaped and base64-aligned ones. */
  private readonly needles = new Map<string, SecretInfo & {value: string; form: string}>()
  /** Base64 runs that carry a secret at some offset (Basic user:password): replaced as a whole run. */
  private readonly embedded = new Map<string, SecretInfo & {value: string}>()
  readonly counts = new Map<string, number>()
  private counting = true

  constructor(private readonly options: RedactorOptions = {}) {}

  /** Register a value that must never be printed. Short values are ignored to avoid shredding ordinary text. */
  addSecret(value: string | undefined, kind = 'secret', source?: string): void {
    if (!value) return
    for (const part of credentialParts(value)) {
      const v = part.trim()
      if (v.length < 6) continue
      const origin = {kind, source, value: v}
      const replaced: Array<[string, string]> = [
        [v, 'as is'],
        [part, 'as is'],
        [encodeURIComponent(v), 'URL-encoded'],
        [encodeURIComponent(v).replace(/%20/g, '+'), 'form-encoded'],
        [JSON.stringify(v).slice(1, -1), 'JSON-escaped'],
        [b64(v), 'base64'],
        [b64(v).replace(/=+$/, ''), 'base64'],
        [b64(v, true), 'base64url'],
      ]
      for (const [form] of replaced) if (!this.secrets.has(form)) this.secrets.set(form, origin)
      for (const needle of base64Needles(v)) if (!this.embedded.has(needle)) this.embedded.set(needle, origin)
      const scanned: Array<[string, string]> = [...replaced, [xmlEscape(v), 'HTML-escaped'], ...base64Needles(v).map((n): [string, string] => [n, 'base64'])]
      for (const [form, how] of scanned) if (!this.needles.has(form)) this.needles.set(form, {...origin, form: how})
    }
    this.ordered = [...this.secrets.keys()].sort((a, b) => b.length - a.length)
  }

  /** Env vars whose names say they hold credentials are secrets even if no config field names them. */
  addSecretEnv(env: NodeJS.ProcessEnv = process.env): void {
    for (const [name, value] of Object.entries(env)) {
      if (value && isSecretName(name)) this.addSecret(value, 'env', `env var ${name}`)
    }
  }

  has(value: string): boolean {
    return this.secrets.has(value)
  }

  /** Redact for a transient display (progress) without adding to the report's redaction counts. */
  uncounted<T>(fn: () => T): T {
    this.counting = false
    try {
      return fn()
    } finally {
      this.counting = true
    }
  }

  private bump(kind: string): void {
    if (!this.counting) return
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1)
  }

  private replace(kind: string, value: string): string {
    if (/^‹redacted:[^›]*›$/.test(value)) return value // already redacted (a saved report read back)
    this.bump(kind)
    return marker(kind, value)
  }

  redactString(text: string): string {
    let out = text
    // Base64 runs first, whole: replacing an aligned piece inside one would leave the rest readable.
    for (const [needle, origin] of this.embedded) {
      if (!out.includes(needle)) continue
      out = out.replace(new RegExp(`[A-Za-z0-9+/_-]*${escapeRegExp(needle)}[A-Za-z0-9+/_-]*=*`, 'g'), () => this.replace(origin.kind, origin.value))
    }
    for (const value of this.ordered) {
      if (out.includes(value)) {
        const origin = this.secrets.get(value)!
        out = out.split(value).join(this.replace(origin.kind, origin.value))
      }
    }
    const keep = (prefix: string, value: string, kind: string, suffix = '') => (value.startsWith('‹redacted') ? `${prefix}${value}${suffix}` : `${prefix}${this.replace(kind, value)}${suffix}`)
    out = out.replace(USERINFO_RE, (_m, scheme: string, user: string, pass: string) => keep(`${scheme}${user}:`, pass, 'password', '@'))
    out = out.replace(JWT_RE, (m) => this.replace('jwt', m))
    for (const [kind, re] of TOKEN_SHAPES) out = out.replace(re, (m) => this.replace(kind, m))
    out = out.replace(PARAM_RE, (_m, prefix: string, value: string) => keep(prefix, value, `param:${prefix.replace(/^[?&#;\s]/, '').slice(0, -1).toLowerCase()}`))
    out = out.replace(JSON_SECRET_RE, (_m, prefix: string, value: string, suffix: string) => keep(prefix, value, 'secret', suffix))
    // Credentials written out in text: only values shaped like one, so prose ("no Bearer challenge") stays.
    const shaped = (m: string, prefix: string, value: string, kind: string) => (looksLikeCredential(value) ? keep(prefix, value, kind) : m)
    out = out.replace(AUTH_TEXT_RE, (m, prefix: string, value: string) => shaped(m, prefix, value, 'credential'))
    out = out.replace(COOKIE_TEXT_RE, (m, prefix: string, value: string) => shaped(m, prefix, value, 'cookie'))
    out = out.replace(BEARER_RE, (m, prefix: string, value: string) => shaped(m, prefix, value, 'credential'))
    if (this.options.redactEmails) out = out.replace(EMAIL_RE, (m) => this.replace('email', m))
    return out
  }

  /** A header value, with the header name deciding how much survives (auth scheme, cookie name and attributes). */
  redactHeader(name: string, value: string): string {
    const lower = name.toLowerCase()
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      const m = /^(\S+)\s+(.+)$/.exec(value)
      return m ? `${m[1]} ${this.replace('credential', m[2])}` : this.replace('credential', value)
    }
    if (lower === 'set-cookie') {
      const [pair, ...attrs] = value.split(';')
      const eq = pair.indexOf('=')
      const name = eq >= 0 ? pair.slice(0, eq) : pair
      const v = eq >= 0 ? pair.slice(eq + 1) : ''
      return [`${name}=${v ? this.replace('cookie', v) : ''}`, ...attrs.map((a) => this.redactString(a))].join(';')
    }
    if (lower === 'cookie') {
      return value
        .split(';')
        .map((part) => {
          const eq = part.indexOf('=')
          return eq < 0 ? part : `${part.slice(0, eq)}=${this.replace('cookie', part.slice(eq + 1))}`
        })
        .join(';')
    }
    if (CREDENTIAL_HEADER.test(lower)) return this.replace('credential', value)
    return this.redactString(value)
  }

  redactHeaders<T extends string | string[]>(headers: Record<string, T>): Record<string, T> {
    const out: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(headers)) {
      out[k] = Array.isArray(v) ? v.map((x) => this.redactHeader(k, x)) : this.redactHeader(k, v)
    }
    return out as Record<string, T>
  }

  /** Deep copy with every string redacted; object keys named like credentials have their values replaced. */
  redactDeep<T>(value: T, keyName?: string): T {
    if (typeof value === 'string') {
      // A credential-named field is replaced whole, unless redaction already ran over it (a recorded
      // Set-Cookie keeps its cookie name and attributes around the value's marker).
      if (keyName && isSecretName(keyName) && value && !value.includes('‹redacted:')) return this.replace('secret', value) as T
      return this.redactString(value) as T
    }
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v, keyName)) as T
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) {
        out[k] = k.toLowerCase() === 'headers' && v && typeof v === 'object' && !Array.isArray(v) ? this.redactHeaders(v as Record<string, string>) : this.redactDeep(v, k)
      }
      return out as T
    }
    return value
  }

  /**
   * Fail closed: the last look at the final bytes before they are written or printed. A known
   * secret here, in any of its encodings, means some path skipped redaction, so doctor refuses
   * to write rather than leak, and says which field's value it found (never the value).
   */
  assertClean(output: string | Uint8Array, where = 'output'): void {
    const leak = this.findLeak(output)
    if (leak) {
      throw new InternalError(
        `Refusing to write ${where}: it contains the value of ${leak.source ?? `a ${leak.kind}`}${leak.form === 'as is' ? '' : ` (${leak.form})`}, fingerprint ${fingerprint(leak.value)}, which escaped redaction. Nothing was written. This is a bug in doctor; please report it with the field name and fingerprint, never the value.`,
      )
    }
  }

  /** The first known secret found in the output, if any. */
  findLeak(output: string | Uint8Array): (SecretInfo & {value: string; form: string}) | undefined {
    const text = typeof output === 'string' ? output : Buffer.from(output).toString('latin1')
    const utf8 = typeof output === 'string' ? undefined : Buffer.from(output).toString('utf8')
    for (const [needle, origin] of this.needles) {
      if (text.includes(needle) || utf8?.includes(needle)) return origin
    }
    return undefined
  }

  summary(): RedactionCount[] {
    return [...this.counts.entries()].map(([kind, count]) => ({kind, count})).sort((a, b) => a.kind.localeCompare(b.kind))
  }
}

/**
 * A secret value and the pieces that can travel alone: the credential after an auth scheme
 * ("Bearer abc" -> "abc"), each value of a cookie string ("a=1; b=2" -> "1", "2"), and the
 * user:password inside Basic credentials. A server echoing just the piece must not leak it.
 */
export function credentialParts(value: string): string[] {
  const parts = [value]
  const scheme = /^\s*(?:bearer|basic|token|bot|digest|apikey|dpop)\s+(\S+)\s*$/i.exec(value)
  if (scheme) {
    parts.push(scheme[1])
    if (/^basic/i.test(value.trim())) {
      const decoded = Buffer.from(scheme[1], 'base64').toString('utf8')
      if (decoded.includes(':')) parts.push(decoded, decoded.slice(decoded.indexOf(':') + 1))
    }
  }
  if (value.includes('=')) {
    for (const pair of value.split(/;\s*/)) {
      const eq = pair.indexOf('=')
      if (eq > 0 && eq < pair.length - 1) parts.push(pair.slice(eq + 1))
    }
  }
  return parts
}

/** A key or env var name that signals a credential. */
export function isSecretName(name: string): boolean {
  // Fields that name where a secret lives (tokenEnv, secretFile, cookieName) are not secrets themselves.
  if (/(env|name|file|path|header|prefix|ttl|seconds|minutes)$/i.test(name)) return false
  return /(^|[^a-z])(token|secret|passw(or)?d|passwd|pwd|api[-_]?key|private[-_]?key|credentials?|cookie|session[-_]?key|signing[-_]?key|client[-_]?secret|auth[-_]?key)([^a-z]|$)/i.test(
    name.replace(/([a-z])([A-Z])/g, '$1_$2'),
  )
}
