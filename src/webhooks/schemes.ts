import {createHmac, randomBytes} from 'node:crypto'

/**
 * How webhook providers sign deliveries. Every scheme here is HMAC-SHA256 over a scheme-specific
 * "signed content" built from the raw body (and, for most, a timestamp and an id):
 *
 * | scheme            | header(s)                                          | signed bytes          | encoding | key                        | window |
 * |-------------------|----------------------------------------------------|-----------------------|----------|----------------------------|--------|
 * | stripe            | Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]          | `${t}.${body}`        | hex      | secret as UTF-8 (whsec_ kept) | 300 s old |
 * | github            | X-Hub-Signature-256: sha256=<hex> (X-Hub-Signature: sha1=) | body           | hex      | secret as UTF-8            | none   |
 * | standard / svix   | webhook-id/-timestamp/-signature: v1,<b64> [v1,…]   | `${id}.${ts}.${body}` | base64   | whsec_ stripped, base64-decoded | ±300 s |
 * | slack             | X-Slack-Signature: v0=<hex>, X-Slack-Request-Timestamp | `v0:${ts}:${body}` | hex      | secret as UTF-8            | 300 s old |
 * | shopify           | X-Shopify-Hmac-SHA256: <b64>                        | body                  | base64   | secret as UTF-8            | none   |
 * | paddle (Billing)  | Paddle-Signature: ts=<unix>;h1=<hex>[;h1=…]         | `${ts}:${body}`       | hex      | secret as UTF-8            | 5 s old (Node SDK) |
 */
export type WebhookScheme = 'stripe' | 'github' | 'standard' | 'svix' | 'slack' | 'shopify' | 'paddle'

export const SCHEMES: readonly WebhookScheme[] = ['stripe', 'github', 'standard', 'svix', 'slack', 'shopify', 'paddle']

export interface SchemeInfo {
  scheme: WebhookScheme
  /** Display name, e.g. "Stripe". */
  name: string
  /** Lower-case header names the provider uses for the signature. */
  headers: string[]
  /** The replay window its verifier libraries apply; undefined = the scheme has no timestamp. */
  defaultToleranceSeconds?: number
}

/** The wire format of a scheme's signature values (beyond {@link SchemeInfo}). */
export interface SchemeFormat {
  /** Version label of the signatures an HMAC verifier checks: v1 (Stripe, Standard), sha256 (GitHub, Shopify), v0 (Slack), h1 (Paddle). */
  version: string
  /** How the HMAC digest is written in the header. */
  encoding: 'hex' | 'base64'
  /** The header that carries the signature(s). */
  signatureHeader: string
  /** The header that carries the timestamp, when it is a header of its own. */
  timestampHeader?: string
  /** Which direction of timestamp skew the provider's verifier rejects. */
  rejects?: 'stale' | 'both'
  /** The provider library whose behaviour doctor mirrors, for messages. */
  library: string
}

interface SchemeDef extends SchemeInfo, SchemeFormat {}

