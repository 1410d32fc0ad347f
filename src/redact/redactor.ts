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
const PARAM_RE = new RegExp(`([?&#;](?:${SECRET_PARAMS.join('|')})=)([^&#\\s"'<>]+)`, 'gi')
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
  ['token', /\bAKIA[0-9A-Z]{16}\b/g],
  ['token', /\bsk-(?:proj-|ant-api03-)?[A-Za-z0-9_-]{20,}/g],
  ['token', /\bnpm_[A-Za-z0-9]{30,}/g],
  ['token', /\bshp(?:at|ca|pa|ss)_[A-Fa-f0-9]{20,}/g],
  ['key', /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g],
]

export interface RedactionCount {
  kind: string
  count: number
}

/**
 * Replaces secrets in everything doctor records or prints. Known values (secret config
 * fields, secret-named env vars) are replaced exactly; credential headers, JWTs, token
 * shapes, URL userinfo and credential query parameters are replaced by pattern.
 */
export class Redactor {
  private readonly secrets = new Map<string, string>() // value -> kind
  private ordered: string[] = []
  readonly counts = new Map<string, number>()
  private counting = true

  /** Register a value that must never be printed. Short values are ignored to avoid shredding ordinary text. */
  addSecret(value: string | undefined, kind = 'secret'): void {
    if (!value) return
    for (const part of credentialParts(value)) {
      const v = part.trim()
      if (v.length < 6) continue
      for (const form of new Set([v, part, encodeURIComponent(v)])) {
        if (!this.secrets.has(form)) this.secrets.set(form, kind)
      }
    }
    this.ordered = [...this.secrets.keys()].sort((a, b) => b.length - a.length)
  }

  /** Env vars whose names say they hold credentials are secrets even if no config field names them. */
  addSecretEnv(env: NodeJS.ProcessEnv = process.env): void {
    for (const [name, value] of Object.entries(env)) {
      if (value && isSecretName(name)) this.addSecret(value, 'env')
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
    this.bump(kind)
    return marker(kind, value)
  }

  redactString(text: string): string {
    let out = text
    for (const value of this.ordered) {
      if (out.includes(value)) out = out.split(value).join(this.replace(this.secrets.get(value)!, value))
    }
    out = out.replace(USERINFO_RE, (_m, scheme: string, user: string, pass: string) => `${scheme}${user}:${this.replace('password', pass)}@`)
    out = out.replace(JWT_RE, (m) => this.replace('jwt', m))
    for (const [kind, re] of TOKEN_SHAPES) out = out.replace(re, (m) => this.replace(kind, m))
    out = out.replace(PARAM_RE, (_m, prefix: string, value: string) => (value.startsWith('‹redacted') ? `${prefix}${value}` : `${prefix}${this.replace(`param:${prefix.slice(1, -1).toLowerCase()}`, value)}`))
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
      if (keyName && isSecretName(keyName) && value && !value.startsWith('‹redacted')) return this.replace('secret', value) as T
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
   * Fail closed: the last look at rendered output before it is written. A known secret here
   * means some path skipped redaction, so doctor refuses to print rather than leak.
   */
  assertClean(output: string): void {
    for (const value of this.ordered) {
      if (output.includes(value)) {
        throw new InternalError(
          `Refusing to write output: it contains a secret value (${this.secrets.get(value)}, fingerprint ${fingerprint(value)}) that escaped redaction. This is a bug in doctor; please report it with the fingerprint, never the value.`,
        )
      }
    }
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
