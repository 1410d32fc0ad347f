import {isCredentialName, isDescriptiveName, type NameOptions} from './names.js'
import {looksLikeCredential, NEAR_WORD, valueAfterWord} from './shapes.js'

/**
 * Redaction by structure: a value is a credential because of the name it is stored under.
 * One scanner covers the places a name/value pair is written as text:
 *   JSON and JavaScript members   "admin_password": "…"   apiKey: '…'   {\"token\":\"…\"}
 *   YAML and header-like lines    license_key: …           X-Api-Key: …   (block scalars too)
 *   env dumps and shell           RACK_TOKEN=…             export DB_PASSWORD='…'   --token …
 *   query strings and forms       ?session_code=…&state=…
 *   Prometheus labels, attributes  {token="…"}   data-csrf="…"
 *   XML elements                  <wsse:Password>…</wsse:Password>
 *   tag attribute pairs           <input type=hidden name=client_secret value=…>   <add key="ClientSecret" value="…"/>
 *   columns                       SessionToken    FwoG…   (a name at the start of a line, its value alone after it)
 *   prose                         the signing key is 8f3a…   the old passphrase was dekf-…
 * URL fragments (#access_token=…&rt=…) have their own pass, redactFragments. The scanner starts
 * only where a credential word's stem occurs, so a long body without one costs a single
 * regular-expression pass.
 */

export type ReplaceValue = (kind: string, value: string) => string

const STEMS = [
  'pass',
  'pwd',
  'secret',
  'token',
  'key',
  'cred',
  'auth',
  'sess',
  'csrf',
  'xsrf',
  'sig',
  'cookie',
  'code',
  'jwt',
  'bearer',
  'hmac',
  'otp',
  'state',
  'nonce',
  'ticket',
  'assertion',
  'saml',
  'pin',
  'mfa',
  'sid',
]

/** Characters of a name: letters, digits and _ . - [ ] (user[password], x-api-key, db.password). */
const IDENT = new Uint8Array(128)
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-[]') IDENT[ch.charCodeAt(0)] = 1
const isIdent = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i)
  return c < 128 && IDENT[c] === 1
}
/** Quote tokens a name or value may be wrapped in, longest first: JSON in JSON, HTML-escaped JSON, plain. */
const QUOTES = ['\\\\\\"', '\\"', '&quot;', '&#34;', '&#x22;', '"', "'", '`']
const AUTH_SCHEME =
  /^((?:Bearer|Basic|Token|Digest|DPoP|SSWS|Negotiate|NTLM|ApiKey|Bot|AWS4-HMAC-SHA256|OAuth|MAC|HOBA|Mutual|SCRAM-SHA-256)\s+)/i
