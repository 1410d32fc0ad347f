import type {ExchangeRecord, NetError} from '../http/types.js'
import type {Facts} from './facts.js'

/**
 * Read-only Prometheus HTTP API reads. Every call is a GET through `facts.fetch`, so the same
 * URL is fetched once per run; the exchanges are kept for evidence.
 */

export interface PromAnswer<T = unknown> {
  url: string
  /** HTTP status, when there was a response. */
  status?: number
  /** `data` of a `"status":"success"` envelope. */
  data?: T
  /** Prometheus' own error envelope: `errorType` (bad_data, execution, timeout) and `error`. */
  errorType?: string
  error?: string
  /** The request did not complete (refused, DNS, timeout...). */
  netError?: NetError
  /** The start of the body, for answers that are not an API envelope (`/-/ready`, proxies). */
  body: string
  /** "200", "400 bad_data: parse error...", "connection refused". */
  summary: string
  exchange: ExchangeRecord
}

export interface PromSeries {
  [label: string]: string
}

export interface PromSample {
  metric: PromSeries
  value?: [number, string]
  values?: Array<[number, string]>
}

export interface PromQueryData {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string'
  result: PromSample[] | [number, string]
}

export interface PromTarget {
  labels: PromSeries
  discoveredLabels: PromSeries
  scrapePool?: string
  scrapeUrl?: string
  health?: 'up' | 'down' | 'unknown'
  lastError?: string
  lastScrape?: string
  scrapeInterval?: string
}

export interface PromTargets {
  activeTargets?: PromTarget[]
  droppedTargets?: PromTarget[]
}

export class PrometheusApi {
  readonly base: string
  private readonly seen = new Set<ExchangeRecord>()
  readonly exchanges: ExchangeRecord[] = []

  constructor(
    private readonly facts: Facts,
    url: string,
    private readonly headers: Record<string, string> = {},
    private readonly purpose = 'prometheus',
  ) {
    this.base = url.replace(/\/+$/, '')
  }

  /** A GET of `path` with query parameters, in the order given (so equal reads share one URL). */
  async get<T>(path: string, params: Array<[string, string]> = []): Promise<PromAnswer<T>> {
    const qs = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
    const url = `${this.base}${path}${qs ? `?${qs}` : ''}`
    const result = await this.facts.fetch({
      url,
      purpose: this.purpose,
      headers: {accept: 'application/json', ...this.headers},
    })
    if (!this.seen.has(result.exchange)) {
      this.seen.add(result.exchange)
      this.exchanges.push(result.exchange)
    }
    const res = result.response
    if (!res) {
      const netError = result.error ?? {kind: 'other' as const, message: 'no response'}
      return {url, netError, body: '', summary: netError.message, exchange: result.exchange}
    }
    const body = res.text()
    let envelope: {status?: string; data?: T; errorType?: string; error?: string} | undefined
    try {
      const parsed = JSON.parse(body) as unknown
      if (parsed && typeof parsed === 'object' && 'status' in parsed) envelope = parsed as typeof envelope
    } catch {
      // Not JSON: /-/ready, or a proxy's page.
    }
    const answer: PromAnswer<T> = {
      url,
      status: res.status,
      body: body.slice(0, 2000),
      summary: String(res.status),
      exchange: result.exchange,
    }
    if (envelope?.status === 'success') answer.data = envelope.data
    else if (envelope?.status === 'error') {
      answer.errorType = envelope.errorType
      answer.error = envelope.error
      answer.summary = `${res.status} ${envelope.errorType ?? 'error'}: ${envelope.error ?? ''}`.trim()
    } else if (res.status >= 300) {
      answer.summary = `${res.status} ${body.replace(/\s+/g, ' ').trim().slice(0, 160)}`.trim()
    }
    return answer
  }

  /** `/-/ready`: 200 "Prometheus Server is Ready." once the TSDB is open. */
  ready(): Promise<PromAnswer<never>> {
    return this.get('/-/ready')
  }

  /** Instant query at the server's current time. */
  query(expr: string): Promise<PromAnswer<PromQueryData>> {
    return this.get('/api/v1/query', [['query', expr]])
  }

