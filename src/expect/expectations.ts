import {isDeepStrictEqual} from 'node:util'
import type {z} from 'zod'
import type {expectation} from '../config/schema.js'
import type {Facts} from '../facts/facts.js'
import type {ExchangeRecord, NetError} from '../http/types.js'

/**
 * JSONPath expectations ("$.entitlements.production == true") as written in doctor.yaml, and the
 * helpers the billing checks share for reading a JSON status endpoint: fetching it through facts,
 * finding well-known fields (expiry, workspace, last webhook) and saying dates relative to now.
 */

/** As the config schema accepts it: the string shorthand or the object form. */
export type Expectation = z.output<typeof expectation>

export type Op = 'equals' | 'notEquals' | 'contains' | 'exists' | 'future' | 'past'

export interface NormalExpectation {
  path: string
  op: Op
  /** The right-hand side: the JSON value for equals/notEquals/contains; for exists, false means "must be absent". */
  value?: unknown
  label?: string
  /** As the user wrote it (the object form is rendered in the shorthand), for messages. */
  text: string
}

export interface ExpectationResult {
  expectation: NormalExpectation
  ok: boolean
  /** The matched value (one match) or values (several); undefined when the path matches nothing. */
  observed: unknown
  /** '$.entitlements.production is false, expected true' */
  message: string
}

// ---------------------------------------------------------------------------------------------
// Parsing

const OPS = ['==', '!=', 'contains', 'exists', 'in the future', 'in the past'] as const

/** Parse the shorthand ("$.a.b == true", "$.features[*] contains sso", "$.expiresAt in the future") or normalise the object form. */
export function normalise(e: Expectation): NormalExpectation {
  if (typeof e === 'string') return parseShorthand(e)
  const {path, label} = e
  const base = label === undefined ? {path} : {path, label}
  if (e.equals !== undefined)
    return {...base, op: 'equals', value: e.equals, text: `${path} == ${JSON.stringify(e.equals)}`}
  if (e.notEquals !== undefined)
    return {...base, op: 'notEquals', value: e.notEquals, text: `${path} != ${JSON.stringify(e.notEquals)}`}
  if (e.contains !== undefined)
    return {...base, op: 'contains', value: e.contains, text: `${path} contains ${JSON.stringify(e.contains)}`}
  if (e.future !== undefined)
    return {...base, op: e.future ? 'future' : 'past', text: `${path} in the ${e.future ? 'future' : 'past'}`}
  if (e.exists === false) return {...base, op: 'exists', value: false, text: `${path} does not exist`}
  // {path} alone, or {path, exists: true}: the path must match something.
  return {...base, op: 'exists', text: `${path} exists`}
}

function parseShorthand(text: string): NormalExpectation {
  const trimmed = text.trim()
  const end = pathEnd(trimmed)
  const path = trimmed.slice(0, end)
  const rest = trimmed.slice(end).trimStart()
  const word = OPS.find((op) => rest === op || rest.startsWith(`${op} `) || (/^[=!]/.test(op) && rest.startsWith(op)))
  if (!path.startsWith('$') || end === trimmed.length || word === undefined) {
    throw new Error(
      `"${text}" is not an expectation: write a JSONPath, then ==, !=, contains, exists, "in the future" or "in the past" (e.g. "$.entitlements.production == true")`,
    )
  }
  const value = rest.slice(word.length).trim()
  switch (word) {
    case 'exists':
    case 'in the future':
    case 'in the past': {
      if (value !== '') throw new Error(`"${text}": nothing may follow "${word}"`)
      return {path, op: word === 'exists' ? 'exists' : word === 'in the future' ? 'future' : 'past', text: trimmed}
    }
    default: {
      if (value === '')
        throw new Error(`"${text}": "${word}" needs a value after it (JSON, or a bare word for a string)`)
      const op: Op = word === '==' ? 'equals' : word === '!=' ? 'notEquals' : 'contains'
      return {path, op, value: parseValue(value), text: trimmed}
    }
  }
}

/** Where the JSONPath ends: the first space outside brackets, parentheses and quotes, so filters may contain spaces. */
function pathEnd(text: string): number {
  let depth = 0
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = undefined
    } else if (c === "'" || c === '"') quote = c
    else if (c === '[' || c === '(') depth++
    else if (c === ']' || c === ')') depth = Math.max(0, depth - 1)
    else if (depth === 0 && /\s/.test(c)) return i
    else if (depth === 0 && (text.startsWith('==', i) || text.startsWith('!=', i))) return i
  }
  return text.length
}

