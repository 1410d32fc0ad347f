import {createHash} from 'node:crypto'
import {createRequire} from 'node:module'
import {InternalError} from '../errors.js'
import {isCredentialName, isSecretEnvName, nameWords} from './names.js'
import {
  BASE64_PEM_RE,
  JWT_RE,
  looksLikeCredential,
  PUTTY_RE,
  replaceAwsSecrets,
  replaceRandomRuns,
  replaceBasicCredentials,
  replacePem,
  replaceTokenShapes,
  USERINFO_RE,
} from './shapes.js'
import {
  isRedactableValue,
  redactAssignments,
  redactCredentialValue,
  redactFragments,
  secretLeaves,
  stemPattern,
} from './structure.js'

/** Short, stable fingerprint so two mentions of one secret can be matched without revealing it. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 4)
}

export function marker(kind: string, value: string): string {
  return `‹redacted:${kind}:${fingerprint(value)}›`
}

const MARKER_ONLY = /^‹redacted:[^›]*›$/

export interface RedactionCount {
  kind: string
  count: number
}

/** What a known secret is and where it came from ("config field api.token", "env var RACK_TOKEN"); never its value. */
export interface SecretInfo {
  kind: string
  source?: string
}

/** A deployment-specific secret shape from doctor.yaml (`redact.patterns`), already validated. */
export interface RedactPattern {
  pattern: string
  flags?: string
  /** Marker kind, default "custom". */
  kind?: string
}

export interface RedactorOptions {
  /** Replace email addresses too (`--redact-emails`); off by default, since an email is often the clue. */
  redactEmails?: boolean
  /** Extra credential names (`redact.names`): members, parameters and variables with these names are secret. */
  names?: readonly string[]
  /** Extra secret shapes (`redact.patterns`): what a match (or its first capture group) covers is replaced. */
  patterns?: readonly RedactPattern[]
}

const EMAIL_RE = /\b[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b/g
/** A bearer token written out in prose or a pasted command ("then use Bearer x"); "Authorization: …" lines are structure. */
const BEARER_RE = /\b(Bearer\s+)([A-Za-z0-9._~+/-]{8,}=*)/g
/**
 * Structures only a parsed document shows (secretLeaves): a name/value pair, a JWK, a Kubernetes
 * Secret, a container named like secrets or credentials, and the redact.names a config adds are
 * caught by the text scanner anyway. Without one of these words, a body is not parsed.
 */
const STRUCTURE_HINT =
  /(?:value|Value|val|data|secret|kty|stringData|secrets|credentials|creds|passwords|tokens|api_?[kK]eys|private_?[kK]eys|auths?|Secret)["']?\s*:|(?:[sS]ess|[cC]ookie|[tT]oken|[sS]ecret|[aA]uth|[kK]ey|[pP]ass|[cC]red)[\w-]*["']?\s*:\s*[[{]/
/** Bodies larger than this (twice the default body cap) are redacted as text only; their structure is not parsed. */
const MAX_STRUCTURED_BODY = 2 * 1024 * 1024

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
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes])
      .toString('base64')
      .replace(/=+$/, '')
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

const BASE64_CHAR = /[A-Za-z0-9+/_-]/
/** Encoded quotes, colons or equals signs: percent-encoded structure worth decoding. */
const PERCENT_STRUCTURE = /%(?:22|27|3[aAdD])/
const PERCENT_RUN = /[A-Za-z0-9%._~+*!-]*%(?:22|27|3[aAdD])[A-Za-z0-9%._~+*!-]*/g
const escapeRegExp = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const xmlEscape = (v: string) =>
  v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')

/**
 * Replaces secrets in everything doctor collects, records or prints. Three layers, in order:
 *  1. known values (secret config fields, secret-named env vars, values read at run time, and
 *     every value the layers below ever replaced), in every encoding: URL, form, JSON, base64
 *     at any offset;
 *  2. shapes: PEM blocks however their lines were joined, JWTs, vendor token prefixes, URL
 *     userinfo, an AWS secret key next to its key id, Basic credentials, and the deployment's
 *     own `redact.patterns`;
 *  3. structure: values stored under credential names in JSON, YAML, env dumps, query strings,
 *     fragments, forms, HTML and XML, and random-looking runs right after a credential word in
 *     prose (`redactBody` also reads the parsed document for secrets that only a sibling or
 *     parent reveals: pod env pairs, private JWK members, Kubernetes Secrets, secret containers).
 * A final scan of every rendered output for the known values fails closed.
 */
