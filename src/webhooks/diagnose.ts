import {timingSafeEqual} from 'node:crypto'
import {fingerprint} from '../redact/redactor.js'
import {
  hmacDigest,
  normalizeHeaders,
  parseSignatureHeaders,
  type ParsedSignature,
  SCHEMES,
  schemeFormat,
  schemeInfo,
  secretKey,
  type WebhookScheme,
} from './schemes.js'

export type DeliveryProblem =
  | 'header-missing'
  | 'header-malformed'
  | 'scheme-version'
  | 'timestamp-outside-tolerance'
  | 'body-reserialized'
  | 'secret-whitespace'
  | 'secret-encoding'
  | 'signature-encoding'
  | 'secret-mismatch'
  | 'ed25519-unsupported'

export interface DeliveryVerdict {
  ok: boolean
  /** The problem when not ok; undefined when ok (a later signature matching, i.e. a rotation, is reported in notes). */
  problem?: DeliveryProblem
  /** One precise paragraph: what is wrong and what doctor tried. Never contains the secret or a full signature. */
  message: string
  /** Knowledge-base reference (entry#cause). */
  kb?: string
  /** e.g. {skewSeconds: -412, toleranceSeconds: 300, matchedVariant: 'compact JSON', signatureIndex: 1} */
  details: Record<string, unknown>
  notes: string[]
}

export interface DeliveryInput {
  scheme: WebhookScheme
  secret: string
  body: Buffer | string
  /** Any case; repeated values as arrays. */
  headers: Record<string, string | string[] | undefined>
  /** When the receiver verified (or would verify) the delivery, epoch seconds. */
  now: number
  /** Overrides the scheme's default replay window; 0 or less disables the timestamp check. */
  toleranceSeconds?: number
}

const SIG = 'webhook-signature-invalid'
const TS = 'webhook-timestamp-outside-tolerance'
const KB_HEADER = `${SIG}#header-missing-or-malformed`
const KB_ENCODING = `${SIG}#secret-or-signature-encoding`
export const KB_ROTATION = `${SIG}#rotation-multiple-signatures`

/** What the provider's own verifier library reports for each failure, so users can match their logs. */
type LibCase = 'missing' | 'malformed' | 'version' | 'stale' | 'future' | 'mismatch'
const STANDARD_ERRORS: Partial<Record<LibCase, string>> = {
  missing: 'Missing required headers',
  malformed: 'Invalid Signature Headers',
  version: 'No matching signature found',
  stale: 'Message timestamp too old',
  future: 'Message timestamp too new',
  mismatch: 'No matching signature found',
}
const LIB_ERRORS: Partial<Record<WebhookScheme, Partial<Record<LibCase, string>>>> = {
  stripe: {
    missing: 'No stripe-signature header value was provided.',
    malformed: 'Unable to extract timestamp and signatures from header',
    version: 'No signatures found with expected scheme',
    stale: 'Timestamp outside the tolerance zone',
    mismatch:
      'No signatures found matching the expected signature for payload. Are you passing the raw request body you received from Stripe?',
  },
  standard: STANDARD_ERRORS,
  svix: STANDARD_ERRORS,
  slack: {
    stale: 'Failed to verify authenticity: stale',
    version: 'Failed to verify authenticity: unknown signature version',
    mismatch: 'Failed to verify authenticity: signature mismatch',
  },
  paddle: {malformed: '[Paddle] Invalid webhook signature'},
}

const KNOWN_PREFIXES = [
  'whsec_',
  'whsk_',
  'whpk_',
  'sk_test_',
  'sk_live_',
  'rk_test_',
  'rk_live_',
  'pk_test_',
  'pk_live_',
  'pdl_ntfset_',
  'shpss_',
  'xoxb-',
  'xoxp-',
]

interface SecretDescription {
  prefix: string
  length: number
  fingerprint: string
}

