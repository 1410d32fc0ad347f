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

function codeChain(error: unknown): Array<{code?: string; name?: string; message?: string}> {
  const out = []
  let cur = error as {code?: string; name?: string; message?: string; cause?: unknown} | undefined
  for (let i = 0; cur && i < 5; i++) {
    out.push(cur)
    cur = cur.cause as typeof cur
  }
  return out
}

/** Turn whatever undici or the socket threw into a kind a check can reason about and a hint a person can act on. */
export function classifyNetError(error: unknown, url: string, timeoutMs: number): NetError {
  const chain = codeChain(error)
  const codes = chain.map((e) => e.code).filter(Boolean) as string[]
  const names = chain.map((e) => e.name).filter(Boolean) as string[]
  const code = codes[0]
  const host = (() => {
    try {
      return new URL(url).host
    } catch {
      return url
    }
  })()
  const message = chain.map((e) => e.message).find(Boolean) ?? String(error)
  if (codes.includes('ECONNREFUSED')) return {kind: 'refused', code: 'ECONNREFUSED', message: `connection refused by ${host}`, hint: 'Nothing is listening there: check the host and port, and that the service is running.'}
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN')) return {kind: 'dns', code, message: `cannot resolve host ${host}`, hint: 'Check the hostname for typos and that this machine can resolve it.'}
  if (codes.includes('UND_ERR_CONNECT_TIMEOUT')) return {kind: 'connect-timeout', code, message: `connecting to ${host} timed out`, hint: 'A firewall may be dropping packets, or the host is down.'}
  if (codes.some((c) => c === 'UND_ERR_HEADERS_TIMEOUT' || c === 'UND_ERR_BODY_TIMEOUT') || names.includes('TimeoutError'))
    return {kind: 'timeout', code: code ?? 'TIMEOUT', message: `${host} accepted the connection but did not answer within ${timeoutMs} ms`, hint: 'The server is hung or overloaded; check its logs and whatever it depends on.'}
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
  if (codes.some((c) => c === 'ECONNRESET' || c === 'UND_ERR_SOCKET' || c === 'EPIPE')) return {kind: 'reset', code, message: `${host} closed the connection: ${message}`, hint: 'A proxy or the server dropped the connection; check its logs.'}
  if (names.includes('AbortError') || codes.includes('UND_ERR_ABORTED') || codes.includes('ABORT_ERR')) return {kind: 'aborted', code: code ?? 'ABORTED', message: 'request aborted (check timeout or run deadline reached)'}
  if (codes.includes('ERR_INVALID_URL') || codes.includes('UND_ERR_INVALID_ARG')) return {kind: 'invalid-url', code, message: `invalid URL ${url}: ${message}`}
  if (codes.some((c) => c.startsWith('HPE_'))) return {kind: 'protocol', code, message: `${host} did not speak valid HTTP: ${message}`, hint: 'Is this an HTTPS port addressed with http://, or a non-HTTP service?'}
  return {kind: 'other', code, message}
}