/** Config mistakes the schema lets through ("$.a ==" with no value), as "<key>[i]: reason"; empty when all parse. */
export function invalidExpectations(list: readonly Expectation[], key: string): string[] {
  return list.flatMap((e, i) => {
    try {
      normalise(e)
      return []
    } catch (error) {
      return [`${key}[${i}]: ${(error as Error).message}`]
    }
  })
}

/** JSON when it parses ("true", "3", "\"x\"", "null", "[1]"), else a quoted ('x') or bare string. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    const quoted = /^'([\s\S]*)'$/.exec(text)
    return quoted ? quoted[1] : text
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Evaluate each expectation against a parsed JSON body; `now` (epoch ms) judges future/past dates. */
export async function evaluate(expectations: Expectation[], json: unknown, now: number): Promise<ExpectationResult[]> {
  const {JSONPath} = await import('jsonpath-plus')
  return expectations.map((raw) => {
    let e: NormalExpectation
    try {
      e = normalise(raw)
    } catch (error) {
      const text = typeof raw === 'string' ? raw : JSON.stringify(raw)
      return {
        expectation: {path: '$', op: 'exists', text},
        ok: false,
        observed: undefined,
        message: (error as Error).message,
      }
    }
    let matches: unknown[]
    try {
      matches =
        json === null || json === undefined
          ? []
          : ((JSONPath({path: e.path, json: json as object, wrap: true}) as unknown[] | undefined) ?? [])
    } catch (error) {
      return {
        expectation: e,
        ok: false,
        observed: undefined,
        message: `${subject(e)} is not a JSONPath doctor can evaluate: ${(error as Error).message}`,
      }
    }
    return judge(e, matches, now)
  })
}

function judge(e: NormalExpectation, matches: unknown[], now: number): ExpectationResult {
  const s = subject(e)
  const observed = matches.length === 0 ? undefined : matches.length === 1 ? matches[0] : matches
  const result = (ok: boolean, message: string): ExpectationResult => ({expectation: e, ok, observed, message})
  const seen =
    matches.length === 1 ? `is ${compact(matches[0])}` : `matches ${matches.length} values ${compact(matches)}`
  switch (e.op) {
    case 'equals': {
      if (matches.length === 0)
        return result(false, `${s} matches nothing in the response, expected ${compact(e.value)}`)
      if (matches.length > 1)
        return result(false, `${s} ${seen}, expected exactly one value, equal to ${compact(e.value)}`)
      if (isDeepStrictEqual(matches[0], e.value)) return result(true, `${s} ${seen}`)
      return result(false, `${s} ${seen}, expected ${compact(e.value)}${typeNote(matches[0], e.value)}`)
    }
    case 'notEquals': {
      // A path that matches nothing fails: a typo in the path must not pass silently.
      if (matches.length === 0)
        return result(false, `${s} matches nothing in the response, expected a value other than ${compact(e.value)}`)
      if (matches.some((m) => isDeepStrictEqual(m, e.value)))
        return result(false, `${s} ${seen}, expected anything but ${compact(e.value)}`)
      return result(true, `${s} ${seen}, not ${compact(e.value)}`)
    }
    case 'contains': {
      if (matches.length === 0)
        return result(false, `${s} matches nothing in the response, expected it to contain ${compact(e.value)}`)
      const candidates = matches.flatMap((m) => (Array.isArray(m) ? [m, ...m] : [m]))
      if (candidates.some((m) => isDeepStrictEqual(m, e.value)))
        return result(true, `${s} contains ${compact(e.value)} (${compact(observed)})`)
      return result(false, `${s} ${seen}, expected it to contain ${compact(e.value)}`)
    }
    case 'exists': {
      if (e.value === false)
        return matches.length === 0
          ? result(true, `${s} is absent, as expected`)
          : result(false, `${s} ${seen}, expected it to be absent`)
      return matches.length > 0
        ? result(true, `${s} exists (${compact(observed)})`)
        : result(false, `${s} matches nothing in the response, expected it to exist`)
    }
    case 'future':
    case 'past': {
      const wanted = `a date in the ${e.op}`
      if (matches.length === 0) return result(false, `${s} matches nothing in the response, expected ${wanted}`)
      for (const m of matches) {
        const at = parseDate(m)
        if (at === undefined)
          return result(
            false,
            `${s} ${matches.length === 1 ? 'is' : 'has'} ${compact(m)}, which is not a date (an ISO 8601 string or epoch seconds), expected ${wanted}`,
          )
        const inFuture = at > now
        if (inFuture !== (e.op === 'future'))
          return result(
            false,
            `${s} ${matches.length === 1 ? 'is' : 'has'} ${describeDate(m, at, now)}, expected ${wanted}`,
          )
      }
      const shown = matches.map((m) => describeDate(m, parseDate(m)!, now))
      return result(true, `${s} is ${shown.join(', ')}`)
    }
  }
}

