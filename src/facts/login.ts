import type {HttpResult} from '../http/client.js'
import type {ExchangeRecord} from '../http/types.js'
// Types only: the HTML parser and the cookie library load when a login fact is first computed.
import type {IdpErrorMatch} from '../login/idp-errors.js'
import type {Walk} from '../login/walk.js'
import type {Facts} from './facts.js'

/**
 * Login facts: the discovery document (fetched once, read by openid-client and by the checks),
 * authorization-endpoint probes, and the browser walk through the app's login. Computed once
 * per run however many checks read them.
 */

export interface DiscoveryFact {
  /** The issuer exactly as configured. */
  issuer: string
  url: string
  result: HttpResult
  /** Why no usable document came back; undefined when one did. */
  problem?: {kind: 'unreachable' | 'redirected' | 'status' | 'not-json'; message: string}
  document?: Record<string, unknown>
  /** What openid-client 6 said about the document (its own validation, including the issuer comparison). */
  library?: {ok: true} | {ok: false; code?: string; message: string}
  jwks?: {url: string; result: HttpResult; keys?: Array<Record<string, unknown>>; problem?: string}
}

export function discoveryUrl(issuer: string): string {
  // openid-client's "oidc" algorithm appends the well-known path to the issuer's path.
  const u = new URL(issuer)
  u.pathname = `${u.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`
  return u.href
}