const DEFS: Record<WebhookScheme, SchemeDef> = {
  stripe: {
    scheme: 'stripe',
    name: 'Stripe',
    headers: ['stripe-signature'],
    defaultToleranceSeconds: 300,
    version: 'v1',
    encoding: 'hex',
    signatureHeader: 'stripe-signature',
    rejects: 'stale',
    library: "Stripe's library (constructEvent)",
  },
  github: {
    scheme: 'github',
    name: 'GitHub',
    headers: ['x-hub-signature-256', 'x-hub-signature'],
    version: 'sha256',
    encoding: 'hex',
    signatureHeader: 'x-hub-signature-256',
    library: '@octokit/webhooks verify',
  },
  standard: {
    scheme: 'standard',
    name: 'Standard Webhooks',
    headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
    defaultToleranceSeconds: 300,
    version: 'v1',
    encoding: 'base64',
    signatureHeader: 'webhook-signature',
    timestampHeader: 'webhook-timestamp',
    rejects: 'both',
    library: 'the standardwebhooks library',
  },
  svix: {
    scheme: 'svix',
    name: 'Svix',
    headers: ['svix-id', 'svix-timestamp', 'svix-signature'],
    defaultToleranceSeconds: 300,
    version: 'v1',
    encoding: 'base64',
    signatureHeader: 'svix-signature',
    timestampHeader: 'svix-timestamp',
    rejects: 'both',
    library: 'the svix library',
  },
  slack: {
    scheme: 'slack',
    name: 'Slack',
    headers: ['x-slack-signature', 'x-slack-request-timestamp'],
    defaultToleranceSeconds: 300,
    version: 'v0',
    encoding: 'hex',
    signatureHeader: 'x-slack-signature',
    timestampHeader: 'x-slack-request-timestamp',
    rejects: 'stale',
    library: 'Slack Bolt',
  },
  shopify: {
    scheme: 'shopify',
    name: 'Shopify',
    headers: ['x-shopify-hmac-sha256'],
    version: 'sha256',
    encoding: 'base64',
    signatureHeader: 'x-shopify-hmac-sha256',
    library: "Shopify's API library",
  },
  paddle: {
    scheme: 'paddle',
    name: 'Paddle',
    headers: ['paddle-signature'],
    defaultToleranceSeconds: 5,
    version: 'h1',
    encoding: 'hex',
    signatureHeader: 'paddle-signature',
    rejects: 'stale',
    library: 'the Paddle Node SDK',
  },
}

export function schemeInfo(scheme: WebhookScheme): SchemeInfo {
  const d = def(scheme)
  const info: SchemeInfo = {scheme: d.scheme, name: d.name, headers: [...d.headers]}
  if (d.defaultToleranceSeconds !== undefined) info.defaultToleranceSeconds = d.defaultToleranceSeconds
  return info
}

export function schemeFormat(scheme: WebhookScheme): SchemeFormat {
  const {version, encoding, signatureHeader, timestampHeader, rejects, library} = def(scheme)
  return {version, encoding, signatureHeader, timestampHeader, rejects, library}
}

function def(scheme: WebhookScheme): SchemeDef {
  const d = DEFS[scheme]
  if (!d) throw new Error(`unknown webhook scheme "${String(scheme)}" (known: ${SCHEMES.join(', ')})`)
  return d
}

const WHSEC = 'whsec_'

/** The key bytes a correct verifier derives from the secret (whsec_ base64-decoded for standard/svix, UTF-8 bytes otherwise). */
export function secretKey(scheme: WebhookScheme, secret: string): Buffer {
  if (scheme === 'standard' || scheme === 'svix') {
    return Buffer.from(secret.startsWith(WHSEC) ? secret.slice(WHSEC.length) : secret, 'base64')
  }
  return Buffer.from(secret, 'utf8')
}

/** The exact bytes the scheme signs. */
export function signedContent(scheme: WebhookScheme, body: Buffer, parts: {timestamp?: string; id?: string}): Buffer {
  const ts = parts.timestamp ?? ''
  switch (scheme) {
    case 'stripe':
      return Buffer.concat([Buffer.from(`${ts}.`), body])
    case 'standard':
    case 'svix':
      return Buffer.concat([Buffer.from(`${parts.id ?? ''}.${ts}.`), body])
    case 'slack':
      return Buffer.concat([Buffer.from(`v0:${ts}:`), body])
    case 'paddle':
      return Buffer.concat([Buffer.from(`${ts}:`), body])
    case 'github':
    case 'shopify':
      return body
  }
  throw new Error(`unknown webhook scheme "${String(scheme)}"`)
}

/** The raw HMAC digest (SHA-256 unless asked otherwise, e.g. sha1 for GitHub's legacy header). */
export function hmacDigest(
  scheme: WebhookScheme,
  key: Buffer,
  body: Buffer,
  parts: {timestamp?: string; id?: string},
  algorithm: 'sha256' | 'sha1' = 'sha256',
): Buffer {
  return createHmac(algorithm, key)
    .update(signedContent(scheme, body, parts))
    .digest()
}