const COOKIE_PAIR = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+=/
/** A cookie string somewhere in the value ("a=1; b=2", also after a marker that replaced a known pair). */
const HAS_COOKIE_PAIR = /(?:^|;\s*)[!#$%&'*+.^_`|~0-9A-Za-z-]+=/
const COOKIE_ATTRIBUTE = /^(?:path|domain|expires|max-age|samesite|secure|httponly|partitioned|priority)(?:=|$)/i
const PLACEHOLDER =
  /^(?:[*xX•.\-_#? ]+|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|\{\{[^}]*\}\}|<[^<>]{1,60}>|%[A-Za-z_]+%|\[?(?:redacted|hidden|masked|filtered|removed|secret|sensitive|null|none|nil|undefined|true|false|yes|no|on|off|n\/a|empty|unset|required|optional)\]?)$/i

export interface ScanOptions extends NameOptions {
  /** Where to start looking: stemPattern() with the words of `redact.names` added. */
  stems?: RegExp
}

export function stemPattern(extra: readonly string[] = []): RegExp {
  const words = [...new Set([...STEMS, ...extra.map((w) => w.toLowerCase()).filter((w) => /^[a-z0-9_-]{2,}$/.test(w))])]
  return new RegExp(words.map((w) => w.replace(/[-]/g, '\\-')).join('|'), 'gi')
}

const DEFAULT_STEMS = stemPattern()

interface Span {
  start: number
  end: number
  replacement: string
}

/** A value worth hiding: not empty, not a placeholder, not a marker, not a small number. */
export function isRedactableValue(value: string): boolean {
  const v = value.trim()
  if (v === '' || /^‹redacted:[^›]*›$/.test(v)) return false
  if (PLACEHOLDER.test(v)) return false
  if (/^-?\d{1,5}(?:\.\d+)?$/.test(v)) return false
  return true
}

/** Credential values that keep some structure: the auth scheme of an Authorization value, cookie names. */
export function redactCredentialValue(name: string, value: string, replace: ReplaceValue, kind = 'secret'): string {
  const scheme = AUTH_SCHEME.exec(value)
  if (scheme && /auth|bearer|credential|token/i.test(name))
    return `${scheme[1]}${replace('credential', value.slice(scheme[1]!.length))}`
  if (/cookie/i.test(name) && HAS_COOKIE_PAIR.test(value)) {
    return value
      .split(/(;\s*)/)
      .map((pair, i) => {
        if (i % 2 === 1 || (i > 0 && COOKIE_ATTRIBUTE.test(pair))) return pair
        const eq = pair.indexOf('=')
        const v = pair.slice(eq + 1)
        if (eq < 0) return isRedactableValue(pair) ? replace('cookie', pair) : pair
        return !isRedactableValue(v) ? pair : `${pair.slice(0, eq + 1)}${replace('cookie', v)}`
      })
      .join('')
  }
  return replace(kind, value)
}

function quoteAt(text: string, pos: number): string | undefined {
  for (const q of QUOTES) if (text.startsWith(q, pos)) return q
  return undefined
}

function quoteBefore(text: string, pos: number): string | undefined {
  for (const q of QUOTES) if (pos >= q.length && text.startsWith(q, pos - q.length)) return q
  return undefined
}

/** The end of a quoted value that starts after `quote` at `from`: the index of the closing quote. */
function closingQuote(text: string, from: number, quote: string): number {
  if (quote === '"' || quote === "'" || quote === '`') {
    for (let i = from; i < text.length && i - from < 65536; i++) {
      const ch = text[i]
      if (ch === '\\') {
        i++
        continue
      }
      if (ch === quote) return i
      if (ch === '\n' && quote !== '`') return -1
    }
    return -1
  }
  const end = text.indexOf(quote, from)
  return end < 0 || end - from > 65536 ? -1 : end
}

/** The last `ch` before `pos`, looking back at most `limit` characters (-1 when none): keeps every probe local. */
function lastWithin(text: string, ch: string, pos: number, limit: number): number {
  for (let i = pos; i >= 0 && pos - i <= limit; i--) if (text[i] === ch) return i
  return -1
}

/** Where the line holding `pos` starts, or `pos - 512` on a long line (minified JSON has none). */
function lineStart(text: string, pos: number): number {
  const nl = lastWithin(text, '\n', pos - 1, 512)
  return nl >= 0 ? nl + 1 : Math.max(0, pos - 512)
}

/** Redact every name = value pair whose name says credential. Returns the text with values replaced. */
export function redactAssignments(text: string, replace: ReplaceValue, options: ScanOptions = {}): string {
  const stems = options.stems ?? DEFAULT_STEMS
  stems.lastIndex = 0
  const spans: Span[] = []
  let scannedTo = 0
  for (let m = stems.exec(text); m; m = stems.exec(text)) {
    let start = m.index
    while (start > 0 && isIdent(text, start - 1)) start--
    let end = m.index + m[0].length
    while (end < text.length && isIdent(text, end)) end++
    stems.lastIndex = end
    if (start < scannedTo || insideMarker(text, start)) continue
    scannedTo = end
    let span =
      assignmentAt(text, start, end, replace, options) ??
      xmlElementAt(text, start, end, replace, options) ??
      tagPairAt(text, start, end, replace, options)
    if (!span) {
      const word = text.slice(start, end).replace(/^[.\-[\]]+|[.\-[\]]+$/g, '')
      // A name followed by ":" or "=" was judged as an assignment above; prose is what is left.
      const assigned = /^["']?[ \t]*[:=]/.test(text.slice(end, end + 4))
      if (!assigned && (NEAR_WORD.test(word) || isCredentialName(word, {extra: options.extra}))) {
        const run = valueAfterWord(text, end, text.startsWith('--', start), word)
        if (run) span = {start: run[0], end: run[1], replacement: replace(kindFor(word), text.slice(run[0], run[1]))}
      }
    }
    if (span) {
      spans.push(span)
      scannedTo = span.end
      stems.lastIndex = Math.max(stems.lastIndex, span.end)
    }
  }
  const tags = htmlTagSpans(text, replace, options)
  return applySpans(text, [...spans, ...tags])
}

/** A position inside a ‹redacted:kind:fp› marker: its kind names a credential word, but it is no name. */
export function insideMarker(text: string, pos: number): boolean {
  // Markers are short: look back no further than one could reach.
  const open = lastWithin(text, '‹', pos, 64)
  return open >= 0 && open > lastWithin(text, '›', pos - 1, 64) && text.startsWith('‹redacted:', open)
}

function applySpans(text: string, spans: Span[]): string {
  if (spans.length === 0) return text
  spans.sort((a, b) => a.start - b.start)
  let out = ''
  let last = 0
  for (const s of spans) {
    if (s.start < last) continue
    out += text.slice(last, s.start) + s.replacement
    last = s.end
  }
  return out + text.slice(last)
}

function assignmentAt(
  text: string,
  start: number,
  end: number,
  replace: ReplaceValue,
  options: ScanOptions,
): Span | undefined {
  // Trim punctuation the identifier class let in: "[password]" keeps its words, "--password" is a flag.
  const raw = text.slice(start, end)
  const name = /^[A-Za-z0-9_]/.test(raw) && /[A-Za-z0-9_]$/.test(raw) ? raw : raw.replace(/^[.\-[\]]+|[.\-[\]]+$/g, '')
  if (!name) return undefined
  const openQuote = quoteBefore(text, start)
  let pos = end
  if (openQuote) {
    if (!text.startsWith(openQuote, pos)) return undefined
    pos += openQuote.length
  }
  while (text[pos] === ' ' || text[pos] === '\t') pos++
  let sep: string
  if (text.startsWith('=>', pos)) sep = '=>'
  else if (text.startsWith(':=', pos)) sep = ':='
  else if (text[pos] === '=' || text[pos] === ':') sep = text[pos]!
  else return columnPairAt(text, start, end, pos, replace, options)
  pos += sep.length
  if (sep === ':' && text[pos] === ':') return undefined // a C++/Ruby scope, a IPv6 address
  const before = start - (openQuote?.length ?? 0)
  const prev = before > 0 ? text[before - 1] : '\n'
  const parameter =
    sep === '=' &&
    !openQuote &&
    (prev === '?' || prev === '&' || prev === '#' || prev === ';' || prev === '\n' || before === 0)
  if (!isCredentialName(name, {parameter, extra: options.extra})) return undefined
  const head = text.slice(lineStart(text, before), before)
  const structured =
    openQuote !== undefined ||
    parameter ||
    /^\s*(?:-\s+)?(?:export\s+|set\s+|env\s+|declare\s+(?:-x\s+)?)?$/.test(head) ||
    /[{,(]\s*$/.test(head)
  while (text[pos] === ' ' || text[pos] === '\t') pos++
  const valueQuote = quoteAt(text, pos)
  if (valueQuote) {
    const from = pos + valueQuote.length
    const close = closingQuote(text, from, valueQuote)
    if (close < 0) return undefined
    const value = text.slice(from, close)
    if (!isRedactableValue(value)) return undefined
    return {start: from, end: close, replacement: redactCredentialValue(name, value, replace, kindFor(name, parameter))}
  }
  if (text[pos] === '{' || text[pos] === '[') return undefined // structured: its members are scanned on their own
  if (/^(?:\$\{[^}\n]{0,200}\}|\{\{[^}\n]{0,200}\}\})/.test(text.slice(pos, pos + 210))) return undefined // a template reference
  // A YAML block scalar: the more-indented lines that follow are the value.
  if (sep === ':' && /^[|>][+-]?\d*[ \t]*(?:\r?\n)/.test(text.slice(pos, pos + 8))) {
    const indent = /^\s*/.exec(head)![0].length
    const first = text.indexOf('\n', pos) + 1
    let stop = first
    for (;;) {
      const nl = text.indexOf('\n', stop)
      const line = text.slice(stop, nl < 0 ? text.length : nl)
      if (line.trim() !== '' && /^\s*/.exec(line)![0].length <= indent) break
      if (nl < 0) {
        stop = text.length
        break
      }
      stop = nl + 1
    }
    let blockEnd = stop
    while (blockEnd > first && /\s/.test(text[blockEnd - 1]!)) blockEnd--
    const block = text.slice(first, blockEnd)
    return isRedactableValue(block) ? {start: first, end: blockEnd, replacement: replace('secret', block)} : undefined
  }
  let stop = pos
  // A bare value that starts with a marker is done: what follows it is the next token, not more of the secret.
  if (text.startsWith('‹redacted:', pos) && !(sep === ':' && structured)) return undefined
  if (parameter) {
    while (stop < text.length && !/[&#;\s"'<>]/.test(text[stop]!)) stop++
  } else if (sep === ':' && structured) {
    // The rest of the line, less a trailing comment or the separator of an inline collection.
    while (stop < text.length && text[stop] !== '\n' && text[stop] !== '\r') stop++
    let line = text.slice(pos, stop)
    const comment = line.search(/\s#/)
    if (comment >= 0) line = line.slice(0, comment)
    if (/[{,]\s*$/.test(head) || head.includes('{')) {
      const cut = line.search(/[,}]/)
      if (cut >= 0) line = line.slice(0, cut)
    }
    line = line.replace(/[\s,;]+$/, '')
    stop = pos + line.length
  } else {
    while (stop < text.length && !/[\s&;,"'<>)\]}|`]/.test(text[stop]!)) stop++
    // "Authorization: Bearer abc" in prose: the credential is the word after the scheme.
    if (AUTH_SCHEME.test(`${text.slice(pos, stop)} `)) {
      let next = stop
      while (text[next] === ' ') next++
      let after = next
      while (after < text.length && !/[\s&;,"'<>)\]}|`]/.test(text[after]!)) after++
      if (after > next) stop = after
    }
  }
  const value = text.slice(pos, stop)
  if (!isRedactableValue(value)) return undefined
  // Prose ("Token: expired", "Set-Cookie: theme=light") is left alone unless the value reads like a credential.
  const probe = /cookie/i.test(name) ? value.slice(value.indexOf('=') + 1) : value
  if (!structured && !looksLikeCredential(probe)) return undefined
  return {start: pos, end: stop, replacement: redactCredentialValue(name, value, replace, kindFor(name, parameter))}
}

/** The marker kind for a value found under a name: `param:code` for parameters, else what the name says. */
export function kindFor(name: string, parameter = false): string {
  if (parameter)
    return `param:${name
      .toLowerCase()
      .replace(/[^a-z0-9_.-]/g, '')
      .slice(0, 32)}`
  if (/pass|pwd/i.test(name)) return 'password'
  if (/bearer|auth/i.test(name)) return 'credential'
  if (/token|jwt/i.test(name)) return 'token'
  if (/cookie/i.test(name)) return 'cookie'
  return 'secret'
}

/**
 * A URL fragment after a redirect carries what the authorization server handed the browser
 * (access_token, id_token, and vendors' own names such as rt or at): every parameter in it that
 * reads like a credential is one, unless its name says what it is (token_type, expires_in, scope).
 */
const FRAGMENT_PLAIN =
  /^(?:error|error_description|error_uri|token_type|expires_in|expires_at|scope|iss|page|tab|view|section|lang|locale|q|query|sort|filter|from|to|redirect|return_to|next|state_hint)$/i
const FRAGMENT = /#([A-Za-z0-9_.~%-]{1,64}=[^\s"'<>#`]*)/g

export function redactFragments(text: string, replace: ReplaceValue, options: NameOptions = {}): string {
  if (!text.includes('#')) return text
  return text.replace(FRAGMENT, (_m, params: string) => {
    const parts = params.split('&').map((pair) => {
      const eq = pair.indexOf('=')
      if (eq <= 0) return pair
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1).replace(/[.,:;)\]]+$/, '')
      const tail = pair.slice(eq + 1 + value.length)
      if (!isRedactableValue(value)) return pair
      const secret =
        isCredentialName(name, {...options, parameter: true}) ||
        (!FRAGMENT_PLAIN.test(name) && !isDescriptiveName(name, false) && looksLikeCredential(value))
      return secret ? `${name}=${replace(kindFor(name, true), value)}${tail}` : pair
    })
    return `#${parts.join('&')}`
  })
}

/**
 * A credential name at the start of a line, its value after spaces and nothing else on the line:
 * `aws configure list`, `SessionToken    FwoG…`, key/value tables in error pages.
 */
function columnPairAt(
  text: string,
  start: number,
  end: number,
  pos: number,
  replace: ReplaceValue,
  options: ScanOptions,
): Span | undefined {
  if (text[pos - 1] !== ' ' && text[pos - 1] !== '\t' && text[pos] !== ' ' && text[pos] !== '\t') return undefined
  if (!/^\s*$/.test(text.slice(lineStart(text, start), start))) return undefined
  const name = text.slice(start, end)
  // "Bearer realm=…" is a challenge, not a name and its value.
  if (AUTH_SCHEME.test(`${name} `) || !isCredentialName(name, {extra: options.extra})) return undefined
  let from = pos
  while (text[from] === ' ' || text[from] === '\t') from++
  let stop = from
  while (stop < text.length && !/\s/.test(text[stop]!)) stop++
  if (!/^[ \t]*(?:\r?\n|$)/.test(text.slice(stop, stop + 8))) return undefined // more words: prose, not a column
  const value = text.slice(from, stop)
  if (!isRedactableValue(value) || !looksLikeCredential(value) || /=["']/.test(value)) return undefined
  return {start: from, end: stop, replacement: redactCredentialValue(name, value, replace, kindFor(name))}
}

/**
 * A name in a tag's attribute and its value in another attribute or in the element's text:
 * `<add key="ClientSecret" value="…"/>`, `<property name="db.password" value="…"/>`,
 * `<entry key="apiKey">…</entry>`, `<meta property="csrf-token" content="…">`.
 */
const NAME_ATTR = /(?:^|\s)(?:name|key|id|property|http-equiv|for|field|param|variable)\s*=\s*$/i
const VALUE_ATTR = /\s(?:value|content|data-value|val)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))/i

function tagPairAt(
  text: string,
  start: number,
  end: number,
  replace: ReplaceValue,
  options: ScanOptions,
): Span | undefined {
  // Only an attribute value: name="…", name='…' or name=… unquoted.
  const q = text[start - 1]
  const quoted = q === '"' || q === "'"
  if (quoted ? text[end] !== q || text[start - 2] !== '=' : q !== '=' || !/[\s/>]/.test(text[end] ?? ''))
    return undefined
  const tagStart = lastWithin(text, '<', start, 2000)
  if (tagStart < 0 || lastWithin(text, '>', start, start - tagStart) > tagStart) return undefined
  if (!NAME_ATTR.test(text.slice(tagStart, quoted ? start - 1 : start))) return undefined
  const name = text.slice(start, end)
  if (!isCredentialName(name, {parameter: true, extra: options.extra})) return undefined
  const tagEnd = text.indexOf('>', end)
  if (tagEnd < 0 || tagEnd - tagStart > 4000) return undefined
  const tag = text.slice(tagStart, tagEnd)
  const attr = VALUE_ATTR.exec(tag)
  if (attr) {
    const value = attr[1] ?? attr[2] ?? attr[3] ?? ''
    const at = tagStart + attr.index + attr[0].length - value.length - (attr[3] === undefined ? 1 : 0)
    return isRedactableValue(value)
      ? {start: at, end: at + value.length, replacement: replace(kindFor(name), value)}
      : undefined
  }
  if (text[tagEnd - 1] === '/') return undefined
  const contentEnd = text.indexOf('<', tagEnd + 1)
  if (contentEnd < 0 || contentEnd - tagEnd > 65536) return undefined
  const value = text.slice(tagEnd + 1, contentEnd)
  if (!isRedactableValue(value) || /^\s*$/.test(value)) return undefined
  return {start: tagEnd + 1, end: contentEnd, replacement: replace(kindFor(name), value)}
}

function xmlElementAt(
  text: string,
  start: number,
  end: number,
  replace: ReplaceValue,
  options: ScanOptions,
): Span | undefined {
  if (start === 0 || (text[start - 1] !== '<' && text[start - 1] !== ':')) return undefined
  const open = /<(?:[A-Za-z_][\w.-]*:)?$/.exec(text.slice(Math.max(0, start - 40), start))
  if (!open) return undefined
  const name = text.slice(start, end)
  if (!isCredentialName(name, {extra: options.extra})) return undefined
  const close = text.indexOf('>', end)
  if (close < 0 || close - end > 2000 || text[close - 1] === '/') return undefined
  const contentStart = close + 1
  const contentEnd = text.indexOf('<', contentStart)
  if (contentEnd < 0 || contentEnd - contentStart > 65536) return undefined
  if (!text.startsWith(`</${open[0].slice(1)}${name}`, contentEnd)) return undefined
  const value = text.slice(contentStart, contentEnd)
  if (!isRedactableValue(value)) return undefined
  return {start: contentStart, end: contentEnd, replacement: replace('secret', value)}
}

const TAG = /<(input|meta|param|option|button)\b([^<>]{0,4000})>/gi
const ATTR = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g

/** HTML inputs and meta tags whose name says credential: the value (or content) attribute is replaced. */
function htmlTagSpans(text: string, replace: ReplaceValue, options: ScanOptions): Span[] {
  if (!text.includes('<') || !/type\s*=\s*["']?password/i.test(text)) return []
  const spans: Span[] = []
  TAG.lastIndex = 0
  for (let t = TAG.exec(text); t; t = TAG.exec(text)) {
    const attrsStart = t.index + 1 + t[1]!.length
    const attrs = new Map<string, {value: string; start: number}>()
    ATTR.lastIndex = 0
    for (let a = ATTR.exec(t[2]!); a; a = ATTR.exec(t[2]!)) {
      const value = a[2] ?? a[3] ?? a[4]
      if (value === undefined) continue
      const offset = a.index + a[0].length - value.length - (a[2] !== undefined || a[3] !== undefined ? 1 : 0)
      attrs.set(a[1]!.toLowerCase(), {value, start: attrsStart + offset})
    }
    const label =
      attrs.get('name')?.value ??
      attrs.get('property')?.value ??
      attrs.get('id')?.value ??
      attrs.get('http-equiv')?.value ??
      ''
    const secret =
      attrs.get('type')?.value.toLowerCase() === 'password' ||
      (label !== '' && isCredentialName(label, {parameter: true, extra: options.extra}))
    if (label !== '' && secret && attrs.get('type')?.value.toLowerCase() !== 'password') continue // tagPairAt replaced it
    if (!secret) continue
    for (const key of ['value', 'content', 'data-value']) {
      const attr = attrs.get(key)
      if (attr && isRedactableValue(attr.value))
        spans.push({start: attr.start, end: attr.start + attr.value.length, replacement: replace('secret', attr.value)})
    }
  }
  return spans
}

// ---------------------------------------------------------------------------------------------
// Structure that text alone cannot show: values whose secrecy depends on a sibling or parent.

/** The secret pieces of a value stored under a credential name: after an auth scheme, each cookie's value. */
export function credentialPieces(name: string, value: string): string[] {
  const scheme = AUTH_SCHEME.exec(value)
  if (scheme) return [value.slice(scheme[1]!.length)]
  if (/cookie/i.test(name) && COOKIE_PAIR.test(value)) {
    return value
      .split(/;\s*/)
      .filter((pair, i) => i === 0 || !COOKIE_ATTRIBUTE.test(pair))
      .map((pair) => pair.slice(pair.indexOf('=') + 1))
      .filter((v) => isRedactableValue(v))
  }
  return [value]
}

/** Members of a JWK that are private key material (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const JWK_PRIVATE = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv'])
/** Names whose object or list values are all secret: a "secrets" map, a list of "tokens". */
const SECRET_CONTAINER =
  /^(?:secrets?|credentials?|creds|passwords?|tokens?|api_?keys?|private_?keys?|keys_?private|auths?)$/i
/** Inside a secret container these stay readable: who and what, never the credential. */
const IDENTITY =
  /^(?:user(?:name)?|login|email|name|type|kind|id|issuer|url|uri|host|hostname|port|scheme|username_?env|description|label|created(?:_?at)?|expires(?:_?at)?|scopes?|region|provider)$/i
/** A header list is told from a list of words by its names: header-shaped, one of them a header every client sends or an auth header. */
const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/
const WELL_KNOWN_HEADER =
  /^(?:host|accept|user-agent|content-type|content-length|authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-forwarded-for|connection|referer|origin)$/i
const PAIR_NAME = ['name', 'Name', 'key', 'Key', 'header', 'variable', 'var', 'env', 'parameter', 'param', 'field']
const PAIR_VALUE = ['value', 'Value', 'secret', 'val', 'data']

export interface SecretLeaves {
  /** The secret strings found, for replacing in text and learning as known values. */
  values: string[]
  /** Where each whole-leaf secret sits: its parent object or array and its key there. */
  marks: Map<object, Set<string>>
}

/**
 * Walk a parsed JSON or YAML document for the string values that are secret because of where
 * they sit: `{"name": "RACK_TOKEN", "value": …}` pairs (pod env, HAR headers, SSM parameters),
 * private JWK members next to `kty`, a Kubernetes Secret's `data` and `stringData`, every leaf of
 * a container named like `secrets` or `credentials` (who, what and when excepted), and the
 * credential part of a value stored under a credential name. `broad` (for what servers send, not
 * doctor's own evidence) treats every object under a credential name as such a container:
 * `"session": {"refresh": …}`.
 */
export function secretLeaves(
  doc: unknown,
  options: NameOptions & {broad?: boolean} = {},
  limit = 10_000,
): SecretLeaves {
  const values = new Set<string>()
  const marks = new Map<object, Set<string>>()
  const mark = (parent: object, key: string, value: string) => {
    if (!isRedactableValue(value) || values.size >= limit) return
    values.add(value)
    let keys = marks.get(parent)
    if (!keys) marks.set(parent, (keys = new Set()))
    keys.add(key)
  }
  const leaves = (parent: object, key: string, keep: (key: string) => boolean, depth: number): void => {
    const v = (parent as Record<string, unknown>)[key]
    if (values.size >= limit || depth > 64) return
    if (typeof v === 'string') mark(parent, key, v)
    else if (v && typeof v === 'object')
      for (const k of Object.keys(v)) if (Array.isArray(v) || keep(k)) leaves(v, k, keep, depth + 1)
  }
  const all = () => true
  const visit = (v: unknown, depth: number): void => {
    if (values.size >= limit || depth > 64 || !v || typeof v !== 'object') return
    if (Array.isArray(v)) {
      // Header lists as tuples or flat pairs: ["Authorization", "Bearer …"], Node's rawHeaders.
      const headerList =
        v.length >= 2 &&
        v.length % 2 === 0 &&
        v.every((x, i) => typeof x === 'string' && (i % 2 === 1 || HEADER_NAME.test(x))) &&
        v.some((x, i) => i % 2 === 0 && WELL_KNOWN_HEADER.test(x as string))
      if (headerList)
        for (let i = 0; i < v.length; i += 2)
          if (isCredentialName(v[i] as string, options))
            for (const piece of credentialPieces(v[i] as string, v[i + 1] as string))
              if (isRedactableValue(piece)) values.add(piece)
      for (const x of v) visit(x, depth + 1)
      return
    }
    const o = v as Record<string, unknown>
    const pairKey = PAIR_VALUE.some((k) => k in o) ? PAIR_NAME.find((k) => typeof o[k] === 'string') : undefined
    if (pairKey && isCredentialName(o[pairKey] as string, options)) {
      for (const k of PAIR_VALUE) if (k !== pairKey && k in o) leaves(o, k, all, depth)
    }
    if (typeof o.kty === 'string') for (const k of JWK_PRIVATE) if (k in o) leaves(o, k, all, depth)
    if (
      o.kind === 'Secret' ||
      (typeof o.type === 'string' &&
        /^(?:Opaque|kubernetes\.io\/|bootstrap\.kubernetes\.io\/)/.test(o.type) &&
        (o.data || o.stringData))
    ) {
      for (const k of ['data', 'stringData']) if (k in o) leaves(o, k, all, depth)
    }
    for (const [k, x] of Object.entries(o)) {
      if (
        x &&
        typeof x === 'object' &&
        (SECRET_CONTAINER.test(k.replace(/-/g, '_')) || (options.broad && isCredentialName(k, options)))
      )
        leaves(o, k, (key) => !IDENTITY.test(key) && !isDescriptiveName(key), depth)
      else if (typeof x === 'string' && isCredentialName(k, options))
        for (const piece of credentialPieces(k, x)) if (isRedactableValue(piece)) values.add(piece)
      visit(x, depth + 1)
    }
  }
  visit(doc, 0)
  return {values: [...values], marks}
}
