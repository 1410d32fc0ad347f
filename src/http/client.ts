import {readFileSync} from 'node:fs'
import {isIP, type LookupFunction} from 'node:net'
import {lookup as dnsLookup} from 'node:dns'
import {rootCertificates} from 'node:tls'
import {Agent, request as undiciRequest} from 'undici'
import {UsageError} from '../errors.js'
import type {Redactor} from '../redact/redactor.js'
import {classifyNetError} from './errors.js'
import type {ExchangeRecord, NetError} from './types.js'

export interface HttpOptions {
  connectTimeoutMs?: number
  /** Whole request: connect, headers and body. */
  timeoutMs?: number
  maxBodyBytes?: number
  /** Path of a PEM file with extra trusted CAs. */
  caFile?: string
  insecure?: boolean
  headers?: Record<string, string>
  userAgent?: string
  /** Host name -> IP address to connect to instead of resolving it (curl --resolve). */
  resolve?: Record<string, string>
}

export interface HttpRequest {
  method?: string
  url: string
  headers?: Record<string, string>
  body?: string
  purpose: string
  signal?: AbortSignal
  timeoutMs?: number
}

/**
 * A response as checks see it: collected, then redacted once, before anything reads it.
 * Status and timings are as received; the URL, headers and body text have credentials
 * replaced by markers (see Redactor). Nothing derived from this view can leak a secret,
 * however a check reformats it.
 */
export interface HttpResponse {
  status: number
  /** The URL requested, redacted. */
  url: string
  /** Response headers by lowercase name, values redacted (cookie names, auth schemes and attributes kept). */
  headers: Record<string, string | string[]>
  /** Bytes received (at most http.maxBodyBytes). */
  size: number
  truncated: boolean
  /** Epoch ms (sub-millisecond precision) just before sending and when the response headers arrived. */
  sentAt: number
  receivedAt: number
  /** The body as text, redacted. */
  text(): string
  /** The redacted body parsed as JSON (throws when it is not JSON). */
  json(): unknown
  header(name: string): string | undefined
  /**
   * The response exactly as received. Only for protocol steps that must carry a value on:
   * following a redirect, the cookie jar, submitting a form, handing a document to a client
   * library. Never shown, recorded or judged (test/unit/raw-access.test.ts keeps a list of
   * the files allowed to read it).
   */
  raw: RawResponse
}

export interface RawResponse {
  url: string
  headers: Record<string, string | string[]>
  body: Buffer
  text(): string
  header(name: string): string | undefined
}

export interface HttpResult {
  exchange: ExchangeRecord
  response?: HttpResponse
  error?: NetError
}

export interface RedirectChain {
  hops: HttpResult[]
  final: HttpResult
  /** Set when the chain was cut: a URL repeated, or too many hops. */
  stopped?: {reason: 'loop' | 'too-many-hops'; message: string}
}

const RECORDED_RESPONSE_HEADERS = new Set([
  'content-type',
  'content-length',
  'date',
  'age',
  'location',
  'www-authenticate',
  'set-cookie',
  'server',
  'via',
  'cache-control',
  'retry-after',
  'x-request-id',
  'strict-transport-security',
])
const TEXTUAL = /json|text|xml|html|javascript|x-www-form-urlencoded/i
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie']
export const DEFAULT_MAX_BODY = 1024 * 1024

/** Wall-clock time: clock-offset estimates compare against this machine's clock as it is now. */
const epochNow = (): number => Date.now()

export class HttpClient {
  readonly exchanges: ExchangeRecord[] = []
  readonly options: Required<Omit<HttpOptions, 'caFile' | 'headers' | 'resolve'>> &
    Pick<HttpOptions, 'caFile' | 'headers' | 'resolve'>
  private readonly agent: Agent