  /** Label sets of the series matching `selector` in [start, end] (epoch seconds). */
  series(selector: string, start: number, end: number): Promise<PromAnswer<PromSeries[]>> {
    return this.get('/api/v1/series', [
      ['match[]', selector],
      ['start', String(start)],
      ['end', String(end)],
    ])
  }

  /** Values of one label, optionally only on series matching `match`. */
  labelValues(name: string, match?: string, start?: number, end?: number): Promise<PromAnswer<string[]>> {
    const params: Array<[string, string]> = []
    if (match) params.push(['match[]', match])
    if (start !== undefined) params.push(['start', String(start)])
    if (end !== undefined) params.push(['end', String(end)])
    return this.get(`/api/v1/label/${encodeURIComponent(name)}/values`, params)
  }

  /** Every label name Prometheus knows. */
  labels(): Promise<PromAnswer<string[]>> {
    return this.get('/api/v1/labels')
  }

  /** Every metric name Prometheus knows (`/api/v1/label/__name__/values`). */
  metricNames(): Promise<PromAnswer<string[]>> {
    return this.labelValues('__name__')
  }

  targets(state: 'active' | 'dropped'): Promise<PromAnswer<PromTargets>> {
    return this.get('/api/v1/targets', [['state', state]])
  }
}

// ---------------------------------------------------------------------------------------------
// Vector selectors inside PromQL

export type MatchOp = '=' | '!=' | '=~' | '!~'

export interface Matcher {
  name: string
  op: MatchOp
  value: string
}

export interface Selector {
  /** The metric name written before the braces, if any. */
  name?: string
  matchers: Matcher[]
  /** The range or subquery written right after it ("5m", "30m:1m"), if any. */
  range?: string
  /** Where it starts and ends in the query, and its source text. */
  start: number
  end: number
  source: string
}

export class PromqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`)
  }
}

/** Aggregators, binary and grouping keywords, and number words: never metric names when bare. */
const KEYWORDS = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'limitk',
  'limit_ratio',
  'and',
  'or',
  'unless',
  'atan2',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
])
/** Keywords followed by a parenthesised list of label names (not an expression). */
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'])

const IDENT_START = /[A-Za-z_:]/
const IDENT = /[A-Za-z0-9_:]/
const NUMBER = /^(?:0[xX][0-9a-fA-F]+|(?:\d+(?:ms|[smhdwy]))+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/

/**
 * The vector selectors of a PromQL expression: metric names with their label matchers, and
 * `{...}` selectors without a name. Skips string literals, comments, function and aggregator
 * names, grouping lists (`by (...)`, `on (...)`), numbers and durations, and notes the range
 * (`[5m]`, `[30m:1m]`) written after a selector. Throws PromqlSyntaxError on malformed matchers.
 */
export function parseSelectors(promql: string): Selector[] {
  const out: Selector[] = []
  const s = promql
  let i = 0
  /** The selector just read, while the next token may still be its `{...}` or `[...]`. */
  let open: Selector | undefined
  /** Whether `open` can still take braces (a bare metric name can; a `{...}` cannot). */
  let canBrace = false

  const ws = () => {
    while (i < s.length) {
      if (/\s/.test(s[i]!)) i++
      else if (s[i] === '#') while (i < s.length && s[i] !== '\n') i++
      else break
    }
  }
  const ident = (labelOnly = false): string => {
    const start = i
    while (i < s.length && (labelOnly ? /[A-Za-z0-9_]/ : IDENT).test(s[i]!)) i++
    return s.slice(start, i)
  }

  while (i < s.length) {
    ws()
    if (i >= s.length) break
    const c = s[i]!
    if (c === '"' || c === "'" || c === '`') {
      i = readString(s, i).end
      open = undefined
      continue
    }
    if (c === '{') {
      const start = canBrace && open ? open.start : i
      const {matchers, end, quotedName} = readMatchers(s, i)
      i = end
      if (canBrace && open) {
        if (quotedName) throw new PromqlSyntaxError('metric name given twice', start)
        open.matchers = matchers
      } else {
        open = {name: quotedName, matchers, start, end: i, source: ''}
        out.push(open)
      }
      open.end = i
      open.source = s.slice(open.start, i)
      canBrace = false
      continue
    }
    if (c === '[') {
      const close = s.indexOf(']', i)
      if (close < 0) throw new PromqlSyntaxError('unclosed [', i)
      if (open) {
        open.range = s.slice(i + 1, close).replace(/\s+/g, '')
        open = undefined
      }
      i = close + 1
      canBrace = false
      continue
    }
    if (/\d/.test(c) || (c === '.' && /\d/.test(s[i + 1] ?? ''))) {
      const m = NUMBER.exec(s.slice(i))
      i += m ? m[0].length : 1
      open = undefined
      canBrace = false
      continue
    }
    if (IDENT_START.test(c)) {
      const start = i
      const word = ident()
      const lower = word.toLowerCase()
      const save = i
      ws()
      const next = s[i]
      if (LABEL_LISTS.has(lower)) {
        if (next === '(') {
          const close = s.indexOf(')', i)
          if (close < 0) throw new PromqlSyntaxError(`unclosed ${word} (`, i)
          i = close + 1
        }
        // "x offset 5m" keeps x's range context; anything else ends the selector.
        open = undefined
        canBrace = false
        continue
      }
      if (lower === 'offset') {
        // The selector keeps its place; its range (if any) was already read.
        canBrace = false
        continue
      }
      if (next === '(' || KEYWORDS.has(lower)) {
        // A function or aggregator name (or a keyword operator); what follows is an argument list or expression.
        open = undefined
        canBrace = false
        continue
      }
      i = save
      open = {name: word, matchers: [], start, end: i, source: word}
      out.push(open)
      canBrace = true
      continue
    }
    // Operators, parentheses, commas, '@'.
    if (c !== '@') {
      open = undefined
      canBrace = false
    }
    i++
  }
  return out
}

