import {concluded, defineCheck, type Finding, type Item, leading, pass, skip} from '../src/engine/check.js'
import {
  type AuthorizeProbe,
  authorizationRequest,
  authorizeProbe,
  discovery,
  loginWalk,
  sameEndpoint,
} from '../src/facts/login.js'
import type {ExchangeRecord} from '../src/http/types.js'
import {closest, urlDifference} from '../src/login/urls.js'

const REJECTED = 'oidc-redirect-uri-rejected'
const CLIENT = 'oidc-client-not-found'
const AUTHZ = 'oidc-authorization-error'

export default defineCheck({
  meta: {
    id: 'oidc-redirect-uri',
    title: 'The IdP accepts the client id and every callback URL',
    failureTitle: 'The IdP rejects the client id or a callback URL',
    area: 'login',
    description:
      'Reads the authorization request the app really sends (its login redirect) and compares client_id and redirect_uri with the configuration; then sends the IdP an authorization request (PKCE, random state, no redirects followed) for each callback and recognises its answer: the login page, or the error page of Keycloak, Google, Okta, Auth0, Entra ID, Dex, GitLab or oidc-provider.',
    needs: ['oidc.issuer'],
    kb: [
      `${REJECTED}#callback-not-registered`,
      `${REJECTED}#callback-differs-in-detail`,
      `${REJECTED}#public-url-misconfigured`,
      REJECTED,
      `${CLIENT}#wrong-client-id`,
      `${CLIENT}#placeholder-client-id`,
      `${CLIENT}#client-deleted-or-disabled`,
      `${CLIENT}#wrong-tenant-or-realm`,
      `${AUTHZ}#scope-not-allowed`,
      `${AUTHZ}#flow-not-enabled`,
      `${AUTHZ}#request-invalid`,
      AUTHZ,
    ],
  },
  skipReason(config) {
    if (!config.oidc?.clientId && !config.target?.baseUrl)
      return "not configured: set oidc.clientId (and oidc.redirectUris), or target.baseUrl so doctor can read the app's own login redirect"
    if (!config.oidc?.redirectUris?.length && !config.target?.baseUrl)
      return 'not configured: set oidc.redirectUris, or target.baseUrl so doctor can read the callback the app sends'
    return undefined
  },
  async run(ctx) {
    const config = ctx.config
    const disc = await discovery(ctx.facts)
    const endpoint = disc?.document?.authorization_endpoint
    if (typeof endpoint !== 'string')
      return skip(
        `cannot probe: the discovery document gives no authorization_endpoint (${disc?.problem?.message ?? 'see oidc-discovery'})`,
      )

    const {placeholderReason} = await import('../src/login/idp-errors.js')
    const findings: Finding[] = []
    const items: Item[] = []
    const notes: string[] = []
    const exchanges: ExchangeRecord[] = []
    const configuredClient = config.oidc?.clientId
    const configuredUris = config.oidc?.redirectUris ?? []
    const baseUrl = config.target?.baseUrl

    const configPlaceholder = placeholderReason(configuredClient)
    if (configuredClient !== undefined && configPlaceholder) {
      findings.push({
        status: 'fail',
        kb: `${CLIENT}#placeholder-client-id`,
        message: `oidc.clientId "${configuredClient}" ${configPlaceholder}`,
        fix: placeholderFix,
      })
    }

    // What the app itself sends when a user signs in.
    const walked = baseUrl ? await loginWalk(ctx.facts) : undefined
    const sent = walked ? authorizationRequest(walked.walk) : undefined
    if (walked && !sent)
      notes.push(
        `The app's login (${walked.start}) did not lead to an authorization request (the walk ended: ${walked.walk.end.kind}); only the configured callbacks were probed.`,
      )
    if (sent) {
      const sentEndpoint = `${sent.url.origin}${sent.url.pathname}`
      if (!sameEndpoint(sentEndpoint, endpoint)) {
        findings.push({
          status: 'fail',
          kb: `${CLIENT}#wrong-tenant-or-realm`,
          message: `the app sends users to ${sentEndpoint}, but the configured issuer's authorization endpoint is ${endpoint}: another realm, tenant or provider (${urlDifference(sentEndpoint, endpoint).parts.join('; ')})`,
          fix: ['Point the app at the issuer (realm, tenant) where its client is registered, and restart it.'],
        })
      }
      const reason = placeholderReason(sent.clientId ?? '')
      if (reason) {
        findings.push({
          status: 'fail',
          kb: `${CLIENT}#placeholder-client-id`,
          message: `the app sends client_id=${JSON.stringify(sent.clientId ?? '')}, which ${reason}`,
          fix: placeholderFix,
        })
      } else if (configuredClient && !configPlaceholder && sent.clientId !== configuredClient) {
        findings.push({
          status: 'fail',
          kb: `${CLIENT}#wrong-client-id`,
          message: `the app sends client_id=${sent.clientId}, but doctor.yaml says ${configuredClient}`,
          fix: [
            'Deploy the client id registered at the IdP for this app (check the secret or env var the app reads), then restart it.',
          ],
        })
      }
      items.push({
        label: 'app login request',
        status: 'pass',
        message: `client_id=${sent.clientId ?? '(none)'} redirect_uri=${sent.redirectUri ?? '(none)'}${sent.responseMode ? ` response_mode=${sent.responseMode}` : ''}`,
      })
      if (sent.redirectUri && baseUrl) {
        const base = new URL(baseUrl)
        const cb = safeUrl(sent.redirectUri)
        if (cb && base.protocol === 'https:' && cb.protocol === 'http:') {
          findings.push({
            status: 'warn',
            kb: `${REJECTED}#public-url-misconfigured`,
            message: `the app is served at ${base.origin} but builds its callback with http:// (${sent.redirectUri}): behind a TLS-terminating proxy it does not know it is on https`,
            fix: [
              "Make the app trust the proxy's X-Forwarded-Proto (or set its public URL setting to https://…), so it builds https callbacks.",
            ],
          })
        }
      }
    }

    // Probe every callback: the configured ones, and the one the app sends.
    const uris = [...configuredUris]
    if (sent?.redirectUri && !uris.includes(sent.redirectUri)) uris.push(sent.redirectUri)
    const probes: AuthorizeProbe[] = []
    for (const uri of uris) {
      const clientId =
        uri === sent?.redirectUri && sent.clientId ? sent.clientId : (configuredClient ?? sent?.clientId ?? undefined)
      if (!clientId) {
        notes.push(`${uri}: not probed, no client id (set oidc.clientId).`)
        continue
      }
      const probe = await authorizeProbe(ctx.facts, endpoint, clientId, uri)
      probes.push(probe)
      if (probe.exchange) exchanges.push(probe.exchange)
      items.push({
        label: uri,
        status:
          probe.verdict === 'accepted'
            ? 'pass'
            : probe.verdict === 'accepted-with-error' || probe.verdict === 'unknown'
              ? 'warn'
              : 'fail',
        message: `${probe.verdict}: ${probe.detail}`,
      })
    }
    for (const probe of probes) {
      const finding = judgeProbe(probe, placeholderReason, {
        probes,
        configuredUris,
        sentUri: sent?.redirectUri ?? undefined,
        baseUrl,
      })
      if (finding) findings.push(finding)
      for (const note of probe.match?.notes ?? []) notes.push(`${probe.redirectUri}: ${note}`)
    }
    if (sent?.redirectUri && configuredUris.length > 0 && !configuredUris.includes(sent.redirectUri)) {
      const near = closest(sent.redirectUri, configuredUris)
      const accepted = probes.find((p) => p.redirectUri === sent.redirectUri)?.verdict === 'accepted'
      notes.push(
        `The app sends ${sent.redirectUri}, which oidc.redirectUris does not list${near ? ` (closest: ${near.url}; ${near.diff.parts.join('; ')})` : ''}${accepted ? '; the IdP accepts it, so doctor.yaml is out of date' : ''}.`,
      )
    }

    const evidence = {
      observed: {
        authorizationEndpoint: endpoint,
        appSends: sent ? {clientId: sent.clientId, redirectUri: sent.redirectUri} : undefined,
        probes: probes.map((p) => ({
          redirectUri: p.redirectUri,
          clientId: p.clientId,
          url: p.url,
          status: p.status,
          verdict: p.verdict,
          idp: p.match?.idp,
          error: p.match?.code ?? p.callbackError?.error,
          message: p.match?.message ?? p.callbackError?.description,
        })),
      },
      expected: {clientId: configuredClient, redirectUris: configuredUris.length ? configuredUris : undefined},
      notes: [...findings.slice(1).map((f) => `also: ${f.message}`), ...notes],
      exchanges,
    }
    if (findings.length === 0) {
      if (probes.length === 0)
        return skip("nothing to probe: no callback URL is configured and the app's login sent none")
      return pass(
        `the IdP accepts client ${probes[0].clientId} with ${probes.length === 1 ? 'the callback' : `all ${probes.length} callbacks`} (${probes.map((p) => p.redirectUri).join(', ')})`,
        {evidence, items},
      )
    }
    const top = leading(findings)
    // The request and answer behind the finding, for the support engineer (state, nonce and code_challenge are redacted in the report).
    const shown =
      probes.find((p) => top.message.includes(p.redirectUri) && p.verdict !== 'accepted') ??
      probes.find((p) => p.verdict !== 'accepted')
    if (shown)
      evidence.notes.unshift(
        `Sent GET ${shown.url} -> ${shown.status !== undefined ? `HTTP ${shown.status}` : 'no answer'}${shown.location ? ` to ${shown.location}` : ''}${shown.match ? ` (${shown.match.idp}${shown.match.code ? ` ${shown.match.code}` : ''}: ${shown.match.message})` : ''}`,
      )
    return concluded(
      top,
      SUMMARY[top.kb] ?? top.message,
      [
        "`doctor run oidc-redirect-uri` passes: the authorization request is answered with the IdP's login page, not an error page.",
        "Start a login in a private browser window and reach the IdP's login form.",
      ],
      {evidence, items},
    )
  },
})

