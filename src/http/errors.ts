import type {NetError} from './types.js'

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
])

interface ChainLink {
  code?: string
  name?: string
  message?: string
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/**
 * The error and its causes, outermost first, keeping only string `code`, `name` and `message`.
 * A NetError's code is a string (the report schema says so, and checks compare it with
 * Node's and undici's string codes), so a number is dropped rather than converted: the
 * DOMException that AbortSignal.timeout() throws carries the legacy numeric code 23
 * (TIMEOUT_ERR), which only repeats its name ("TimeoutError"), and "23" would mean nothing
 * to anyone reading the report.
 */
function codeChain(error: unknown): ChainLink[] {
  const out: ChainLink[] = []
  let cur: unknown = error
  for (let i = 0; cur && typeof cur === 'object' && i < 5; i++) {
    const e = cur as {code?: unknown; name?: unknown; message?: unknown; cause?: unknown}
    out.push({code: text(e.code), name: text(e.name), message: text(e.message)})
    cur = e.cause
  }
  return out
}

/** Turn whatever undici or the socket threw into a kind a check can reason about and a hint a person can act on. */
export function classifyNetError(error: unknown, url: string, timeoutMs: number): NetError {
  const chain = codeChain(error)
  const codes = chain.flatMap((e) => (e.code ? [e.code] : []))
  const names = chain.flatMap((e) => (e.name ? [e.name] : []))
  const code = codes[0]
  const host = (() => {
    try {
      return new URL(url).host
    } catch {
      return url
    }
  })()
  const message = chain.map((e) => e.message).find(Boolean) ?? describe(error)
  if (codes.includes('ECONNREFUSED'))
    return {
      kind: 'refused',
      code: 'ECONNREFUSED',
      message: `connection refused by ${host}`,
      hint: 'Nothing is listening there: check the host and port, and that the service is running.',
    }
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN'))
    return {
      kind: 'dns',
      code,
      message: `cannot resolve host ${host}`,
      hint: 'Check the hostname for typos and that this machine can resolve it.',
    }
  if (codes.includes('UND_ERR_CONNECT_TIMEOUT'))
    return {
      kind: 'connect-timeout',
      code,
      message: `connecting to ${host} timed out`,
      hint: 'A firewall may be dropping packets, or the host is down.',
    }
  if (
    codes.some((c) => c === 'UND_ERR_HEADERS_TIMEOUT' || c === 'UND_ERR_BODY_TIMEOUT') ||
    names.includes('TimeoutError')
  )
    return {
      kind: 'timeout',
      code: code ?? 'TIMEOUT',
      message: `${host} accepted the connection but did not answer within ${timeoutMs} ms`,
      hint: 'The server is hung or overloaded; check its logs and whatever it depends on.',
    }
  const tls = codes.find((c) => TLS_CODES.has(c))
  if (tls) {
    const selfSigned = /SELF_SIGNED|UNABLE_TO|LEAF/.test(tls)
    return {
      kind: 'tls',
      code: tls,
      message: `TLS verification of ${host} failed (${tls}): ${message}`,
      hint: selfSigned
        ? 'The certificate is self-signed or issued by a private CA: pass that CA with --ca FILE (or http.ca in the config). --insecure skips verification and is recorded in the report.'
        : 'Fix the server certificate (expiry, hostname), or pass a private CA with --ca FILE.',
    }
  }
  if (codes.some((c) => c === 'ECONNRESET' || c === 'UND_ERR_SOCKET' || c === 'EPIPE'))
    return {
      kind: 'reset',
      code,
      message: `${host} closed the connection: ${message}`,
      hint: 'A proxy or the server dropped the connection; check its logs.',
    }
  if (names.includes('AbortError') || codes.includes('UND_ERR_ABORTED') || codes.includes('ABORT_ERR'))
    return {
      kind: 'aborted',
      code: code ?? 'ABORTED',
      message: 'request aborted (check timeout or run deadline reached)',
    }
  if (codes.includes('ERR_INVALID_URL') || codes.includes('UND_ERR_INVALID_ARG'))
    return {kind: 'invalid-url', code, message: `invalid URL ${url}: ${message}`}
  if (codes.some((c) => c.startsWith('HPE_')))
    return {
      kind: 'protocol',
      code,
      message: `${host} did not speak valid HTTP: ${message}`,
      hint: 'Is this an HTTPS port addressed with http://, or a non-HTTP service?',
    }
  return {kind: 'other', code, message}
}

/** A thrown value that is not an Error, as text; never throws (an object without a prototype has no toString). */
function describe(error: unknown): string {
  try {
    return String(error)
  } catch {
    return 'unknown error'
  }
}