/** A secret as prefix + length + fingerprint: enough to tell two secrets apart, never enough to use one. */
export function describeSecret(secret: string): SecretDescription {
  return {
    prefix: KNOWN_PREFIXES.find((p) => secret.startsWith(p)) ?? '',
    length: secret.length,
    fingerprint: fingerprint(secret),
  }
}

function secretText(secret: string): string {
  const d = describeSecret(secret)
  return `${d.prefix ? `${d.prefix}…` : 'secret'} (${d.length} chars, fingerprint ${d.fingerprint})`
}

/** The first 8 characters of a signature value, never the whole. */
function abbrev(value: string): string {
  return value.length >= 16 ? `${value.slice(0, 8)}…` : '…'
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}

function list(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
}

interface Variant {
  label: string
  /** The key to sign with (default: the correct key). */
  key?: Buffer
  /** The body to sign (default: the captured body). */
  body?: Buffer
  /** How the header value would be written (default: the scheme's encoding). */
  encode?: (digest: Buffer) => string
  /** For secret variants: a plain-language description of the difference. */
  what?: string
  /** For secret-whitespace: the signer (not the receiver) has the extra characters. */
  signerSide?: boolean
}

interface Context {
  scheme: WebhookScheme
  name: string
  library: string
  version: string
  encoding: 'hex' | 'base64'
  secret: string
  body: Buffer
  parsed: ParsedSignature
  /** Indices (into parsed.signatures) of signatures with the version the verifier checks. */
  candidates: number[]
  details: Record<string, unknown>
  notes: string[]
}