/** Compute the signature value the scheme expects, without its version label (hex or base64 as the scheme encodes it). */
export function expectedSignature(
  scheme: WebhookScheme,
  key: Buffer,
  body: Buffer,
  parts: {timestamp?: string; id?: string},
): string {
  return hmacDigest(scheme, key, body, parts).toString(def(scheme).encoding)
}

/** Headers (lower-case names) a provider would send for this body, signed with this secret at this time. */
export function signDelivery(
  scheme: WebhookScheme,
  secret: string,
  body: string | Buffer,
  options: {timestamp?: number; id?: string} = {},
): Record<string, string> {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  const timestamp = String(Math.floor(options.timestamp ?? Date.now() / 1000))
  const id = options.id ?? `msg_${randomBytes(12).toString('hex')}`
  const key = secretKey(scheme, secret)
  const sig = expectedSignature(scheme, key, raw, {timestamp, id})
  switch (scheme) {
    case 'stripe':
      return {'stripe-signature': `t=${timestamp},v1=${sig}`}
    case 'github':
      return {
        'x-hub-signature-256': `sha256=${sig}`,
        'x-hub-signature': `sha1=${hmacDigest(scheme, key, raw, {}, 'sha1').toString('hex')}`,
      }
    case 'standard':
      return {'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${sig}`}
    case 'svix':
      return {'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': `v1,${sig}`}
    case 'slack':
      return {'x-slack-signature': `v0=${sig}`, 'x-slack-request-timestamp': timestamp}
    case 'shopify':
      return {'x-shopify-hmac-sha256': sig}
    case 'paddle':
      return {'paddle-signature': `ts=${timestamp};h1=${sig}`}
  }
  throw new Error(`unknown webhook scheme "${String(scheme)}"`)
}

export interface ParsedSignature {
  timestamp?: string
  id?: string
  /** Every signature in the header(s), in order, with its version label (v1, v0, v1a, sha256, sha1, h1…). */
  signatures: Array<{version: string; value: string}>
  /** Why the header could not be parsed (timestamp or signatures cannot be extracted). */
  error?: string
  /** Header names that are absent (only set when something is missing). */
  missing?: string[]
  /** Header names the values were read from (e.g. webhook-* when a Svix receiver falls back to them). */
  source?: string[]
}

/** Lower-case the names; join repeated values with ", "; drop empty values. */
export function normalizeHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const v = Array.isArray(value) ? value.join(', ') : String(value)
    const k = name.toLowerCase().trim()
    out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`
  }
  return out
}

const NUMERIC = /^\d+$/

/** Parse the signature header(s): timestamp, id, signatures with their version labels; undefined fields when absent; a parse error message when garbled. */
export function parseSignatureHeaders(
  scheme: WebhookScheme,
  headers: Record<string, string | string[] | undefined>,
): ParsedSignature {
  const h = normalizeHeaders(headers)
  const get = (name: string): string | undefined => {
    const v = h[name]?.trim()
    return v ? v : undefined
  }
  const d = def(scheme)
  const out: ParsedSignature = {signatures: []}
  switch (scheme) {
    case 'stripe': {
      const v = get('stripe-signature')
      if (v === undefined) return {...out, missing: ['stripe-signature']}
      for (const item of v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const eq = item.indexOf('=')
        if (eq <= 0) continue
        const k = item.slice(0, eq)
        const val = item.slice(eq + 1)
        if (k === 't') out.timestamp = val
        else out.signatures.push({version: k, value: val})
      }
      if (out.timestamp === undefined || !NUMERIC.test(out.timestamp) || out.signatures.length === 0) {
        out.error = `Unable to extract timestamp and signatures from header: Stripe-Signature should read t=<unix seconds>,v1=<hex>${out.timestamp === undefined ? ' (no t= found)' : !NUMERIC.test(out.timestamp) ? ' (t= is not a Unix time)' : ' (no signatures found)'}`
      }
      return out
    }
    case 'github': {
      const v256 = get('x-hub-signature-256')
      const v1 = get('x-hub-signature')
      if (v256 === undefined && v1 === undefined) return {...out, missing: ['x-hub-signature-256']}
      for (const [name, v] of [
        ['X-Hub-Signature-256', v256],
        ['X-Hub-Signature', v1],
      ] as const) {
        if (v === undefined) continue
        const m = /^([A-Za-z0-9]+)=(\S+)$/.exec(v)
        if (!m)
          out.error ??= `${name} should read ${name === 'X-Hub-Signature' ? 'sha1' : 'sha256'}=<hex>, but it has another shape`
        else out.signatures.push({version: m[1].toLowerCase(), value: m[2]})
      }
      if (out.signatures.length > 0) delete out.error
      return out
    }
    case 'standard':
    case 'svix': {
      const names = (prefix: string) => [`${prefix}-id`, `${prefix}-timestamp`, `${prefix}-signature`]
      let source = names(scheme === 'svix' ? 'svix' : 'webhook')
      // The svix library reads svix-* and falls back to the unbranded webhook-* names; standardwebhooks reads webhook-* only.
      if (
        scheme === 'svix' &&
        source.every((n) => get(n) === undefined) &&
        names('webhook').some((n) => get(n) !== undefined)
      )
        source = names('webhook')
      const [id, ts, sig] = source.map(get)
      out.source = source
      if (id !== undefined) out.id = id
      if (ts !== undefined) out.timestamp = ts
      const missing = source.filter((n) => get(n) === undefined)
      if (missing.length) out.missing = missing
      if (sig !== undefined) {
        for (const entry of sig
          .split(/\s+/)
          .map((s) => s.replace(/,+$/, ''))
          .filter(Boolean)) {
          const comma = entry.indexOf(',')
          if (comma > 0) out.signatures.push({version: entry.slice(0, comma), value: entry.slice(comma + 1)})
        }
        if (out.signatures.length === 0)
          out.error = `Invalid Signature Headers: ${source[2]} should read v1,<base64> (several separated by spaces)`
      }
      if (ts !== undefined && !NUMERIC.test(ts))
        out.error = `Invalid Signature Headers: ${source[1]} is not a Unix time in seconds`
      return out
    }
    case 'slack': {
      const sig = get('x-slack-signature')
      const ts = get('x-slack-request-timestamp')
      const missing = d.headers.filter((n) => get(n) === undefined)
      if (missing.length) out.missing = missing
      if (ts !== undefined) out.timestamp = ts
      if (sig !== undefined) {
        const eq = sig.indexOf('=')
        if (eq > 0) out.signatures.push({version: sig.slice(0, eq), value: sig.slice(eq + 1)})
        else out.error = 'X-Slack-Signature should read v0=<hex>'
      }
      if (ts !== undefined && !NUMERIC.test(ts)) out.error = 'X-Slack-Request-Timestamp is not a Unix time in seconds'
      return out
    }
    case 'shopify': {
      const v = get('x-shopify-hmac-sha256')
      if (v === undefined) return {...out, missing: ['x-shopify-hmac-sha256']}
      out.signatures.push({version: 'sha256', value: v})
      return out
    }
    case 'paddle': {
      const v = get('paddle-signature')
      if (v === undefined) return {...out, missing: ['paddle-signature']}
      for (const item of v
        .split(/[;,]/)
        .map((s) => s.trim())
        .filter(Boolean)) {
        const eq = item.indexOf('=')
        if (eq <= 0) continue
        const k = item.slice(0, eq)
        if (k === 'ts') out.timestamp = item.slice(eq + 1)
        else out.signatures.push({version: k, value: item.slice(eq + 1)})
      }
      if (out.timestamp === undefined || !NUMERIC.test(out.timestamp) || out.signatures.length === 0) {
        out.error = `[Paddle] Invalid webhook signature: Paddle-Signature should read ts=<unix seconds>;h1=<hex>${out.timestamp === undefined ? ' (no ts= found)' : !NUMERIC.test(out.timestamp) ? ' (ts= is not a Unix time)' : ' (no signatures found)'}`
      }
      return out
    }
  }
  throw new Error(`unknown webhook scheme "${String(scheme)}"`)
}