function readMatchers(s: string, at: number): {matchers: Matcher[]; end: number; quotedName?: string} {
  let i = at + 1
  const matchers: Matcher[] = []
  let quotedName: string | undefined
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++
  }
  for (;;) {
    ws()
    if (i >= s.length) throw new PromqlSyntaxError('unclosed {', at)
    if (s[i] === '}') return {matchers, end: i + 1, quotedName}
    // Label name: an identifier, or (Prometheus 3) a quoted name.
    let name: string
    let quoted = false
    if (s[i] === '"' || s[i] === "'" || s[i] === '`') {
      const str = readString(s, i)
      name = str.value
      i = str.end
      quoted = true
    } else {
      const start = i
      while (i < s.length && /[A-Za-z0-9_]/.test(s[i]!)) i++
      name = s.slice(start, i)
      if (name === '' || /^\d/.test(name))
        throw new PromqlSyntaxError(`expected a label name, found ${JSON.stringify(s[start] ?? 'end')}`, start)
    }
    ws()
    if (quoted && (s[i] === ',' || s[i] === '}')) {
      // {"metric.name"}: a quoted metric name on its own.
      if (quotedName !== undefined) throw new PromqlSyntaxError('metric name given twice', i)
      quotedName = name
    } else {
      const two = s.slice(i, i + 2)
      let op: MatchOp
      if (two === '=~' || two === '!~' || two === '!=') op = two
      else if (s[i] === '=') op = '='
      else throw new PromqlSyntaxError(`expected =, !=, =~ or !~ after label ${name}`, i)
      i += op.length
      ws()
      if (s[i] !== '"' && s[i] !== "'" && s[i] !== '`')
        throw new PromqlSyntaxError(`expected a quoted value for label ${name}`, i)
      const str = readString(s, i)
      i = str.end
      matchers.push({name, op, value: str.value})
    }
    ws()
    if (s[i] === ',') i++
    else if (s[i] !== '}') throw new PromqlSyntaxError('expected , or } in label matchers', i)
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
}