export function verifyDelivery(input: DeliveryInput): DeliveryVerdict {
  const {scheme} = input
  const info = schemeInfo(scheme)
  const format = schemeFormat(scheme)
  const headers = normalizeHeaders(input.headers)
  const body = Buffer.isBuffer(input.body) ? input.body : Buffer.from(input.body, 'utf8')
  const parsed = parseSignatureHeaders(scheme, headers)
  const details: Record<string, unknown> = {scheme, secret: describeSecret(input.secret), bodyBytes: body.length}
  const notes: string[] = []
  const lib = LIB_ERRORS[scheme] ?? {}
  const fail = (problem: DeliveryProblem, message: string, kb: string, libCase?: LibCase): DeliveryVerdict => {
    const libraryError = libCase ? lib[libCase] : undefined
    if (libraryError) details.libraryError = libraryError
    return {ok: false, problem, message, kb, details, notes}
  }

  if (parsed.source && parsed.source[0] !== `${scheme === 'svix' ? 'svix' : 'webhook'}-id`) {
    notes.push(
      `The delivery carries the unbranded ${list(parsed.source)} headers rather than svix-*: the svix library falls back to them, but a verifier that reads svix-* by hand finds nothing.`,
    )
  }

  // 1. Headers: present, parsable, with a version the verifier checks.
  if (parsed.missing?.length) {
    details.missingHeaders = parsed.missing
    details.presentHeaders = Object.keys(headers)
    const want = info.headers.filter((h) => scheme !== 'github' || h === 'x-hub-signature-256')
    let hint = ''
    const family = scheme === 'standard' ? 'svix' : scheme === 'svix' ? 'webhook' : undefined
    const familyHeaders = family
      ? [`${family}-id`, `${family}-timestamp`, `${family}-signature`].filter((n) => headers[n])
      : []
    if (scheme === 'standard' && familyHeaders.length) {
      hint = ` It carries ${list(familyHeaders)} instead: Svix sends the same Standard Webhooks scheme under svix-* names, and the standardwebhooks library reads only webhook-*. Verify it as scheme svix (the svix library reads both names), or copy the svix-* values into webhook-* before verifying.`
    } else if (scheme === 'svix' && familyHeaders.length) {
      hint = ` It carries ${list(familyHeaders)} as well: Svix and Standard Webhooks use the same scheme under different names; a delivery needs a complete set of one or the other.`
    }
    const sameFamily = (s: WebhookScheme) =>
      s === scheme || (family !== undefined && (s === 'svix' || s === 'standard'))
    const others = SCHEMES.filter((s) => !sameFamily(s) && headers[schemeFormat(s).signatureHeader] !== undefined)
    if (others.length)
      hint += ` It does carry ${list(others.map((s) => schemeFormat(s).signatureHeader))}, which ${others.length === 1 ? 'is' : 'are'} ${list(others.map((s) => schemeInfo(s).name))}'s: is the receiver configured for the wrong provider?`
    if (!hint)
      hint =
        ' A proxy or gateway may be dropping it, the request may not have come from the provider (a health check, scanner or manual test), or the capture left it out.'
    const message = `The delivery has no ${list(parsed.missing)} header${parsed.missing.length === 1 ? '' : 's'}: ${info.name} signs with ${list(want)}, so no signature can be checked.${hint}`
    return fail('header-missing', message, KB_HEADER, 'missing')
  }
  if (parsed.error) {
    const shape = Object.fromEntries(
      info.headers.filter((h) => headers[h] !== undefined).map((h) => [h, headerShape(headers[h])]),
    )
    details.headerShape = shape
    const message = `The ${info.name} signature header is garbled: ${parsed.error}. doctor sees ${Object.entries(shape)
      .map(([k, v]) => `${k}: ${v}`)
      .join(
        '; ',
      )} (long values abbreviated). It was probably rewritten or truncated on the way, or set by code other than the provider's.`
    return fail('header-malformed', message, KB_HEADER, 'malformed')
  }
  const candidates = parsed.signatures.map((s, i) => (s.version === format.version ? i : -1)).filter((i) => i >= 0)
  details.signatures = parsed.signatures.map(
    (s) => `${s.version}${scheme === 'standard' || scheme === 'svix' ? ',' : '='}${abbrev(s.value)}`,
  )
  if (candidates.length === 0) {
    const versions = [...new Set(parsed.signatures.map((s) => s.version))]
    details.versions = versions
    if ((scheme === 'standard' || scheme === 'svix') && versions.includes('v1a')) {
      const message = `The ${format.signatureHeader} header carries only v1a signatures: v1a is Standard Webhooks' asymmetric (ed25519) scheme, verified with the sender's public key (whpk_…), not with an HMAC secret. doctor cannot check it offline with a shared secret; verify it with the standardwebhooks or svix library and the public key, or configure the endpoint for v1 (HMAC-SHA256) signatures.`
      return fail('ed25519-unsupported', message, KB_HEADER, 'version')
    }
    let extra = ''
    if (scheme === 'stripe' && versions.includes('v0'))
      extra = ' v0 is a legacy Stripe test scheme that verifiers ignore.'
    if (scheme === 'github' && versions.includes('sha1')) {
      const sha1 = hmacDigest('github', secretKey('github', input.secret), body, {}, 'sha1').toString('hex')
      const matches = parsed.signatures.some((s) => s.version === 'sha1' && safeEqual(s.value, sha1))
      details.legacySha1Matches = matches
      extra = ` Only the legacy SHA-1 X-Hub-Signature header is present (it ${matches ? 'does' : 'does not'} match this body and secret); GitHub sends X-Hub-Signature-256 alongside it, so something dropped that header on the way.`
    }
    const message = `The ${info.name} signature header carries only ${list(versions.map((v) => `"${v}"`))} signature${parsed.signatures.length === 1 ? '' : 's'}, but verifiers check "${format.version}" ones, so none is even compared.${extra}`
    return fail('scheme-version', message, KB_HEADER, 'version')
  }

  const ctx: Context = {
    scheme,
    name: info.name,
    library: format.library,
    version: format.version,
    encoding: format.encoding,
    secret: input.secret,
    body,
    parsed,
    candidates,
    details,
    notes,
  }
  const tolerance =
    info.defaultToleranceSeconds === undefined ? undefined : (input.toleranceSeconds ?? info.defaultToleranceSeconds)
  const time =
    parsed.timestamp !== undefined && tolerance !== undefined
      ? timing(scheme, Number(parsed.timestamp), Math.floor(input.now), tolerance)
      : undefined
  if (time) Object.assign(details, {skewSeconds: time.skew, toleranceSeconds: tolerance})
  if (time && Number(parsed.timestamp) > 1e12)
    notes.push('The timestamp has 13 digits: it looks like milliseconds, where the scheme expects seconds.')

  // 2. The exact check: the correct key, the raw body, every signature.
  const key = secretKey(scheme, input.secret)
  const exact = match(ctx, {label: 'exact'})
  if (exact !== undefined) {
    details.signatureIndex = exact
    if (exact !== candidates[0]) {
      details.kb = KB_ROTATION
      notes.push(
        `The matching signature is number ${candidates.indexOf(exact) + 1} of ${candidates.length} in the header (the provider signs with several secrets during a rotation): a verifier that checks only the first signature rejects this delivery; accept it if any one matches.`,
      )
    } else if (scheme === 'paddle' && candidates.length > 1 && exact !== candidates[candidates.length - 1]) {
      details.kb = KB_ROTATION
      notes.push(
        `The header carries ${candidates.length} h1 signatures and the first one matches: the Paddle Node SDK keeps only the last h1 it finds, so it rejects this delivery; check every h1.`,
      )
    }
    if (time?.outside) {
      const kb =
        time.skew > 0
          ? `${TS}#receiver-clock-skew`
          : -time.skew > 3600
            ? `${TS}#delayed-or-replayed-delivery`
            : `${TS}#receiver-clock-skew`
      details.direction = time.skew > 0 ? 'future' : 'past'
      const libError = time.skew > 0 ? lib.future : lib.stale
      const message =
        time.skew < 0
          ? `The signature is valid, but the timestamp is ${-time.skew} s in the past, tolerance ${tolerance} s (${info.name}'s verifier rejects older deliveries): the receiver's clock is ahead of the provider's, or the delivery reached verification late (queued, retried from your own store, or replayed).${libError ? ` ${format.library} fails with "${libError}".` : ''} Compare clocks with \`doctor run clock-skew\`; resend the event from the provider rather than replaying a stored request.`
          : `The signature is valid, but the timestamp is ${time.skew} s in the future, tolerance ${tolerance} s (${info.name}'s verifier rejects timestamps ahead of its clock too): the receiver's clock is behind the provider's.${libError ? ` ${format.library} fails with "${libError}".` : ''} Compare clocks with \`doctor run clock-skew\` and enable time synchronisation on the receiver host.`
      return fail('timestamp-outside-tolerance', message, kb, time.skew > 0 ? 'future' : 'stale')
    }
    if (time?.futureIgnored)
      notes.push(
        `The timestamp is ${time.skew} s in the future (more than the ${tolerance} s tolerance); ${format.library} accepts future timestamps, but the receiver's clock is behind the provider's: compare clocks with \`doctor run clock-skew\`.`,
      )
    const when = time
      ? time.disabled
        ? '; the timestamp check is disabled (tolerance 0)'
        : `, and the timestamp is ${time.skew <= 0 ? `${-time.skew} s old` : `${time.skew} s ahead`}, within the ${tolerance} s tolerance`
      : ''
    return {
      ok: true,
      message: `Signature ${candidates.indexOf(exact) + 1} of ${candidates.length} (${format.version}) matches the raw body (${body.length} bytes) with the ${secretText(input.secret)}${when}.`,
      details,
      notes,
    }
  }

  // 3. No match: find out what would have matched.
  if (time?.outside)
    notes.push(
      `Independently, the timestamp is ${Math.abs(time.skew)} s in the ${time.skew < 0 ? 'past' : 'future'} (tolerance ${tolerance} s): even a matching signature would be rejected${lib.stale ? `, and ${format.library} reports that first` : ''}.`,
    )
  const tried: string[] = []
  details.tried = tried
  details.expectedSignature = abbrev(hmacDigest(scheme, key, body, parts(parsed)).toString(format.encoding))
  const run = (variants: Variant[]): Variant | undefined => {
    for (const v of variants) {
      tried.push(v.label)
      const i = match(ctx, v)
      if (i !== undefined) {
        details.matchedVariant = v.label
        details.signatureIndex = i
        return v
      }
    }
    return undefined
  }
  const given = secretText(input.secret)

  const wsVariants = whitespaceVariants(scheme, input.secret)
  const whitespaceN = wsVariants.length
  const ws = run(wsVariants)
  if (ws) {
    const message = ws.signerSide
      ? `No signature matches with the ${given}, but one matches once ${ws.what} is added to it: the sender signs with a copy of the secret that carries ${ws.what}. Trim the secret where the sender loads it (env file, Kubernetes secret created with \`echo\` instead of \`echo -n\`).`
      : `No signature matches with the ${given}, but one matches once ${ws.what} is removed from it: the receiver's copy of the secret carries ${ws.what} (typical of a value pasted into an env file or a Kubernetes secret created with \`echo\` instead of \`echo -n\`). Trim it where the receiver loads it.`
    return fail('secret-whitespace', message, `${SIG}#secret-whitespace`, 'mismatch')
  }

  const encVariants = encodingVariants(scheme, input.secret, key)
  const encodingN = encVariants.length
  const enc = run(encVariants)
  if (enc) {
    const correct =
      scheme === 'standard' || scheme === 'svix'
        ? `${info.name} verifiers strip whsec_ and base64-decode the rest`
        : `${info.name} verifiers use the whole secret${input.secret.startsWith('whsec_') ? ', whsec_ included,' : ''} as UTF-8 text`
    const message = `No signature matches with the ${given} used the way ${info.name} uses it, but one matches when ${enc.what}: the sender and receiver disagree on the secret's encoding. ${correct}; fix the side that does otherwise (usually a hand-written signer or verifier).`
    return fail('secret-encoding', message, KB_ENCODING, 'mismatch')
  }

  const sigVariants = signatureEncodingVariants(format.encoding)
  const sigEncN = sigVariants.length
  const sigEnc = run(sigVariants)
  if (sigEnc) {
    const message = `The header carries the right HMAC for this body and secret, but written as ${sigEnc.what} where ${info.name} writes ${format.encoding === 'hex' ? 'lower-case hex' : 'base64'}: a string comparison fails. The signer encodes the digest differently from what verifiers expect; make it write ${format.encoding === 'hex' ? 'hex' : 'standard base64'}.`
    return fail('signature-encoding', message, KB_ENCODING, 'mismatch')
  }

  const bVariants = bodyVariants(body)
  const bodyN = bVariants.length
  const bodyVariant = run(bVariants)
  if (bodyVariant) {
    const signedBytes = bodyVariant.body?.length ?? 0
    details.signedBodyBytes = signedBytes
    const message = `No signature matches the captured body (${body.length} bytes), but one matches the same content as ${bodyVariant.label} (${signedBytes} bytes): the bytes you captured are not the bytes that were signed. Something between the provider and the verifier (a proxy, a body-parsing middleware, or code that verifies JSON.stringify(req.body)) parsed and re-serialised the body. Verify against the raw request bytes (for example express.raw({type: 'application/json'})) and let nothing rewrite the body on the way.`
    return fail('body-reserialized', message, `${SIG}#body-reserialized`, 'mismatch')
  }

  const hint = secretHints(scheme, input.secret)
  notes.push(...hint)
  const sigs =
    candidates.length === 1
      ? `The ${format.version} signature in the header does not match`
      : `None of the ${candidates.length} ${format.version} signatures in the header matches`
  const kinds = [
    ['whitespace', whitespaceN],
    ['secret-encoding', encodingN],
    ['signature-encoding', sigEncN],
    ['body', bodyN],
  ]
    .filter(([, n]) => Number(n) > 0)
    .map(([k, n]) => `${n} ${k}`)
  const message = `${sigs} this body (${body.length} bytes) with the ${given}, and no variant does either (doctor also tried ${kinds.length ? `${list(kinds)} variant${tried.length === 1 ? '' : 's'}` : 'no variants'}, listed in details.tried): the receiver has another secret than the one the provider signs with — test vs live mode, another endpoint's secret, or a secret rotated at the provider.${scheme === 'stripe' ? " The Stripe CLI (`stripe listen`) prints its own whsec_ secret, different from the dashboard endpoint's." : ''}`
  return fail('secret-mismatch', message, `${SIG}#wrong-secret`, 'mismatch')
}