/** The expectation's name in messages: its path, with the label first when it has one. */
function subject(e: NormalExpectation): string {
  return e.label ? `${e.label} (${e.path})` : e.path
}

/** "5" vs 5: say that the types differ, the commonest reason an equal-looking value fails. */
function typeNote(actual: unknown, wanted: unknown): string {
  if (actual === null || wanted === null || typeof actual === 'object' || typeof wanted === 'object') return ''
  if (typeof actual !== typeof wanted && String(actual) === String(wanted))
    return ` (a ${typeof actual}, not a ${typeof wanted}: write the value as the API sends it)`
  return ''
}

// ---------------------------------------------------------------------------------------------
// Values and dates

/** JSON, shortened to about `max` characters. */
export function compact(value: unknown, max = 120): string {
  let text: string
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value))
  } catch {
    text = String(value)
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** A date as APIs write it: an ISO 8601 string, epoch seconds, or epoch milliseconds (above 1e12); epoch ms, or undefined. */
export function parseDate(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value > 0 ? (value > 1e12 ? value : value * 1000) : undefined
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return parseDate(Number(text))
  // Only date-like strings: Date.parse accepts odd things ("1", "May 3").
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : at
}

/** "3 days ago", "in 2 h", "40 s ago". */
export function relative(at: number, now: number): string {
  const delta = Math.round((at - now) / 1000)
  const abs = Math.abs(delta)
  if (abs === 0) return 'just now'
  const span =
    abs < 120
      ? `${abs} s`
      : abs < 7200
        ? `${Math.round(abs / 60)} min`
        : abs < 172_800
          ? `${Math.round(abs / 3600)} h`
          : `${Math.round(abs / 86_400)} days`
  return delta < 0 ? `${span} ago` : `in ${span}`
}

/** '"2024-05-01T00:00:00Z" (3 days ago)', or for epoch numbers '1714521600 (2024-05-01T00:00:00.000Z, 3 days ago)'. */
export function describeDate(raw: unknown, at: number, now: number): string {
  const iso = typeof raw === 'string' && !/^\s*\d+(\.\d+)?\s*$/.test(raw) ? '' : `${new Date(at).toISOString()}, `
  return `${compact(raw)} (${iso}${relative(at, now)})`
}

// ---------------------------------------------------------------------------------------------
// Finding well-known fields in a status body

export interface Field {
  /** JSONPath of the field: "$.license.expiresAt", "$.entitlements[0].expires_at". */
  path: string
  value: unknown
  /** findKeys only: the object holding the field. */
  parent?: Record<string, unknown>
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Lower case without separators: expires_at, expiresAt and Expires-At are all "expiresat". */
export const normaliseKey = (key: string): string => key.toLowerCase().replace(/[\s_-]+/g, '')

const step = (path: string, key: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`

/**
 * The first field found at one of `candidates`, dotted paths of normalised keys
 * ("webhook.lastreceivedat"), in the order given.
 */
export function lookup(json: unknown, candidates: readonly string[]): Field | undefined {
  for (const candidate of candidates) {
    let node: unknown = json
    let path = '$'
    for (const part of candidate.split('.')) {
      if (!isObject(node)) {
        node = undefined
        break
      }
      const key = Object.keys(node).find((k) => normaliseKey(k) === part)
      if (key === undefined) {
        node = undefined
        break
      }
      path = step(path, key)
      node = node[key]
    }
    if (node !== undefined) return {path, value: node}
  }
  return undefined
}

/** Every field, at any depth up to `maxDepth` (arrays included), whose normalised key is in `keys`. */
export function findKeys(json: unknown, keys: ReadonlySet<string>, maxDepth = 4): Field[] {
  const found: Field[] = []
  const walk = (node: unknown, path: string, depth: number) => {
    if (depth > maxDepth) return
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${path}[${i}]`, depth + 1))
    else if (isObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        const here = step(path, key)
        if (keys.has(normaliseKey(key))) found.push({path: here, value, parent: node})
        walk(value, here, depth + 1)
      }
    }
  }
  walk(json, '$', 0)
  return found
}