export class Redactor {
  private readonly secrets = new Map<string, SecretInfo & {value: string}>() // form -> origin
  /** Every form the final scan looks for: the replaced forms plus HTML-escaped and base64-aligned ones. */
  private readonly needles = new Map<string, SecretInfo & {value: string; form: string}>()
  /** Base64 runs that carry a secret at some offset (Basic user:password): replaced as a whole run. */
  private readonly embedded = new Map<string, SecretInfo & {value: string}>()
  /** The two maps above as one alternation each, rebuilt after a secret is added. */
  private knownRe?: RegExp
  private embeddedRe?: RegExp
  private readonly extraNames: ReadonlySet<string>
  private readonly stems?: RegExp
  private readonly patterns: Array<{re: RegExp; kind: string}>
  readonly counts = new Map<string, number>()
  /** Grows whenever a known value is added: a pass that learnt something may need to run again. */
  generation = 0
  private counting = true

  constructor(private readonly options: RedactorOptions = {}) {
    const names = (options.names ?? []).map((n) => n.toLowerCase())
    this.extraNames = new Set([...names, ...names.map((n) => nameWords(n).join('_'))])
    this.stems = names.length > 0 ? stemPattern(names.flatMap((n) => nameWords(n))) : undefined
    this.patterns = (options.patterns ?? []).map((p) => ({re: compilePattern(p), kind: p.kind ?? 'custom'}))
  }

  /** Register a value that must never be printed. Short values are ignored to avoid shredding ordinary text. */
  addSecret(value: string | undefined, kind = 'secret', source?: string): void {
    if (!value) return
    let added = false
    for (const part of credentialParts(value)) {
      const v = part.trim()
      if (v.length < 6 || this.secrets.has(v)) continue
      added = true
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
      const scanned: Array<[string, string]> = [
        ...replaced,
        [xmlEscape(v), 'HTML-escaped'],
        ...base64Needles(v).map((n): [string, string] => [n, 'base64']),
      ]
      for (const [form, how] of scanned) if (!this.needles.has(form)) this.needles.set(form, {...origin, form: how})
    }
    if (added) {
      this.knownRe = this.embeddedRe = undefined
      this.generation++
    }
  }

  /** Env vars whose names say they hold credentials are secrets even if no config field names them. */
  addSecretEnv(env: NodeJS.ProcessEnv = process.env): void {
    for (const [name, value] of Object.entries(env)) {
      if (value && isSecretEnvName(name, this.extraNames)) this.addSecret(value, 'env', `env var ${name}`)
    }
  }

  has(value: string): boolean {
    return this.secrets.has(value)
  }