function parts(parsed: ParsedSignature): {timestamp?: string; id?: string} {
  return {timestamp: parsed.timestamp, id: parsed.id}
}

/** The index (into parsed.signatures) of the first candidate signature that equals what the variant produces. */
function match(ctx: Context, v: Variant): number | undefined {
  const key = v.key ?? secretKey(ctx.scheme, ctx.secret)
  const digest = hmacDigest(ctx.scheme, key, v.body ?? ctx.body, parts(ctx.parsed))
  const expected = v.encode ? v.encode(digest) : digest.toString(ctx.encoding)
  return ctx.candidates.find((i) => safeEqual(ctx.parsed.signatures[i].value, expected))
}

interface Timing {
  /** timestamp - now: negative = in the past. */
  skew: number
  outside: boolean
  futureIgnored: boolean
  disabled: boolean
}

function timing(scheme: WebhookScheme, timestamp: number, now: number, tolerance: number): Timing {
  const skew = timestamp - now
  if (!(tolerance > 0)) return {skew, outside: false, futureIgnored: false, disabled: true}
  const both = schemeFormat(scheme).rejects === 'both'
  const stale = -skew > tolerance
  const future = skew > tolerance
  return {skew, outside: stale || (both && future), futureIgnored: !both && future, disabled: false}
}

