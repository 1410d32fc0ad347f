import {type CauseRef, defineCheck, fail, type Item, pass, skip, type Status, warn} from '../src/engine/check.js'
import {type DiscoveryFact, discovery} from '../src/facts/login.js'
import type {ExchangeRecord} from '../src/http/types.js'
import {urlDifference} from '../src/login/urls.js'

const E = 'oidc-discovery-failed'
const ref = (cause: string) => `${E}#${cause}`

interface Finding {
  status: Exclude<Status, 'pass' | 'skip'>
  cause: string
  message: string
}

export default defineCheck({
  meta: {
    id: 'oidc-discovery',
    title: 'OIDC discovery document matches the configured issuer',
    failureTitle: 'OIDC discovery fails or publishes a different issuer',
    area: 'login',
    description:
      'Fetches {issuer}/.well-known/openid-configuration the way OIDC clients do (no redirects), has openid-client 6 validate it, compares the published issuer with the configured one character by character, checks the endpoints a client needs and that the key set at jwks_uri holds signing keys.',
    needs: ['oidc.issuer'],
    kb: [
      ref('issuer-mismatch'),
      ref('internal-vs-public-issuer'),
      ref('discovery-unreachable'),
      ref('discovery-redirected'),
      ref('discovery-not-json'),
      ref('plain-http-rejected'),
      ref('endpoints-missing'),
      ref('jwks-unavailable'),
      ref('jwks-kid-not-found'),
    ],
  },
  async run(ctx) {
    const fact = await discovery(ctx.facts)
    if (!fact) return skip('not configured: set oidc.issuer in doctor.yaml')
    return judgeDiscovery(fact)
  },
})

export function judgeDiscovery(fact: DiscoveryFact) {
  const exchanges = [fact.result.exchange, ...(fact.jwks ? [fact.jwks.result.exchange] : [])]
  const findings: Finding[] = []
  const items: Item[] = []
  const notes: string[] = []

  if (fact.problem) {
    const cause = {
      unreachable: 'discovery-unreachable',
      redirected: 'discovery-redirected',
      status: 'discovery-not-json',
      'not-json': 'discovery-not-json',
    }[fact.problem.kind]
    let message = `${fact.url}: ${fact.problem.message}`
    if (fact.problem.kind === 'redirected') {
      const location = fact.result.response?.header('location')
      const hint = location ? redirectHint(fact.url, location) : undefined
      if (hint) message += `; ${hint}`
    }
    findings.push({status: 'fail', cause, message})
    return outcome(fact, findings, [{label: 'discovery document', status: 'fail', message}], notes, exchanges)
  }
  const doc = fact.document!
  items.push({label: 'discovery document', status: 'pass', message: `${fact.url}: HTTP 200 JSON`})

  // Issuer: OIDC Discovery §4.3 wants the published issuer identical to the configured one.
  const published = typeof doc.issuer === 'string' ? doc.issuer : undefined
  if (!published) {
    findings.push({
      status: 'fail',
      cause: 'endpoints-missing',
      message: 'the document has no "issuer" field: the URL does not serve an OpenID provider\'s metadata',
    })
  } else if (published !== fact.issuer) {
    findings.push(issuerFinding(fact.issuer, published))
  }
  items.push(
    findings.length === 0
      ? {label: 'issuer', status: 'pass', message: `published issuer equals the configured one (${published})`}
      : {label: 'issuer', status: findings[0].status, message: findings[0].message},
  )

  // Endpoints a code-flow client needs, as absolute URLs.
  const missing: string[] = []
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
    const v = doc[field]
    if (typeof v !== 'string' || !/^https?:\/\/[^/]/.test(v))
      missing.push(v === undefined ? `${field} is missing` : `${field} is not an absolute URL (${JSON.stringify(v)})`)
  }
  if (missing.length) findings.push({status: 'fail', cause: 'endpoints-missing', message: missing.join('; ')})
  items.push({
    label: 'endpoints',
    status: missing.length ? 'fail' : 'pass',
    message: missing.length
      ? missing.join('; ')
      : 'authorization_endpoint, token_endpoint and jwks_uri are absolute URLs',
  })

  // Plain http: openid-client refuses it unless the app opts out; browsers and tokens travel unprotected.
  const http = plainHttp(fact.issuer, doc)
  if (http) findings.push(http)

  // Key set.
  const jwks = fact.jwks
  if (jwks) {
    const keyFinding = judgeKeys(jwks)
    if (keyFinding) findings.push(keyFinding)
    items.push({
      label: 'key set',
      status: keyFinding?.status ?? 'pass',
      message:
        keyFinding?.message ??
        `${jwks.url}: ${jwks.keys!.length} key(s), kid ${jwks.keys!.map((k) => k.kid ?? '(none)').join(', ')}`,
    })
  }

  // openid-client's own verdict, for anything the comparisons above did not explain.
  if (fact.library && !fact.library.ok) {
    notes.push(
      `openid-client 6 discovery: ${fact.library.message}${fact.library.code ? ` (${fact.library.code})` : ''}`,
    )
    if (findings.length === 0)
      findings.push({
        status: 'fail',
        cause: 'endpoints-missing',
        message: `openid-client rejects the document: ${fact.library.message}`,
      })
  } else if (fact.library?.ok) {
    notes.push('openid-client 6 accepts the document (issuer check included).')
  }
  return outcome(fact, findings, items, notes, exchanges)
}