/** A PromQL string literal (Go rules): "..." and '...' with escapes, `...` raw. */
export function readString(s: string, at: number): {value: string; end: number} {
  const quote = s[at]!
  let i = at + 1
  let value = ''
  if (quote === '`') {
    const close = s.indexOf('`', i)
    if (close < 0) throw new PromqlSyntaxError('unterminated raw string', at)
    return {value: s.slice(i, close), end: close + 1}
  }
  while (i < s.length) {
    const c = s[i]!
    if (c === quote) return {value, end: i + 1}
    if (c !== '\\') {
      value += c
      i++
      continue
    }
    const e = s[i + 1]
    if (e === undefined) break
    if (e in SIMPLE_ESCAPES) {
      value += SIMPLE_ESCAPES[e]
      i += 2
      continue
    }
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0
    if (hex) {
      const digits = s.slice(i + 2, i + 2 + hex)
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) throw new PromqlSyntaxError(`bad \\${e} escape`, i)
      value += String.fromCodePoint(Number.parseInt(digits, 16))
      i += 2 + hex
      continue
    }
    if (/[0-7]/.test(e)) {
      const digits = s.slice(i + 1, i + 4)
      if (!/^[0-7]{3}$/.test(digits)) throw new PromqlSyntaxError('bad octal escape', i)
      value += String.fromCharCode(Number.parseInt(digits, 8))
      i += 4
      continue
    }
    throw new PromqlSyntaxError(`unknown escape \\${e}`, i)
  }
  throw new PromqlSyntaxError('unterminated string', at)
}

/** The metric name a selector pins: written before the braces, or `__name__="..."`. */
export function metricName(sel: Pick<Selector, 'name' | 'matchers'>): string | undefined {
  return sel.name ?? sel.matchers.find((m) => m.name === '__name__' && m.op === '=')?.value
}

const PLAIN_LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/
const PLAIN_METRIC = /^[A-Za-z_:][A-Za-z0-9_:]*$/

/** Canonical PromQL for a selector: `name{a="b",c=~"d"}`, `{a="b"}` without a name. */
export function formatSelector(name: string | undefined, matchers: readonly Matcher[]): string {
  const ms = matchers.map(
    (m) => `${PLAIN_LABEL.test(m.name) ? m.name : JSON.stringify(m.name)}${m.op}${JSON.stringify(m.value)}`,
  )
  if (name !== undefined && !PLAIN_METRIC.test(name)) return `{${[JSON.stringify(name), ...ms].join(',')}}`
  if (name !== undefined) return ms.length > 0 ? `${name}{${ms.join(',')}}` : name
  return `{${ms.join(',')}}`
}

/** Prometheus refuses selectors that match every series: one needs a name or a matcher that does not match "". */
export function selectsSomething(name: string | undefined, matchers: readonly Matcher[]): boolean {
  if (name !== undefined) return true
  return matchers.some((m) => !matchesEmpty(m))
}

export function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === ''
    case '!=':
      return m.value !== ''
    case '=~':
      return regex(m.value)?.test('') ?? false
    case '!~':
      return !(regex(m.value)?.test('') ?? true)
  }
}

/** Whether a label value satisfies a matcher (absent labels have the value ""). */
export function matches(m: Matcher, value: string | undefined, flags = ''): boolean {
  const v = value ?? ''
  switch (m.op) {
    case '=':
      return flags.includes('i') ? v.toLowerCase() === m.value.toLowerCase() : v === m.value
    case '!=':
      return v !== m.value
    case '=~':
      return regex(m.value, flags)?.test(v) ?? false
    case '!~':
      return !(regex(m.value, flags)?.test(v) ?? true)
  }
}

/** Prometheus regexes are RE2 and fully anchored; JavaScript's syntax agrees for the common cases. */
function regex(pattern: string, flags = ''): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`, flags)
  } catch {
    return undefined
  }
}

/** "1m30s" -> 90. Prometheus durations: ms, s, m, h, d, w, y. */
export function durationSeconds(text: string): number | undefined {
  const units: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000}
  let total = 0
  let rest = text.trim()
  if (rest === '') return undefined
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|[smhdwy])/.exec(rest)
    if (!m) return undefined
    total += Number(m[1]) * units[m[2]!]!
    rest = rest.slice(m[0].length)
  }
  return total
}