/** Abbreviate every long token so a header's shape shows without its values. */
function headerShape(value: string | undefined): string {
  return (value ?? '').slice(0, 200).replace(/[A-Za-z0-9+/_-]{12,}={0,2}/g, (t) => `<${t.length} chars>`)
}

function whitespaceVariants(scheme: WebhookScheme, secret: string): Variant[] {
  const out: Variant[] = []
  let s = secret
  const removed: string[] = []
  for (let i = 0; i < 4; i++) {
    const before = s
    const trimmed = s.trim()
    if (trimmed !== s) {
      const tail = s.slice(s.trimEnd().length)
      removed.push(
        /\n/.test(tail)
          ? 'a trailing newline'
          : /\s/.test(s[0] ?? '')
            ? 'surrounding whitespace'
            : 'trailing whitespace',
      )
      s = trimmed
    }
    const q = /^(["'])(.*)\1$/s.exec(s)
    if (q) {
      removed.push('surrounding quotes')
      s = q[2]
    }
    if (/\\n$/.test(s)) {
      removed.push('a literal "\\n"')
      s = s.slice(0, -2)
    }
    if (s === before) break
  }
  if (s !== secret && s.length > 0 && !secretKey(scheme, s).equals(secretKey(scheme, secret)))
    out.push({
      label: `secret without ${list([...new Set(removed)])}`,
      key: secretKey(scheme, s),
      what: list([...new Set(removed)]),
    })
  if (!/\s$/.test(secret) && !secretKey(scheme, `${secret}\n`).equals(secretKey(scheme, secret)))
    out.push({
      label: 'secret with a trailing newline added (signer side)',
      key: secretKey(scheme, `${secret}\n`),
      what: 'a trailing newline',
      signerSide: true,
    })
  return out
}

function encodingVariants(scheme: WebhookScheme, secret: string, correct: Buffer): Variant[] {
  const out: Variant[] = []
  const stripped = secret.startsWith('whsec_') ? secret.slice(6) : secret
  const add = (v: Variant) => {
    if (v.key && v.key.length > 0 && !v.key.equals(correct) && !out.some((o) => o.key?.equals(v.key as Buffer)))
      out.push(v)
  }
  if (scheme === 'standard' || scheme === 'svix') {
    add({
      label: 'secret used as UTF-8 text (not base64-decoded)',
      key: Buffer.from(secret, 'utf8'),
      what: `the secret is used as UTF-8 text${stripped !== secret ? ', whsec_ included,' : ''} instead of base64-decoding it`,
    })
    if (stripped !== secret) {
      add({
        label: 'secret without whsec_ used as UTF-8 text',
        key: Buffer.from(stripped, 'utf8'),
        what: 'the part after whsec_ is used as UTF-8 text instead of base64-decoding it',
      })
      add({
        label: 'secret base64-decoded without stripping whsec_',
        key: Buffer.from(secret, 'base64'),
        what: 'the whole secret, whsec_ included, is base64-decoded',
      })
    }
  } else {
    if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(stripped))
      add({
        label: `secret base64-decoded${stripped !== secret ? ' after stripping whsec_' : ''}`,
        key: Buffer.from(stripped, 'base64'),
        what: `the secret is base64-decoded${stripped !== secret ? ' after removing whsec_ (as Standard Webhooks does)' : ''} instead of being used as UTF-8 text`,
      })
    if (/^(?:[0-9a-fA-F]{2})+$/.test(stripped))
      add({
        label: 'secret hex-decoded',
        key: Buffer.from(stripped, 'hex'),
        what: 'the secret is hex-decoded instead of being used as UTF-8 text',
      })
  }
  return out
}

function signatureEncodingVariants(encoding: 'hex' | 'base64'): Variant[] {
  return encoding === 'hex'
    ? [
        {label: 'signature written as base64', encode: (d) => d.toString('base64'), what: 'base64'},
        {label: 'signature written as base64url', encode: (d) => d.toString('base64url'), what: 'base64url'},
        {
          label: 'signature written as upper-case hex',
          encode: (d) => d.toString('hex').toUpperCase(),
          what: 'upper-case hex',
        },
      ]
    : [
        {label: 'signature written as hex', encode: (d) => d.toString('hex'), what: 'hex'},
        {label: 'signature written as base64url', encode: (d) => d.toString('base64url'), what: 'base64url'},
      ]
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    )
  return v
}