// ---------------------------------------------------------------------------------------------
// Reading a JSON status endpoint

export type JsonRead =
  | {kind: 'json'; url: string; status: number; json: unknown; exchange: ExchangeRecord}
  | {kind: 'unreachable'; url: string; error: NetError; exchange: ExchangeRecord}
  | {kind: 'http-status'; url: string; status: number; contentType: string; snippet: string; exchange: ExchangeRecord}
  | {
      kind: 'not-json'
      url: string
      status: number
      contentType: string
      snippet: string
      reason: string
      exchange: ExchangeRecord
    }

/** GET a status endpoint through facts (memoised, redacted) and parse its JSON body. */
export async function readJson(
  facts: Facts,
  req: {url: string; headers?: Record<string, string>; purpose: string},
): Promise<JsonRead> {
  const result = await facts.fetch({
    url: req.url,
    purpose: req.purpose,
    headers: {accept: 'application/json', ...req.headers},
  })
  const exchange = result.exchange
  const url = exchange.url
  const res = result.response
  if (!res)
    return {
      kind: 'unreachable',
      url,
      exchange,
      error: result.error ?? {kind: 'other', message: 'no response and no error recorded'},
    }
  const contentType = res.header('content-type') ?? ''
  const snippet = snippetOf(exchange.bodySnippet ?? res.text().slice(0, 2048))
  if (res.status < 200 || res.status > 299)
    return {kind: 'http-status', url, status: res.status, contentType, snippet, exchange}
  const text = res.text()
  if (text.trim() === '')
    return {kind: 'not-json', url, status: res.status, contentType, snippet, reason: 'the body is empty', exchange}
  try {
    return {kind: 'json', url, status: res.status, json: JSON.parse(text) as unknown, exchange}
  } catch (error) {
    const reason = res.truncated
      ? `the body was cut at ${res.size} bytes (http.maxBodyBytes), so its JSON is incomplete`
      : `it does not parse as JSON (${(error as Error).message})`
    return {kind: 'not-json', url, status: res.status, contentType, snippet, reason, exchange}
  }
}

function snippetOf(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim()
  return clean.length > 160 ? `${clean.slice(0, 159)}…` : clean
}

/**
 * Why a status endpoint could not be judged, in one sentence, and what to do about it: the
 * message of an `error` outcome. `key` is the config key holding the URL ("entitlement.url").
 */
export function unreadable(
  read: Exclude<JsonRead, {kind: 'json'}>,
  what: string,
  key: string,
): {message: string; notes: string[]} {
  const headersKey = key.replace(/\.\w+$/, '.headers')
  switch (read.kind) {
    case 'unreachable':
      return {
        message: `could not read the ${what} at ${read.url}: ${read.error.message}`,
        notes: [read.error.hint ?? `Check ${key} and that this machine can reach that host and port.`],
      }
    case 'http-status': {
      const body = read.snippet ? `: ${read.snippet}` : ' with an empty body'
      const hint =
        read.status === 401 || read.status === 403
          ? `The endpoint wants a credential doctor did not send or that it refuses: add it to ${headersKey} (e.g. Authorization: "Bearer \${STATUS_TOKEN}").`
          : read.status === 404 || read.status === 410
            ? `${read.url} is not the ${what} endpoint: check ${key}.`
            : read.status >= 300 && read.status < 400
              ? `It redirects: point ${key} at the final URL (a redirect to a login page means the endpoint needs a credential in ${headersKey}).`
              : read.status >= 500
                ? `The service failed while answering: read its logs at the time of this request.`
                : `Check ${key} and what the endpoint expects.`
      return {
        message: `the ${what} at ${read.url} answered ${read.status}${read.contentType ? ` (${read.contentType})` : ''}, not 2xx, so doctor cannot read it${body}`,
        notes: [hint],
      }
    }
    case 'not-json': {
      const html = /html/i.test(read.contentType) || /^<(!doctype|html)/i.test(read.snippet)
      return {
        message: `the ${what} at ${read.url} answered ${read.status}${read.contentType ? ` (${read.contentType})` : ''}, but ${read.reason}${read.snippet ? `: ${read.snippet}` : ''}`,
        notes: [
          html
            ? `An HTML page where JSON was expected is usually the web app's catch-all route: check the path in ${key}.`
            : `Point ${key} at the endpoint that answers JSON.`,
        ],
      }
    }
  }
}

/** "its expectation" or "all 3 expectations", for messages. */
export const allOf = (n: number): string => (n === 1 ? 'its expectation' : `all ${n} expectations`)