const SUMMARY: Record<string, string> = {
  [`${REJECTED}#callback-not-registered`]: 'The client at the IdP does not list this exact callback URL.',
  [`${REJECTED}#callback-differs-in-detail`]:
    'The callback the app sends and the one registered differ in a detail (scheme, host, port, path, case or trailing slash).',
  [`${REJECTED}#public-url-misconfigured`]:
    "The app's public URL setting is wrong, so it builds its callback on the wrong scheme or host.",
  [`${CLIENT}#wrong-client-id`]: 'The app sends a client id the IdP does not know.',
  [`${CLIENT}#placeholder-client-id`]: 'A placeholder client id is still deployed.',
  [`${CLIENT}#client-deleted-or-disabled`]: 'The client is disabled or was deleted at the IdP.',
  [`${CLIENT}#wrong-tenant-or-realm`]:
    'The login goes to another tenant or realm than the one where the client is registered.',
  [`${AUTHZ}#scope-not-allowed`]: 'The client may not request one of the scopes.',
  [`${AUTHZ}#flow-not-enabled`]: 'The client is not allowed to use the authorization-code flow.',
  [`${AUTHZ}#request-invalid`]: 'The IdP rejects another parameter of the request (often PKCE).',
}

const placeholderFix = [
  'Replace the placeholder with the client id the IdP shows for this app (and its secret), in the secret or env var the app reads; restart the app.',
]

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