  /** A name (member, parameter, header, variable) whose value is a credential, extra `redact.names` included. */
  isSecretName(name: string, parameter = false): boolean {
    return isCredentialName(name, {parameter, extra: this.extraNames})
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

  /**
   * Every replacement goes through here. A value redacted once by shape or structure is also
   * learnt as a known value, so a later echo of it (in another body, encoded, in a header)
   * is caught too, and the fail-closed scan knows it.
   */
  private readonly replace = (kind: string, value: string): string => {
    if (MARKER_ONLY.test(value)) return value // already redacted (a saved report read back)
    this.bump(kind)
    if (
      value.length >= 8 &&
      value.length <= 4096 &&
      !this.secrets.has(value) &&
      !value.includes('‹redacted') &&
      !isNameLike(value)
    )
      this.learn(value, kind)
    return marker(kind, value)
  }

  private learn(value: string, kind: string): void {
    this.addSecret(value, kind, `a credential a server sent (redacted as ${kind})`)
  }

  redactString(text: string, depth = 0): string {
    if (text.length < 6) return text
    let out = this.replaceKnown(text)
    // Shapes. PEM first: it must see the block whole, before anything replaces a piece of it.
    // Each rule with a literal trigger is skipped when the text does not contain it (cheap on long bodies).
    if (out.includes('-----BEGIN')) out = replacePem(out, this.replace)
    if (out.includes('LS0tLS1CRUdJTi')) out = out.replace(BASE64_PEM_RE, (m) => this.replace('private-key', m))
    if (out.includes('Private-Lines:'))
      out = out.replace(PUTTY_RE, (_m, head: string, body: string) => `${head}${this.replace('private-key', body)}`)
    for (const {re, kind} of this.patterns) out = replaceCustom(out, re, (v) => this.replace(kind, v))
    if (out.includes('eyJ')) out = out.replace(JWT_RE, (m) => this.replace('jwt', m))
    if (out.includes('AKIA') || out.includes('ASIA')) out = replaceAwsSecrets(out, this.replace) // before the key id it stands next to is replaced
    out = replaceTokenShapes(out, this.replace)
    if (out.includes('://'))
      out = out.replace(USERINFO_RE, (m, user: string, pass: string) =>
        pass.startsWith('‹redacted') ? m : `://${user}:${this.replace('password', pass)}@`,
      )
    // Structure: values under credential names, in whatever syntax carries them; random runs after credential words.
    out = redactAssignments(out, this.replace, {extra: this.extraNames, stems: this.stems})
    out = redactFragments(out, this.replace, {extra: this.extraNames})
    if (depth === 0 && PERCENT_STRUCTURE.test(out)) out = this.redactPercentEncoded(out)
    if (out.includes('earer'))
      out = out.replace(BEARER_RE, (m, prefix: string, value: string) =>
        !isRedactableValue(value) || !looksLikeCredential(value) ? m : `${prefix}${this.replace('credential', value)}`,
      )
    if (out.includes('asic')) out = replaceBasicCredentials(out, this.replace)
    if (this.options.redactEmails && out.includes('@')) out = out.replace(EMAIL_RE, (m) => this.replace('email', m))
    return out
  }

  /**
   * Structure that arrives percent-encoded (`?payload=%7B%22password%22%3A%22…%22%7D`, a
   * form-encoded env dump): each encoded run is decoded, redacted, and encoded again around the
   * markers, which stay readable.
   */
  private redactPercentEncoded(text: string): string {
    return text.replace(PERCENT_RUN, (run) => {
      let decoded: string
      try {
        decoded = decodeURIComponent(run.replace(/\+/g, ' '))
      } catch {
        return run
      }
      const redacted = this.redactString(decoded, 1)
      if (redacted === decoded) return run
      return redacted
        .split(/(‹redacted:[^›]*›)/)
        .map((part, i) => (i % 2 === 1 ? part : encodeURIComponent(part)))
        .join('')
    })
  }

  /**
   * Known values, in one pass each: first whole base64 runs that carry one at some offset
   * (replacing an aligned piece inside one would leave the rest readable), then every
   * registered form. Both searches are a single alternation, however many secrets there are.
   */
  private replaceKnown(text: string): string {
    if (this.secrets.size === 0) return text
    if (!this.knownRe) {
      const escaped = (values: Iterable<string>) =>
        [...values]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join('|')
      this.embeddedRe = new RegExp(escaped(this.embedded.keys()), 'g')
      this.knownRe = new RegExp(escaped(this.secrets.keys()), 'g')
    }
    let out = text
    const embeddedRe = this.embeddedRe!
    embeddedRe.lastIndex = 0
    if (embeddedRe.test(out)) {
      embeddedRe.lastIndex = 0
      let result = ''
      let last = 0
      for (let m = embeddedRe.exec(out); m; m = embeddedRe.exec(out)) {
        let start = m.index
        let end = m.index + m[0].length
        while (start > last && BASE64_CHAR.test(out[start - 1]!)) start--
        while (end < out.length && BASE64_CHAR.test(out[end]!)) end++
        while (out[end] === '=') end++
        const origin = this.embedded.get(m[0])!
        result += out.slice(last, start) + this.replace(origin.kind, origin.value)
        last = end
        embeddedRe.lastIndex = end
      }
      out = result + out.slice(last)
    }
    return out.replace(this.knownRe!, (m) => {
      const origin = this.secrets.get(m)!
      return this.replace(origin.kind, origin.value)
    })
  }

  /**
   * A body as a server sent it, redacted before anything reads it. JSON and YAML documents are
   * parsed first to learn the secrets their structure reveals (each is then replaced wherever
   * it appears, here and in everything recorded later); then the text goes through redactString.
   */
  redactBody(text: string, contentType = ''): string {
    if (text.length <= MAX_STRUCTURED_BODY) {
      const learnt = this.learnFromDocument(text, contentType)
      if (learnt.length > 0) text = replaceLearnt(text, learnt, this.replace)
    }
    return this.redactString(text)
  }

  /**
   * Secrets a parsed JSON or YAML document reveals by structure alone (a sibling or a parent
   * says so). The long ones become known values; the rest (short, or shaped like a name) are
   * returned to be replaced in this body only. The document is parsed only when it has one
   * of those structures, so a large ordinary body costs a substring search.
   */
  private learnFromDocument(text: string, contentType: string): string[] {
    if (!STRUCTURE_HINT.test(text)) return []
    const trimmed = text.trimStart()
    let doc: unknown
    if (/json/i.test(contentType) || trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        doc = JSON.parse(text)
      } catch {
        return []
      }
    } else if (/yaml|yml/i.test(contentType) || /^(?:---|apiVersion:|kind:)/.test(trimmed)) {
      try {
        doc = loadYaml().parse(text, {maxAliasCount: 100, prettyErrors: false, uniqueKeys: false, strict: false})
      } catch {
        return []
      }
    } else {
      return []
    }
    const {values} = secretLeaves(doc, {extra: this.extraNames, broad: true})
    const positional: string[] = []
    for (const v of values) {
      if (v.length >= 8 && !isNameLike(v)) this.learn(v, 'secret')
      else positional.push(v)
    }
    return positional
  }