export function discovery(facts: Facts): Promise<DiscoveryFact | undefined> {
  return facts.once('oidc discovery', async () => {
    const issuer = facts.config.oidc?.issuer
    if (!issuer) return undefined
    const url = discoveryUrl(issuer)
    const result = await facts.fetch({url, purpose: 'oidc-discovery', headers: {accept: 'application/json'}})
    const fact: DiscoveryFact = {issuer, url, result}
    const res = result.response
    if (!res) {
      fact.problem = {
        kind: 'unreachable',
        message: `${result.error?.message ?? 'no response'}${result.error?.hint ? ` (${result.error.hint})` : ''}`,
      }
      return fact
    }
    if (res.status >= 300 && res.status < 400) {
      fact.problem = {
        kind: 'redirected',
        message: `HTTP ${res.status} to ${res.header('location') ?? '(no Location)'}; OIDC clients fetch discovery with redirects off`,
      }
      return fact
    }
    if (res.status !== 200) {
      fact.problem = {kind: 'status', message: `HTTP ${res.status} ${snippet(res.text())}`}
      return fact
    }
    try {
      const doc = res.json()
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a JSON object')
      fact.document = doc as Record<string, unknown>
    } catch {
      fact.problem = {
        kind: 'not-json',
        message: `HTTP 200 with ${res.header('content-type') ?? 'no content type'}, not a JSON object: ${snippet(res.text())}`,
      }
      return fact
    }
    fact.library = await libraryVerdict(facts, issuer, result)
    const jwksUri = fact.document.jwks_uri
    if (typeof jwksUri === 'string' && /^https?:\/\//.test(jwksUri)) fact.jwks = await jwks(facts, jwksUri)
    return fact
  })
}

async function jwks(facts: Facts, url: string): Promise<NonNullable<DiscoveryFact['jwks']>> {
  const result = await facts.fetch({url, purpose: 'oidc-discovery', headers: {accept: 'application/json'}})
  const res = result.response
  if (!res) return {url, result, problem: `unreachable: ${result.error?.message ?? 'no response'}`}
  if (res.status !== 200)
    return {
      url,
      result,
      problem: `HTTP ${res.status}${res.header('location') ? ` to ${res.header('location')}` : ''}, expected 200 with a JSON key set`,
    }
  try {
    const doc = res.json() as {keys?: unknown}
    if (!Array.isArray(doc?.keys)) return {url, result, problem: 'the JSON has no "keys" array'}
    return {
      url,
      result,
      keys: doc.keys.filter((k): k is Record<string, unknown> => Boolean(k) && typeof k === 'object'),
    }
  } catch {
    return {
      url,
      result,
      problem: `not JSON (${res.header('content-type') ?? 'no content type'}): ${snippet(res.text())}`,
    }
  }
}

/**
 * Hand the fetched document to openid-client's own discovery (through a fetch that replays
 * the response doctor already has), so the verdict is the library's, with its error code.
 */
async function libraryVerdict(facts: Facts, issuer: string, result: HttpResult): Promise<DiscoveryFact['library']> {
  const client = await import('openid-client')
  const res = result.response!
  const replay = async (): Promise<Response> =>
    new Response(new Uint8Array(res.raw.body), {status: res.status, headers: flatHeaders(res.raw.headers)})
  try {
    await client.discovery(new URL(issuer), facts.config.oidc?.clientId || 'doctor', undefined, undefined, {
      [client.customFetch]: replay,
      // Plain http is judged by the check (loopback is fine, other hosts are not); let the library judge the rest.
      execute: [client.allowInsecureRequests],
      timeout: 5,
    })
    return {ok: true}
  } catch (error) {
    const e = error as {code?: string; message?: string}
    return {ok: false, ...(e.code ? {code: e.code} : {}), message: e.message ?? String(error)}
  }
}

function flatHeaders(headers: Record<string, string | string[]>): Headers {
  const out = new Headers()
  for (const [k, v] of Object.entries(headers)) for (const x of Array.isArray(v) ? v : [v]) out.append(k, x)
  return out
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim()
  return t.length > 120 ? `"${t.slice(0, 117)}..."` : `"${t}"`
}

// ---------------------------------------------------------------------------------------------
// Authorization-endpoint probe

export type ProbeVerdict = 'accepted' | 'accepted-with-error' | 'rejected' | 'unknown' | 'unreachable'

export interface AuthorizeProbe {
  redirectUri: string
  clientId: string
  /** The URL sent (state and code_challenge are redacted when it is recorded or shown). */
  url: string
  verdict: ProbeVerdict
  status?: number
  location?: string
  /** The IdP's error page, recognised. */
  match?: IdpErrorMatch
  /** error= sent back to the callback. */
  callbackError?: {error: string; description?: string}
  detail: string
  exchange?: ExchangeRecord
}

/**
 * GET the authorization endpoint with this client and callback (PKCE, random state), without
 * following redirects, and classify the answer. Per RFC 6749 §4.1.2.1 an IdP must not redirect
 * to an invalid callback or for an unknown client; it shows an error page instead.
 */
export function authorizeProbe(
  facts: Facts,
  authorizationEndpoint: string,
  clientId: string,
  redirectUri: string,
): Promise<AuthorizeProbe> {
  return facts.once(`authorize ${authorizationEndpoint} ${clientId} ${redirectUri}`, async () => {
    const client = await import('openid-client')
    const {classifyIdpError, looksLikeLoginPage} = await import('../login/idp-errors.js')
    const verifier = client.randomPKCECodeVerifier()
    const scopes = facts.config.oidc?.scopes ?? ['openid']
    // openid-client builds the request (response_type=code, client_id, PKCE S256) from the provider's metadata.
    const doc = (await discovery(facts))?.document ?? {}
    const configuration = new client.Configuration(
      {
        ...(doc as object),
        issuer: typeof doc.issuer === 'string' ? doc.issuer : authorizationEndpoint,
        authorization_endpoint: authorizationEndpoint,
      } as import('openid-client').ServerMetadata,
      clientId,
    )
    // doctor sends this request itself; whether plain http is acceptable is oidc-discovery's finding.
    client.allowInsecureRequests(configuration)
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: scopes.join(' '),
      state: client.randomState(),
      nonce: client.randomNonce(),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })
    const result = await facts.http.request({
      url: url.href,
      purpose: 'oidc-redirect-uri',
      headers: {accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8'},
      signal: facts.signal,
    })
    const base = {redirectUri, clientId, url: url.href, exchange: result.exchange}
    const res = result.response
    if (!res) return {...base, verdict: 'unreachable', detail: result.error?.message ?? 'no response'}
    const location = res.header('location')
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, url)
      if (sameEndpoint(target.href, redirectUri)) {
        const error = target.searchParams.get('error')
        if (error) {
          const description = target.searchParams.get('error_description') ?? undefined
          return {
            ...base,
            status: res.status,
            location,
            verdict: 'accepted-with-error',
            callbackError: {error, ...(description ? {description} : {})},
            detail: `the IdP accepted the client and the callback, and sent the browser back with error=${error}${description ? ` (${description})` : ''}`,
          }
        }
        return {
          ...base,
          status: res.status,
          location,
          verdict: 'accepted',
          detail: 'the IdP sent the browser straight back to the callback',
        }
      }
      // GitLab (Doorkeeper) sends anonymous browsers to sign in before it looks at client_id and redirect_uri.
      if (/\/users\/sign_in\/?$/.test(target.pathname)) {
        return {
          ...base,
          status: res.status,
          location,
          verdict: 'unknown',
          detail: `HTTP ${res.status} to ${target.origin}${target.pathname}: GitLab asks for sign-in before it validates client_id and redirect_uri, so they cannot be checked without a session`,
        }
      }
      const classified = classifyIdpError({
        status: res.status,
        url: url.href,
        body: res.text(),
        contentType: res.header('content-type'),
        location,
      })
      if (classified && classified.kind !== 'other')
        return {
          ...base,
          status: res.status,
          location,
          verdict: 'rejected',
          match: classified,
          detail: classified.message,
        }
      return {
        ...base,
        status: res.status,
        location,
        verdict: 'accepted',
        detail: `HTTP ${res.status} to ${target.origin}${target.pathname} (the IdP's login flow)`,
      }
    }
    const page = {status: res.status, url: url.href, body: res.text(), contentType: res.header('content-type')}
    const classified = classifyIdpError(page)
    if (classified)
      return {...base, status: res.status, verdict: 'rejected', match: classified, detail: classified.message}
    if (res.status < 300 && looksLikeLoginPage(page))
      return {...base, status: res.status, verdict: 'accepted', detail: `HTTP ${res.status} with the IdP's login page`}
    return {
      ...base,
      status: res.status,
      verdict: 'unknown',
      detail: `HTTP ${res.status} with a page doctor does not recognise: ${snippet(res.text())}`,
    }
  })
}