function judgeProbe(
  probe: AuthorizeProbe,
  placeholderReason: (v: string | undefined) => string | undefined,
  ctx: {probes: AuthorizeProbe[]; configuredUris: string[]; sentUri?: string; baseUrl?: string},
): Finding | undefined {
  const idp = probe.match ? ` (${probe.match.idp}${probe.match.code ? `, ${probe.match.code}` : ''})` : ''
  if (probe.verdict === 'accepted') return undefined
  if (probe.verdict === 'unreachable') {
    return {
      status: 'fail',
      kb: REJECTED,
      message: `the authorization endpoint did not answer: ${probe.detail}`,
      fix: [
        "Check that the authorization endpoint in the discovery document is reachable from a browser on the users' network.",
      ],
    }
  }
  if (probe.verdict === 'accepted-with-error') {
    const error = probe.callbackError!.error
    const kb =
      error === 'invalid_scope'
        ? `${AUTHZ}#scope-not-allowed`
        : error === 'unauthorized_client' || error === 'unsupported_response_type'
          ? `${AUTHZ}#flow-not-enabled`
          : error === 'invalid_request'
            ? `${AUTHZ}#request-invalid`
            : AUTHZ
    return {
      status: 'warn',
      kb,
      message: `${probe.redirectUri}: ${probe.detail}`,
      fix: [
        'Read error_description and fix the client at the IdP: allowed scopes, the authorization-code grant, PKCE settings.',
      ],
    }
  }
  if (probe.verdict === 'unknown') {
    return {
      status: 'warn',
      kb: REJECTED,
      message: `${probe.redirectUri}: the IdP answered, but doctor cannot tell whether it accepted the request: ${probe.detail}`,
      fix: ['Open the authorization URL from the evidence in a browser and read the page.'],
    }
  }
  const match = probe.match!
  if (match.kind === 'client' || match.kind === 'client-disabled') {
    const placeholder = placeholderReason(probe.clientId)
    if (placeholder)
      return {
        status: 'fail',
        kb: `${CLIENT}#placeholder-client-id`,
        message: `the IdP does not know client_id "${probe.clientId}"${idp}: "${match.message}"; the value ${placeholder}`,
        fix: placeholderFix,
      }
    if (match.kind === 'client-disabled')
      return {
        status: 'fail',
        kb: `${CLIENT}#client-deleted-or-disabled`,
        message: `the IdP says client ${probe.clientId} is disabled${idp}: "${match.message}"`,
        fix: ['Enable the client at the IdP, or register a new one and deploy its id and secret.'],
      }
    if (match.code === 'AADSTS700016' || /tenant|realm|directory/i.test(match.notes.join(' '))) {
      return {
        status: 'fail',
        kb: `${CLIENT}#wrong-tenant-or-realm`,
        message: `the IdP has no client ${probe.clientId} in this tenant or realm${idp}: "${match.message}"`,
        fix: ['Use the issuer of the tenant or realm where the client is registered, or register the client there.'],
      }
    }
    return {
      status: 'fail',
      kb: `${CLIENT}#wrong-client-id`,
      message: `the IdP does not know client_id ${probe.clientId}${idp}: "${match.message}"`,
      fix: [
        'Deploy the client id registered at the IdP for this app (check the secret or env var the app reads), then restart it.',
      ],
    }
  }
  if (match.kind === 'redirect-uri') {
    const others = [
      ...ctx.configuredUris,
      ...ctx.probes.filter((p) => p.verdict === 'accepted').map((p) => p.redirectUri),
    ].filter((u) => u !== probe.redirectUri)
    const near = closest(probe.redirectUri, others)
    const register = `Register exactly ${probe.redirectUri} as an allowed redirect URI of client ${probe.clientId} at the IdP (Keycloak: Valid redirect URIs; Google: Authorized redirect URIs; Okta: Sign-in redirect URIs; Auth0: Allowed Callback URLs; Entra ID: Redirect URIs), or make the app send the registered one.`
    if (near && near.diff.detail) {
      return {
        status: 'fail',
        kb: `${REJECTED}#callback-differs-in-detail`,
        message: `the IdP rejects redirect_uri ${probe.redirectUri}${idp}: "${match.message}"; it differs from ${near.url} (${near.diff.parts.join('; ')})`,
        fix: [
          register,
          'IdPs compare callbacks as exact strings: scheme, host, port, path, case and the trailing slash all count.',
        ],
      }
    }
    const base = ctx.baseUrl ? safeUrl(ctx.baseUrl) : undefined
    const cb = safeUrl(probe.redirectUri)
    if (probe.redirectUri === ctx.sentUri && base && cb && base.origin !== cb.origin) {
      return {
        status: 'fail',
        kb: `${REJECTED}#public-url-misconfigured`,
        message: `the IdP rejects redirect_uri ${probe.redirectUri}${idp}: "${match.message}"; the app builds it on ${cb.origin}, not on its public URL ${base.origin}`,
        fix: [
          "Set the app's public URL setting (base URL, DOMAIN) to the address users open, so every callback it builds is right; then register that callback.",
        ],
      }
    }
    return {
      status: 'fail',
      kb: `${REJECTED}#callback-not-registered`,
      message: `the IdP rejects redirect_uri ${probe.redirectUri}${idp}: "${match.message}"`,
      fix: [register],
    }
  }
  return {
    status: 'fail',
    kb: REJECTED,
    message: `the IdP shows an error page for ${probe.redirectUri}${idp}: "${match.message}"`,
    fix: ["Read the error page (its text is in the evidence) and the IdP's logs for this client."],
  }
}