  /** A header value, with the header name deciding how much survives (auth scheme, cookie name and attributes). */
  redactHeader(name: string, value: string): string {
    const lower = name.toLowerCase()
    if (HEADER_KEEPS_SCHEME.has(lower)) {
      const m = /^(\S+)\s+(.+)$/.exec(value)
      return m ? `${m[1]} ${this.replace('credential', m[2]!)}` : this.replace('credential', value)
    }
    if (lower === 'set-cookie') {
      const [pair, ...attrs] = value.split(';')
      const eq = pair!.indexOf('=')
      const cookieName = eq >= 0 ? pair!.slice(0, eq) : pair!
      const v = eq >= 0 ? pair!.slice(eq + 1) : ''
      return [`${cookieName}=${v ? this.replace('cookie', v) : ''}`, ...attrs.map((a) => this.redactString(a))].join(
        ';',
      )
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
    if (this.isSecretName(lower) && isRedactableValue(value))
      return redactCredentialValue(lower, value, this.replace, 'credential')
    // An authentication challenge or its answer: any random-looking run in it is taken for a credential.
    if (CHALLENGE_HEADERS.has(lower)) return replaceRandomRuns(this.redactString(value), this.replace)
    return this.redactString(value)
  }

  redactHeaders<T extends string | string[]>(headers: Record<string, T>): Record<string, T> {
    const out: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(headers)) {
      out[k] = Array.isArray(v) ? v.map((x) => this.redactHeader(k, x)) : this.redactHeader(k, v)
    }
    return out as Record<string, T>
  }

  /**
   * redactDeep until nothing new is learnt: a value learnt late in one pass (in the results) may
   * already have been passed over earlier in it (in the config), so the pass repeats, at most thrice.
   */
  redactAll<T>(value: T): T {
    let out = value
    for (let i = 0; i < 3; i++) {
      const before = this.generation
      out = this.redactDeep(out)
      if (this.generation === before) break
    }
    return out
  }

  /** Deep copy with every string redacted; object keys named like credentials have their values replaced. */
  redactDeep<T>(value: T, keyName?: string): T {
    if (typeof value === 'string') {
      const shown = this.redactString(value)
      // A credential-named field is replaced too, keeping what is not secret: an auth scheme, cookie
      // names and attributes (a recorded Set-Cookie keeps them around its value's marker).
      if (keyName && this.isSecretName(keyName) && isRedactableValue(shown))
        return redactCredentialValue(keyName, shown, this.replace) as T
      return shown as T
    }
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v, keyName)) as T
    if (value && typeof value === 'object') {
      const {values, marks} = secretLeaves(value, {extra: this.extraNames})
      for (const v of values) if (v.length >= 8 && !isNameLike(v)) this.learn(v, 'secret')
      return this.redactTree(value, marks) as T
    }
    return value
  }

  /** redactDeep below the top: leaves that secretLeaves marked are replaced where they sit. */
  private redactTree(value: unknown, marks: Map<object, Set<string>>, keyName?: string): unknown {
    if (Array.isArray(value)) {
      const marked = marks.get(value)
      return value.map((v, i) =>
        marked?.has(String(i)) && typeof v === 'string'
          ? this.replace('secret', v)
          : this.redactTree(v, marks, keyName),
      )
    }
    if (value && typeof value === 'object') {
      const marked = marks.get(value)
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) {
        if (marked?.has(k) && typeof v === 'string') out[k] = this.replace('secret', v)
        else if (k.toLowerCase() === 'headers' && v && typeof v === 'object' && !Array.isArray(v))
          out[k] = this.redactHeaders(v as Record<string, string>)
        else out[k] = this.redactTree(v, marks, k)
      }
      return out
    }
    return this.redactDeep(value, keyName)
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
    return [...this.counts.entries()]
      .map(([kind, count]) => ({kind, count}))
      .sort((a, b) => a.kind.localeCompare(b.kind))
  }
}