/** Same scheme, host, port and path (the query of a callback carries the response). */
export function sameEndpoint(a: string, b: string): boolean {
  try {
    const x = new URL(a)
    const y = new URL(b)
    return x.origin === y.origin && x.pathname === y.pathname
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// The browser walk

export interface LoginWalkFact {
  walk: Walk
  /** Where the walk started: login.path, or the console. */
  start: string
  console: string
  withUser: boolean
}

export function consoleUrl(facts: Facts): string | undefined {
  if (!facts.config.target?.baseUrl) return undefined
  return facts.resolveUrl(facts.config.login?.consolePath ?? '/')
}

/** One walk per run: with the test user when configured (it goes further), else anonymous. */
export function loginWalk(facts: Facts): Promise<LoginWalkFact | undefined> {
  return facts.once('login walk', async () => {
    const consoleAt = consoleUrl(facts)
    if (!consoleAt) return undefined
    const login = facts.config.login
    const start = login?.path ? facts.resolveUrl(login.path) : consoleAt
    const user = login?.testUser
    const {walkLogin} = await import('../login/walk.js')
    const walk = await walkLogin(facts.http, {
      start,
      maxHops: login?.maxHops ?? 20,
      purpose: 'login-walk',
      signal: facts.signal,
      ...(user ? {credentials: {username: user.username, password: user.password}} : {}),
      // After signing in, open the console as a user would, in the same browser.
      ...(user ? {then: [consoleAt]} : {}),
      onSecret: (value) => facts.http.redactor.addSecret(value, 'cookie', 'a cookie set during the login walk'),
    })
    return {walk, start, console: consoleAt, withUser: Boolean(user)}
  })
}

/** The first request of the walk that went to an authorization endpoint (client_id + redirect_uri + response_type). */
export function authorizationRequest(
  walk: Walk,
):
  | {url: URL; clientId: string | null; redirectUri: string | null; responseMode: string | null; scope: string | null}
  | undefined {
  for (const hop of walk.hops) {
    let u: URL
    try {
      u = new URL(hop.url)
    } catch {
      continue
    }
    if (
      u.searchParams.has('response_type') &&
      (u.searchParams.has('client_id') || u.searchParams.has('redirect_uri'))
    ) {
      return {
        url: u,
        clientId: u.searchParams.get('client_id'),
        redirectUri: u.searchParams.get('redirect_uri'),
        responseMode: u.searchParams.get('response_mode'),
        scope: u.searchParams.get('scope'),
      }
    }
  }
  return undefined
}