function outcome(
  fact: DiscoveryFact,
  findings: Finding[],
  items: Item[],
  notes: string[],
  exchanges: ExchangeRecord[],
) {
  const evidence = {
    observed: {
      issuer: typeof fact.document?.issuer === 'string' ? fact.document.issuer : undefined,
      discoveryUrl: fact.url,
      status: fact.result.response?.status,
      jwksKeys: fact.jwks?.keys?.length,
    },
    expected: {issuer: fact.issuer},
    notes: [...findings.slice(1).map((f) => `also: ${f.message}`), ...notes],
    exchanges,
  }
  if (findings.length === 0)
    return pass(`discovery OK: issuer ${fact.issuer}, ${fact.jwks?.keys?.length ?? 0} signing key(s)`, {
      evidence,
      items,
    })
  const order = findings.findIndex((f) => f.status === 'fail')
  const top = findings[order >= 0 ? order : 0]
  const cause: CauseRef = {
    kb: ref(top.cause),
    summary: SUMMARY[top.cause],
    fix: fixSteps(top.cause, fact),
    verify: verifySteps(top.cause, fact),
  }
  return top.status === 'fail'
    ? fail(top.message, cause, {evidence, items})
    : warn(top.message, cause, {evidence, items})
}

const SUMMARY: Record<string, string> = {
  'issuer-mismatch':
    'The configured issuer differs from the issuer the provider publishes; clients reject the discovery document or every ID token.',
  'internal-vs-public-issuer':
    'The app is configured with one origin for the provider, and the provider publishes another (internal vs public URL).',
  'discovery-unreachable': 'The discovery URL cannot be fetched from here (DNS, connection, timeout or TLS).',
  'discovery-redirected': 'The discovery URL redirects; OIDC clients fetch it with redirects off and fail.',
  'discovery-not-json': 'The discovery URL does not answer with a 200 JSON document; the issuer URL is probably wrong.',
  'plain-http-rejected': 'The provider is reached over plain http, which OIDC libraries refuse by default.',
  'endpoints-missing': 'The discovery document lacks an endpoint a code-flow client needs.',
  'jwks-unavailable': 'The key set at jwks_uri is unreachable, not JSON or has no signing key.',
  'jwks-kid-not-found': 'Several signing keys without key ids: clients cannot pick the key that signed a token.',
}

function fixSteps(cause: string, fact: DiscoveryFact): string[] {
  const published = typeof fact.document?.issuer === 'string' ? fact.document.issuer : undefined
  switch (cause) {
    case 'issuer-mismatch':
    case 'internal-vs-public-issuer':
      return [
        `Set the app's issuer to exactly ${published ?? 'the published issuer'} (character for character, trailing slash included), or make the provider publish ${fact.issuer} (its public host name / forwarded headers).`,
        'Restart the app so it runs discovery again.',
      ]
    case 'discovery-unreachable':
      return [
        "Make the issuer's host resolvable and reachable from the app (DNS, egress rules, proxy settings); trust a private CA instead of disabling TLS verification.",
      ]
    case 'discovery-redirected':
      return [
        `Configure the issuer as the URL the redirect points to (${fact.result.response?.header('location') ?? 'its Location'}), which must also equal the published issuer.`,
      ]
    case 'discovery-not-json':
      return [
        'Fix the issuer URL until the discovery URL returns JSON: the realm or tenant name, the Keycloak /auth prefix of older versions, a proxy route for /.well-known/.',
      ]
    case 'plain-http-rejected':
      return [
        'Serve the provider over https and make it publish https URLs (its public host name, or X-Forwarded-Proto from the TLS proxy).',
      ]
    case 'endpoints-missing':
      return [
        "Point the app at the provider's OpenID issuer, whose document lists authorization_endpoint, token_endpoint and jwks_uri as absolute URLs.",
      ]
    default:
      return [
        'Make jwks_uri reachable from the app and make sure the realm or tenant has an active signing key (with a kid).',
      ]
  }
}

function verifySteps(cause: string, fact: DiscoveryFact): string[] {
  const field = cause.startsWith('jwks')
    ? `"$(curl -s ${fact.url} | jq -r .jwks_uri)" | jq '[.keys[] | {kid, alg, use}]'`
    : `${fact.url} | jq -r .issuer`
  return [
    `\`curl -s ${field}\` shows ${cause.startsWith('jwks') ? 'at least one signing key with a kid' : 'the issuer the app is configured with'}.`,
    '`doctor run oidc-discovery` passes.',
  ]
}

