/** What doctor records about one HTTP exchange. Values are redacted before they are stored. */
export interface ExchangeRecord {
  /** Which fact or check made the request, e.g. "readiness" or "clock:http://127.0.0.1:9000". */
  purpose: string
  method: string
  url: string
  status?: number
  durationMs: number
  /** Epoch ms when the request was sent. */
  startedAt: number
  requestHeaders: Record<string, string>
  responseHeaders: Record<string, string | string[]>
  bodyBytes?: number
  /** The body was longer than the cap and reading stopped there. */
  truncated?: boolean
  /** The start of a text body, redacted. */
  bodySnippet?: string
  error?: NetError
}

export type NetErrorKind =
  'refused' | 'dns' | 'connect-timeout' | 'timeout' | 'reset' | 'tls' | 'aborted' | 'invalid-url' | 'protocol' | 'other'

export interface NetError {
  kind: NetErrorKind
  code?: string
  message: string
  /** What to do about it, in one sentence. */
  hint?: string
}