  constructor(
    options: HttpOptions,
    readonly redactor: Redactor,
  ) {
    this.options = {
      connectTimeoutMs: options.connectTimeoutMs ?? 3000,
      timeoutMs: options.timeoutMs ?? 8000,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY,
      insecure: options.insecure ?? false,
      userAgent: options.userAgent ?? 'doctor',
      caFile: options.caFile,
      headers: options.headers,
      resolve: options.resolve,
    }
    let ca: string[] | undefined
    if (options.caFile) {
      try {
        ca = [...rootCertificates, readFileSync(options.caFile, 'utf8')]
      } catch (error) {
        throw new UsageError(`Cannot read the CA file ${options.caFile} given with --ca: ${(error as Error).message}`)
      }
      if (!ca[ca.length - 1].includes('-----BEGIN CERTIFICATE-----'))
        throw new UsageError(
          `The CA file ${options.caFile} contains no PEM certificate ("-----BEGIN CERTIFICATE-----").`,
        )
    }
    this.agent = new Agent({
      connect: {
        timeout: this.options.connectTimeoutMs,
        rejectUnauthorized: !this.options.insecure,
        ...(ca ? {ca} : {}),
        ...(options.resolve && Object.keys(options.resolve).length > 0 ? {lookup: pinnedLookup(options.resolve)} : {}),
      },
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      keepAliveTimeout: 2000,
    })
  }

  async request(req: HttpRequest): Promise<HttpResult> {
    const method = (req.method ?? 'GET').toUpperCase()
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent,
      accept: '*/*',
      ...this.options.headers,
      ...lowerKeys(req.headers ?? {}),
    }
    const startedAt = Date.now()
    const sentAt = epochNow()
    const record = (partial: Partial<ExchangeRecord>): ExchangeRecord => {
      const exchange: ExchangeRecord = {
        purpose: req.purpose,
        method,
        url: this.redactor.redactString(req.url),
        durationMs: Math.round((epochNow() - sentAt) * 10) / 10,
        startedAt,
        requestHeaders: this.redactor.redactHeaders(headers),
        responseHeaders: {},
        ...partial,
      }
      this.exchanges.push(exchange)
      return exchange
    }
    let url: URL
    try {
      url = new URL(req.url)
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new TypeError(`unsupported protocol ${url.protocol}`)
    } catch (error) {
      const netError: NetError = {
        kind: 'invalid-url',
        message: this.redactor.redactString(`"${req.url}" is not an http(s) URL: ${(error as Error).message}`),
      }
      return {exchange: record({error: netError}), error: netError}
    }
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
    try {
      const res = await undiciRequest(url, {method, headers, body: req.body, dispatcher: this.agent, signal})
      const receivedAt = epochNow()
      const chunks: Buffer[] = []
      let size = 0
      let truncated = false
      for await (const chunk of res.body) {
        const buf = chunk as Buffer
        if (size + buf.length > this.options.maxBodyBytes) {
          chunks.push(buf.subarray(0, this.options.maxBodyBytes - size))
          size = this.options.maxBodyBytes
          truncated = true
          res.body.destroy()
          break
        }
        chunks.push(buf)
        size += buf.length
      }
      const body = Buffer.concat(chunks)
      const responseHeaders = normaliseHeaders(res.headers)
      const contentType = String(responseHeaders['content-type'] ?? '')
      const redactor = this.redactor
      const shownHeaders = redactor.redactHeaders(responseHeaders)
      // Text bodies are redacted whole, once, here: the recorded snippet is cut from the redacted
      // text, so a secret can never be split by the cut and slip past redaction.
      const textual = TEXTUAL.test(contentType) || (contentType === '' && size > 0 && isProbablyText(body))
      let shownText: string | undefined = textual ? redactor.redactBody(body.toString('utf8'), contentType) : undefined
      const text = () => (shownText ??= redactor.redactBody(body.toString('utf8'), contentType))
      const recorded: Record<string, string | string[]> = {}
      for (const [k, v] of Object.entries(shownHeaders)) if (RECORDED_RESPONSE_HEADERS.has(k)) recorded[k] = v
      const exchange = record({
        status: res.statusCode,
        responseHeaders: recorded,
        bodyBytes: size,
        ...(truncated ? {truncated} : {}),
        ...(shownText !== undefined ? {bodySnippet: snippetOf(shownText)} : {}),
      })
      const pick = (headers: Record<string, string | string[]>) => (name: string) => {
        const v = headers[name.toLowerCase()]
        return Array.isArray(v) ? v.join(', ') : v
      }
      const rawText = () => body.toString('utf8')
      const response: HttpResponse = {
        status: res.statusCode,
        url: exchange.url,
        headers: shownHeaders,
        size,
        truncated,
        sentAt,
        receivedAt,
        text,
        json: () => JSON.parse(text()),
        header: pick(shownHeaders),
        raw: {url: url.href, headers: responseHeaders, body, text: rawText, header: pick(responseHeaders)},
      }
      return {exchange, response}
    } catch (error) {
      const aborted = req.signal?.aborted && !timeout.aborted
      const classified: NetError = aborted
        ? {kind: 'aborted', message: 'request aborted (check timeout or run deadline reached)'}
        : classifyNetError(error, req.url, timeoutMs)
      // An error message can quote the URL or what the server sent before it hung up.
      const netError: NetError = {
        ...classified,
        message: this.redactor.redactString(classified.message),
        ...(classified.hint ? {hint: this.redactor.redactString(classified.hint)} : {}),
      }
      return {exchange: record({error: netError}), error: netError}
    }
  }

  /**
   * Follow redirects one hop at a time. Credentials (Authorization, Cookie) go only to the
   * origin they were configured for; a repeated (method, URL) or too many hops stops the chain.
   */
  async follow(req: HttpRequest, maxHops = 10): Promise<RedirectChain> {
    const hops: HttpResult[] = []
    const seen = new Set<string>()
    const origin = new URL(req.url).origin
    let current: HttpRequest = req
    for (;;) {
      const key = `${(current.method ?? 'GET').toUpperCase()} ${current.url}`
      if (seen.has(key)) {
        return {
          hops,
          final: hops[hops.length - 1],
          stopped: {reason: 'loop', message: `redirect loop: ${key} was requested twice`},
        }
      }
      seen.add(key)
      const result = await this.request(current)
      hops.push(result)
      const status = result.response?.status ?? 0
      const location = result.response?.raw.header('location')
      if (!result.response || status < 300 || status > 399 || !location) return {hops, final: result}
      if (hops.length > maxHops) {
        return {hops, final: result, stopped: {reason: 'too-many-hops', message: `more than ${maxHops} redirects`}}
      }
      const next = new URL(location, current.url)
      const method =
        status === 303 || ((status === 301 || status === 302) && (current.method ?? 'GET').toUpperCase() === 'POST')
          ? 'GET'
          : current.method
      const headers = {...lowerKeys(current.headers ?? {})}
      if (next.origin !== origin) for (const h of CREDENTIAL_HEADERS) delete headers[h]
      current = {...current, url: next.href, method, headers, body: method === 'GET' ? undefined : current.body}
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => {})
  }
}