function asciiEscape(json: string): string {
  return json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Python's json.dumps defaults: ", " and ": " separators, non-ASCII escaped. */
function pythonDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonDumps).join(', ')}]`
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${asciiEscape(JSON.stringify(k))}: ${pythonDumps(x)}`)
      .join(', ')}}`
  return asciiEscape(JSON.stringify(v) ?? 'null')
}

/** Re-serialisations and line-ending changes a proxy, framework or capture tool commonly applies. */
function bodyVariants(body: Buffer): Variant[] {
  const text = body.toString('utf8')
  const candidates: Array<[string, string]> = []
  let json: unknown
  let isJson = false
  if (/^\s*[[{]/.test(text)) {
    try {
      json = JSON.parse(text)
      isJson = true
    } catch {
      isJson = false
    }
  }
  if (isJson) {
    candidates.push(
      ['compact JSON', JSON.stringify(json)],
      ['JSON pretty-printed with 2 spaces', JSON.stringify(json, null, 2)],
      ['JSON pretty-printed with 4 spaces', JSON.stringify(json, null, 4)],
      ['compact JSON with sorted keys', JSON.stringify(sortKeys(json))],
      ['JSON as Python json.dumps writes it (", " and ": " separators, non-ASCII escaped)', pythonDumps(json)],
      ['compact JSON with non-ASCII escaped as \\uXXXX', asciiEscape(JSON.stringify(json))],
      ['JSON pretty-printed with 2 spaces and a final newline', `${JSON.stringify(json, null, 2)}\n`],
      ['JSON pretty-printed with 4 spaces and a final newline', `${JSON.stringify(json, null, 4)}\n`],
    )
  }
  if (/\r\n/.test(text))
    candidates.push(['the body with CRLF line endings turned into LF', text.replace(/\r\n/g, '\n')])
  else if (/\n/.test(text))
    candidates.push(['the body with LF line endings turned into CRLF', text.replace(/\n/g, '\r\n')])
  if (/\r?\n$/.test(text)) candidates.push(['the body without its final newline', text.replace(/\r?\n$/, '')])
  else candidates.push(['the body with a final newline added', `${text}\n`])
  if (!isJson && /^[^=&\s]+=[^&\s]*(?:&[^=&\s]+=[^&\s]*)*$/.test(text.trim())) {
    candidates.push(['form fields re-encoded (URLSearchParams)', new URLSearchParams(text.trim()).toString()])
  }
  const seen = new Set<string>([text])
  const out: Variant[] = []
  for (const [label, value] of candidates) {
    if (seen.has(value)) continue
    seen.add(value)
    out.push({label, body: Buffer.from(value, 'utf8')})
  }
  return out
}

function secretHints(scheme: WebhookScheme, secret: string): string[] {
  const notes: string[] = []
  if (/^(sk|rk|pk)_(test|live)_/.test(secret))
    notes.push(
      `The secret starts with ${describeSecret(secret).prefix}: that is a Stripe API key, not a webhook signing secret (whsec_…, shown on the endpoint's page in the dashboard).`,
    )
  if (scheme === 'stripe' && !secret.startsWith('whsec_') && !/^(sk|rk|pk)_/.test(secret))
    notes.push('Stripe webhook signing secrets start with whsec_; this one does not.')
  if (
    (scheme === 'github' || scheme === 'slack' || scheme === 'shopify' || scheme === 'paddle') &&
    secret.startsWith('whsec_')
  )
    notes.push(
      `A whsec_ secret belongs to Stripe or Standard Webhooks/Svix, not to ${schemeInfo(scheme).name}: is the receiver configured for the wrong provider?`,
    )
  return notes
}

