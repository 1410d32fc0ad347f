import {randomBytes} from 'node:crypto'
import {fingerprint} from '../redact/redactor.js'

/**
 * What can be said about a token without sending it anywhere: how it looks (prefix, length,
 * stray whitespace, an unexpanded ${VAR}) and, for a JWT, its claims decoded without verifying.
 * Only non-secret parts are ever kept for display: the known prefix, the length, a fingerprint
 * and the claims.
 */

export interface TokenDisplay {
  /** The product prefix when it matches (rgw_), else the first 4 characters only when it is a known public shape (eyJ for JWT); never more. */
  prefix: string
  length: number
  fingerprint: string
  kind: 'jwt' | 'opaque'
}

export type ShapeProblemKind =
  | 'whitespace'
  | 'quoted'
  | 'unexpanded'
  | 'prefix'
  | 'expired'
  | 'not-yet-valid'
  | 'audience'
  | 'issuer'
  | 'scope'
  | 'malformed-jwt'

export interface ShapeProblem {
  kind: ShapeProblemKind
  message: string
}

export interface JwtInfo {
  header: Record<string, unknown>
  claims: Record<string, unknown>
  scopes: string[]
}

export interface TokenAnalysis {
  display: TokenDisplay
  jwt?: JwtInfo
  problems: ShapeProblem[]
}

export interface TokenExpectations {
  prefix?: string
  audience?: string | string[]
  issuer?: string
  requiredScopes?: string[]
  /** Epoch seconds. */
  now: number
}

const JWT = /^eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*$/

export function describeToken(value: string, prefix?: string): TokenDisplay {
  const trimmed = value.trim()
  const kind = JWT.test(trimmed) ? 'jwt' : 'opaque'
  const shown = prefix && trimmed.startsWith(prefix) ? prefix : kind === 'jwt' ? 'eyJ' : ''
  return {prefix: shown, length: value.length, fingerprint: fingerprint(value), kind}
}

/** "rgw_…, 40 chars, fingerprint 3f2a": how a token is shown anywhere doctor prints it. */
export function tokenLabel(d: TokenDisplay): string {
  return `${d.prefix ? `${d.prefix}…` : '…'} (${d.length} chars, fingerprint ${d.fingerprint})`
}