/** A dns.lookup that answers pinned host names from the map and resolves the rest normally. */
function pinnedLookup(map: Record<string, string>): LookupFunction {
  const pinned = new Map(Object.entries(map).map(([host, ip]) => [host.toLowerCase(), ip]))
  return ((hostname: string, options: {all?: boolean}, callback: (...args: unknown[]) => void) => {
    const ip = pinned.get(hostname.toLowerCase())
    if (!ip) return dnsLookup(hostname, options as never, callback as never)
    const family = isIP(ip)
    if (options?.all) return process.nextTick(callback, null, [{address: ip, family}])
    process.nextTick(callback, null, ip, family)
  }) as LookupFunction
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
}

function normaliseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v
  return out
}

/** The recorded start of a body: 2 KiB of the redacted text, never ending inside a marker. */
const SNIPPET_CHARS = 2048
function snippetOf(text: string): string {
  if (text.length <= SNIPPET_CHARS) return text
  let cut = SNIPPET_CHARS
  const open = text.lastIndexOf('‹', cut)
  if (open >= 0 && text.indexOf('›', open) >= cut) cut = open
  return text.slice(0, cut)
}

function isProbablyText(buf: Buffer): boolean {
  const sample = buf.subarray(0, 512)
  return !sample.includes(0)
}