/**
 * Parse "Name: value" lines (a captured headers.txt, curl -i or curl -v style): status/request lines
 * and blank lines are ignored; repeated headers join with ", "; names are returned lower-case. When
 * the capture holds several messages (curl -v, redirects, "100 Continue"), the request's headers win,
 * else the last response's. Lines after a header block's blank line that are not headers are a body.
 */
export function parseHeaderLines(text: string): Record<string, string> {
  interface Block {
    kind: 'plain' | 'request' | 'response'
    headers: Record<string, string>
  }
  const blocks: Block[] = [{kind: 'plain', headers: {}}]
  let block = blocks[0]
  let last: string | undefined
  let inBody = false
  let afterBlank = false
  for (const raw of text.split(/\r?\n/)) {
    if (/^\* /.test(raw) || /^\{ |^\} /.test(raw)) continue // curl -v commentary and data markers
    const line = /^[<>] /.test(raw) ? raw.slice(2) : /^[<>]$/.test(raw) ? '' : raw
    const request = /^[A-Z]+ \S+ HTTP\/\d(?:\.\d)?$/.test(line)
    if (request || /^HTTP\/[\d.]+\s/.test(line)) {
      block = {kind: request ? 'request' : 'response', headers: {}}
      blocks.push(block)
      last = undefined
      inBody = false
      afterBlank = false
      continue
    }
    if (line.trim() === '') {
      afterBlank = true
      last = undefined
      continue
    }
    if (inBody) continue
    if (/^[ \t]/.test(line) && last !== undefined) {
      block.headers[last] = `${block.headers[last]} ${line.trim()}` // obsolete line folding
      continue
    }
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*)$/.exec(line)
    if (!m) {
      if (afterBlank) inBody = true
      continue
    }
    const name = m[1].toLowerCase()
    const value = m[2].trim()
    block.headers[name] = block.headers[name] === undefined ? value : `${block.headers[name]}, ${value}`
    last = name
  }
  const found = blocks.filter((b) => Object.keys(b.headers).length > 0)
  const chosen = found.find((b) => b.kind === 'request') ?? found[found.length - 1]
  return chosen ? {...chosen.headers} : {}
}