/** Scopes from scope (space-delimited string), scp (Entra) or scopes, as strings or arrays. */
export function scopesOf(claims: Record<string, unknown>): string[] {
  const out = new Set<string>()
  for (const key of ['scope', 'scp', 'scopes']) {
    const v = claims[key]
    if (typeof v === 'string') for (const s of v.split(/\s+/)) if (s) out.add(s)
    if (Array.isArray(v)) for (const s of v) if (typeof s === 'string' && s) out.add(s)
  }
  return [...out]
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const when = (epoch: number, now: number): string => {
  const delta = epoch - now
  const abs = Math.abs(delta)
  const span =
    abs < 120
      ? `${abs} s`
      : abs < 7200
        ? `${Math.round(abs / 60)} min`
        : abs < 172_800
          ? `${Math.round(abs / 3600)} h`
          : `${Math.round(abs / 86_400)} days`
  return `${new Date(epoch * 1000).toISOString()} (${delta < 0 ? `${span} ago` : `in ${span}`})`
}

export function analyseToken(value: string, expect: TokenExpectations): TokenAnalysis {
  const problems: ShapeProblem[] = []
  const display = describeToken(value, expect.prefix)
  if (/^\s|\s$/.test(value)) {
    const where = /\n|\r/.test(value) ? 'a newline' : 'spaces'
    problems.push({
      kind: 'whitespace',
      message: `the token value has ${where} at its ${/^\s/.test(value) ? 'start' : 'end'} (pasted with it); servers compare the exact bytes`,
    })
  } else if (/\s/.test(value))
    problems.push({
      kind: 'whitespace',
      message: 'the token value contains whitespace inside it: it was pasted across lines or is two values',
    })
  const trimmed = value.trim()
  if (/^(['"]).*\1$/.test(trimmed))
    problems.push({kind: 'quoted', message: 'the token value is wrapped in quotes, which are sent as part of it'})
  if (/\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}|^\$[A-Za-z_][A-Za-z0-9_]*$/.test(trimmed)) {
    problems.push({
      kind: 'unexpanded',
      message: `the token value is the literal text ${/\$\{[^}]*\}|^\$\w+$/.exec(trimmed)![0]}: a variable reference nothing expanded`,
    })
  }
  if (expect.prefix && !trimmed.startsWith(expect.prefix)) {
    problems.push({
      kind: 'prefix',
      message: `the token does not start with ${expect.prefix}, as every valid token for this API does`,
    })
  }
  let jwt: JwtInfo | undefined
  if (display.kind === 'jwt') {
    const [h, p] = trimmed.split('.')
    const header = decodePart(h)
    const claims = decodePart(p)
    if (!header || !claims)
      problems.push({
        kind: 'malformed-jwt',
        message: 'the token looks like a JWT but its header or claims are not JSON',
      })
    else {
      jwt = {header, claims, scopes: scopesOf(claims)}
      const {exp, nbf} = claims
      if (typeof exp === 'number' && exp <= expect.now)
        problems.push({kind: 'expired', message: `the JWT expired at ${when(exp, expect.now)}`})
      if (typeof nbf === 'number' && nbf > expect.now)
        problems.push({kind: 'not-yet-valid', message: `the JWT is not valid before ${when(nbf, expect.now)} (nbf)`})
      if (expect.audience !== undefined) {
        const want = Array.isArray(expect.audience) ? expect.audience : [expect.audience]
        const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud]
        if (!want.some((a) => aud.includes(a)))
          problems.push({
            kind: 'audience',
            message: `the JWT's aud is ${aud.length ? JSON.stringify(claims.aud) : 'missing'}, not ${want.join(' or ')}`,
          })
      }
      if (expect.issuer !== undefined && claims.iss !== expect.issuer) {
        problems.push({
          kind: 'issuer',
          message: `the JWT's iss is ${claims.iss === undefined ? 'missing' : JSON.stringify(claims.iss)}, not ${expect.issuer}`,
        })
      }
      const missing = (expect.requiredScopes ?? []).filter((s) => !jwt!.scopes.includes(s))
      if (missing.length > 0) {
        problems.push({
          kind: 'scope',
          message: `the JWT lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has ${jwt.scopes.length ? jwt.scopes.join(' ') : 'none'})`,
        })
      }
    }
  }
  return {display, jwt, problems}
}

/** The claims it is safe to show: who issued it, for whom, when, which scopes. */
export function publicClaims(jwt: JwtInfo | undefined): Record<string, unknown> | undefined {
  if (!jwt) return undefined
  const keep = ['iss', 'aud', 'sub', 'azp', 'client_id', 'exp', 'nbf', 'iat', 'scope', 'scp', 'scopes', 'roles', 'typ']
  const out: Record<string, unknown> = {alg: jwt.header.alg, kid: jwt.header.kid}
  for (const k of keep) if (jwt.claims[k] !== undefined) out[k] = jwt.claims[k]
  for (const k of ['exp', 'nbf', 'iat'])
    if (typeof out[k] === 'number') out[`${k}Iso`] = new Date((out[k] as number) * 1000).toISOString()
  return out
}

/**
 * A token of the same shape that no server can know: same prefix and length and alphabet for an
 * opaque token, the same header and claims with another signature for a JWT. It tells "the
 * server rejects tokens it does not know" apart from "the server does not look at this header".
 */
export function sameShapeInvalid(value: string, prefix?: string): string {
  const trimmed = value.trim()
  if (JWT.test(trimmed)) {
    const [h, p, sig] = trimmed.split('.')
    return `${h}.${p}.${randomBytes(Math.max(16, Math.ceil((sig.length * 3) / 4)))
      .toString('base64url')
      .slice(0, Math.max(sig.length, 22))}`
  }
  const keep = prefix && trimmed.startsWith(prefix) ? prefix : (/^[A-Za-z]+[_-]/.exec(trimmed)?.[0] ?? '')
  const alphabet = /^[0-9a-f]+$/.test(trimmed.slice(keep.length))
    ? '0123456789abcdef'
    : 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = randomBytes(Math.max(8, trimmed.length - keep.length))
  let body = ''
  for (const b of bytes) body += alphabet[b % alphabet.length]
  return `${keep}${body}`
}