/** The YAML parser, loaded the first time a YAML body arrives (commands start without it). */
let yamlModule: typeof import('yaml') | undefined
const loadYaml = () => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'))

const HEADER_KEEPS_SCHEME = new Set(['authorization', 'proxy-authorization'])
const CHALLENGE_HEADERS = new Set([
  'www-authenticate',
  'proxy-authenticate',
  'authentication-info',
  'proxy-authentication-info',
])

/**
 * A value that is itself a credential name ("refresh_token" in a list of grant types) is never
 * learnt: replacing it everywhere would hide the names the structure rules look for.
 */
function isNameLike(value: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(value) && isCredentialName(value)
}

/** Learnt values replaced where they stand as whole tokens (not inside a longer word). */
function replaceLearnt(text: string, values: string[], replace: (kind: string, value: string) => string): string {
  let out = text
  // Very short values ("1", "ok") would shred the text around them.
  for (const v of values.filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) {
    const forms = new Set([v, JSON.stringify(v).slice(1, -1)])
    for (const form of forms) {
      if (!out.includes(form)) continue
      out = out.replace(new RegExp(`(?<![A-Za-z0-9+/_-])${escapeRegExp(form)}(?![A-Za-z0-9+/_-])`, 'g'), () =>
        replace('secret', v),
      )
    }
  }
  return out
}

/** Compile a `redact.patterns` entry; the config loader calls this to reject a bad one with its key path. */
export function compilePattern(p: RedactPattern): RegExp {
  const flags = [...new Set(`${p.flags ?? ''}g`)].join('')
  const re = new RegExp(p.pattern, flags)
  if (new RegExp(p.pattern, flags.replace('g', '')).test(''))
    throw new Error('it matches the empty string, which would replace nothing useful and everything around it')
  return re
}

/** Replace what a custom pattern matches: its named group "secret", else its first group, else the whole match. */
function replaceCustom(text: string, re: RegExp, replace: (value: string) => string): string {
  re.lastIndex = 0
  return text.replace(re, (...args) => {
    const match = args[0] as string
    const groups =
      typeof args[args.length - 1] === 'object'
        ? (args[args.length - 1] as Record<string, string | undefined>)
        : undefined
    const group = groups?.secret ?? (typeof args[1] === 'string' ? args[1] : undefined)
    if (!group || !isRedactableValue(group)) return isRedactableValue(match) && !group ? replace(match) : match
    const at = match.indexOf(group)
    return `${match.slice(0, at)}${replace(group)}${match.slice(at + group.length)}`
  })
}

/**
 * A secret value and the pieces that can travel alone: the credential after an auth scheme
 * ("Bearer abc" -> "abc"), each value of a cookie string ("a=1; b=2" -> "1", "2"), and the
 * user:password inside Basic credentials. A server echoing just the piece must not leak it.
 */
export function credentialParts(value: string): string[] {
  const parts = [value]
  const scheme = /^\s*(?:bearer|basic|token|bot|digest|apikey|dpop|ssws)\s+(\S+)\s*$/i.exec(value)
  if (scheme) {
    parts.push(scheme[1]!)
    if (/^\s*basic/i.test(value)) {
      const decoded = Buffer.from(scheme[1]!, 'base64').toString('utf8')
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

/** A key or env var name that signals a credential (for config interpolation and tests). */
export function isSecretName(name: string): boolean {
  return isSecretEnvName(name)
}