/** Say precisely how two issuer strings differ. */
export function describeIssuerDifference(
  configured: string,
  published: string,
): {detail: string; sameUrl: boolean; otherHost: boolean} {
  const diff = urlDifference(configured, published, {a: 'the configured issuer', b: 'the published issuer'})
  // URL parsing adds the slash after a bare host, so only the raw strings show it.
  const sameUrl = diff.parts.length === 0 && configured !== published
  const slashOnly = configured.replace(/\/$/, '') === published.replace(/\/$/, '')
  const parts = sameUrl
    ? [
        slashOnly
          ? 'only the trailing slash after the host differs'
          : 'they differ only in escaping or case that URL parsing normalises',
      ]
    : diff.parts
  return {
    detail: `configured ${configured}, discovered ${published} (${parts.join('; ')})`,
    sameUrl,
    otherHost: !diff.sameOrigin,
  }
}

function issuerFinding(configured: string, published: string): Finding {
  const diff = describeIssuerDifference(configured, published)
  if (diff.sameUrl) {
    // openid-client normalises both with URL and accepts this; libraries that compare strings (go-oidc) do not.
    return {
      status: 'warn',
      cause: 'issuer-mismatch',
      message: `issuer differs as a string: ${diff.detail}; openid-client accepts it, but libraries that compare strings exactly (go-oidc, many others) reject every token`,
    }
  }
  if (diff.otherHost)
    return {
      status: 'fail',
      cause: 'internal-vs-public-issuer',
      message: `issuer mismatch: ${diff.detail}; the provider publishes another origin than the one the app is configured with`,
    }
  return {status: 'fail', cause: 'issuer-mismatch', message: `issuer mismatch: ${diff.detail}`}
}

const LOOPBACK = /^(localhost|.*\.localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

function plainHttp(issuer: string, doc: Record<string, unknown>): Finding | undefined {
  const fields = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint']
  const insecure = fields.filter((f) => {
    const v = f === 'issuer' ? issuer : doc[f]
    if (typeof v !== 'string' || !v.startsWith('http://')) return false
    try {
      return !LOOPBACK.test(new URL(v).hostname)
    } catch {
      return false
    }
  })
  if (insecure.length === 0) return undefined
  const mixed = issuer.startsWith('https://')
  return {
    status: mixed ? 'fail' : 'warn',
    cause: 'plain-http-rejected',
    message: mixed
      ? `the issuer is https, but the document publishes plain http URLs (${insecure.join(', ')}): the provider does not know it sits behind TLS, and openid-client refuses them ("only requests to HTTPS are allowed")`
      : `the issuer uses plain http on a non-loopback host; openid-client and most OIDC libraries refuse it unless told otherwise (${insecure.join(', ')})`,
  }
}

function judgeKeys(jwks: NonNullable<DiscoveryFact['jwks']>): Finding | undefined {
  if (jwks.problem) return {status: 'fail', cause: 'jwks-unavailable', message: `key set ${jwks.url}: ${jwks.problem}`}
  const keys = jwks.keys ?? []
  if (keys.length === 0)
    return {
      status: 'fail',
      cause: 'jwks-unavailable',
      message: `key set ${jwks.url} is empty ({"keys": []}): no ID token signature can be verified`,
    }
  const signing = keys.filter((k) => k.use !== 'enc' && typeof k.kty === 'string')
  if (signing.length === 0)
    return {
      status: 'fail',
      cause: 'jwks-unavailable',
      message: `key set ${jwks.url} has ${keys.length} key(s) but none for signatures (all "use":"enc" or without "kty")`,
    }
  const withoutKid = signing.filter((k) => typeof k.kid !== 'string' || k.kid === '')
  if (signing.length > 1 && withoutKid.length > 0) {
    return {
      status: 'warn',
      cause: 'jwks-kid-not-found',
      message: `key set ${jwks.url} has ${signing.length} signing keys and ${withoutKid.length} without "kid": clients cannot tell which key signed a token ("multiple matching keys")`,
    }
  }
  return undefined
}

function redirectHint(from: string, location: string): string | undefined {
  try {
    const a = new URL(from)
    const b = new URL(location, from)
    if (a.protocol === 'http:' && b.protocol === 'https:' && a.host === b.host)
      return 'the issuer is configured with http:// but the provider lives at https://'
    const strip = (u: URL) => u.pathname.replace(/\/\.well-known\/openid-configuration\/?$/, '')
    if (a.origin === b.origin && strip(a).replace(/\/+$/, '') === strip(b).replace(/\/+$/, ''))
      return 'a proxy adds or removes a trailing slash; configure the issuer exactly as the provider publishes it'
    if (a.origin !== b.origin) return `the provider lives at ${b.origin}; configure that as the issuer's origin`
    return undefined
  } catch {
    return undefined
  }
}
