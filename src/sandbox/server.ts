import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto'
import {rmSync} from 'node:fs'
import {dirname} from 'node:path'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {requestCookies as cookies, startIdp} from './idp.js'
import {prometheusApi} from './prometheus.js'
import {gatewayHandler, type ProductSecrets, productRoutes, rackHandler, writePipeline} from './products.js'
import {describeLoginError, type RelyingParty, relyingParty} from './rp.js'
import {
  type FaultId,
  IDP_CLOCK_OFFSET_SECONDS,
  SANDBOX_ARGOCD_TOKEN,
  SANDBOX_ARGOCD_TOKEN_ENV,
  SANDBOX_REVISION,
  SANDBOX_WEBHOOK_SECRET,
  SANDBOX_WEBHOOK_SECRET_ENV,
} from './faults.js'

export interface Sandbox {
  appUrl: string
  idpUrl: string
  faults: ReadonlySet<FaultId>
  /** A doctor.yaml (as an object) that points at this sandbox. */
  config: Record<string, unknown>
  /** Values made for this run that doctor must never print: the test user's password, the console's client secret. */
  secrets: string[]
  stop(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => unknown

const CLIENT_ID = 'sandbox-console'
const REALM = '/realms/sandbox'
const WEB_CALLBACK = '/api/v1/auth/web/callback'
const CLI_CALLBACK = '/api/v1/auth/cli/callback'
const USER = 'demo@sandbox.example'

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body, null, 2)
  res.writeHead(status, {'content-type': type, 'cache-control': 'no-store'})
  res.end(text)
}

function html(
  res: ServerResponse,
  status: number,
  title: string,
  body: string,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, {'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers})
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`,
  )
}

function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(302, {location, ...(cookies.length ? {'set-cookie': cookies} : {})})
  res.end()
}

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= 1_048_576) chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', () => resolve(Buffer.concat(chunks)))
  })
}

/** An Argo CD Application as its API returns it, synced to the expected revision or one behind. */
function argoApplication(behind: boolean): Record<string, unknown> {
  const previous = '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d'
  const revision = behind ? previous : SANDBOX_REVISION
  return {
    metadata: {name: 'sandbox-api', namespace: 'argocd'},
    spec: {
      project: 'sandbox',
      source: {repoURL: 'https://git.example.com/sandbox/deploy.git', path: 'apps/api', targetRevision: 'main'},
      destination: {namespace: 'sandbox'},
    },
    status: {
      sync: {status: behind ? 'OutOfSync' : 'Synced', revision},
      health: {status: behind ? 'Degraded' : 'Healthy'},
      history: [
        {id: 7, revision: previous, deployedAt: new Date(Date.now() - 86_400_000).toISOString()},
        ...(behind
          ? []
          : [{id: 8, revision: SANDBOX_REVISION, deployedAt: new Date(Date.now() - 600_000).toISOString()}]),
      ],
      resources: [
        {
          group: 'apps',
          kind: 'Deployment',
          namespace: 'sandbox',
          name: 'api',
          status: behind ? 'OutOfSync' : 'Synced',
          health: behind
            ? {status: 'Degraded', message: 'Deployment "api" exceeded its progress deadline'}
            : {status: 'Healthy'},
        },
        {kind: 'Service', namespace: 'sandbox', name: 'api', status: 'Synced', health: {status: 'Healthy'}},
      ],
    },
  }
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

async function listen(handler: Handler, host = '127.0.0.1', port = 0): Promise<{server: Server; url: string}> {
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res, new URL(req.url ?? '/', `http://${req.headers.host ?? host}`)))
      .catch((error: Error) => {
        if (!res.headersSent) json(res, 500, {error: error.message})
      })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const address = server.address() as AddressInfo
  return {server, url: `http://${host}:${address.port}`}
}

/** RFC 6750 answers: no error without a credential, invalid_token for an unknown one, insufficient_scope with the scope needed. */
function bearer(
  req: IncomingMessage,
  res: ServerResponse,
  tokens: ReadonlyMap<string, string[]>,
  scope?: string,
): string[] | undefined {
  const deny = (status: number, params = '') => {
    res.writeHead(status, {'www-authenticate': `Bearer realm="sandbox"${params}`, 'content-type': 'application/json'})
    res.end(JSON.stringify({error: status === 401 ? 'unauthorized' : 'forbidden'}))
    return undefined
  }
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
  if (!m) return deny(401)
  const scopes = tokens.get(m[1])
  if (!scopes) return deny(401, ', error="invalid_token", error_description="unknown or revoked token"')
  if (scope && !scopes.includes(scope)) return deny(403, `, error="insufficient_scope", scope="${scope}"`)
  return scopes
}

/**
 * The Release Passport app: a console behind an OIDC login (a relying party of the sandbox's
 * OpenID Provider: login-state cookie, code flow with PKCE, token exchange, session cookie), an
 * API with bearer auth, billing and license endpoints, evidence connectors, docs pages, liveness
 * and readiness endpoints, and the other products' routes.
 */
function appHandler(
  faults: ReadonlySet<FaultId>,
  origin: () => string,
  rp: RelyingParty,
  tokens: ReadonlyMap<string, string[]>,
  secrets: ProductSecrets,
): Handler {
  const products = productRoutes(faults, secrets)
  const sessions = new Map<string, string>() // session cookie value -> the user's email
  const stateAttributes = faults.has('state-cookie-samesite-none')
    ? 'Path=/; HttpOnly; SameSite=None'
    : 'Path=/; HttpOnly; SameSite=Lax'
  return async (req, res, url) => {
    if (url.pathname.startsWith('/prometheus/'))
      return prometheusApi(req, res, url, url.pathname.slice('/prometheus'.length))
    if (products(req, res, url)) return
    switch (url.pathname) {
      case '/':
        return html(
          res,
          200,
          'Release Passport',
          '<p><a href="/console">Open the console</a> · <a href="/docs/evidence">Evidence reference</a></p>',
        )
      case '/console': {
        const user = sessions.get(cookies(req).get('sb_session') ?? '')
        if (!user) return redirect(res, '/login')
        return html(
          res,
          200,
          'Console',
          `<p>Signed in as ${escape(user)}. Releases, evidence and settings live here.</p>`,
        )
      }
      case '/login': {
        const {key, url: authorize} = await rp.begin({
          redirect_uri: `${origin()}${WEB_CALLBACK}`,
          scope: 'openid email',
        })
        return redirect(res, authorize.href, [`sb_state=${key}; ${stateAttributes}`])
      }
      case WEB_CALLBACK: {
        const key = cookies(req).get('sb_state') ?? ''
        // No state cookie (the browser dropped it): start over, the way many apps do.
        if (!rp.pending(key)) return redirect(res, '/login')
        let claims: Record<string, unknown>
        try {
          // The code goes to the provider's token endpoint; the ID token is validated on the way back.
          claims = await rp.finish(key, new URL(url.pathname + url.search, origin()))
        } catch (error) {
          return html(res, 401, 'Sign-in failed', `<p class="error">${escape(describeLoginError(error))}</p>`)
        }
        const session = randomBytes(18).toString('base64url')
        sessions.set(session, String(claims.email ?? claims.sub))
        return redirect(res, '/console', [
          `sb_session=${session}; Path=/; HttpOnly; SameSite=Lax`,
          'sb_state=; Path=/; Max-Age=0',
        ])
      }
      case '/api/v1/billing/webhook': {
        if (req.method !== 'POST') return json(res, 405, {error: 'POST only'})
        const raw = await readRaw(req)
        // Stripe's scheme: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">, 300 s tolerance.
        const secret = faults.has('webhook-wrong-secret')
          ? 'whsec_sandbox_TEST_MODE_secret_0002'
          : SANDBOX_WEBHOOK_SECRET
        const header = String(req.headers['stripe-signature'] ?? '')
        const t = /(?:^|,)t=(\d+)/.exec(header)?.[1]
        const sigs = [...header.matchAll(/(?:^|,)v1=([0-9a-f]+)/g)].map((m) => m[1])
        if (!t || sigs.length === 0) return json(res, 400, {error: 'No signatures found with expected scheme'})
        const expected = createHmac('sha256', secret).update(`${t}.`).update(raw).digest()
        const good = sigs.some(
          (sig) => sig.length === expected.length * 2 && timingSafeEqual(Buffer.from(sig, 'hex'), expected),
        )
        if (!good) return json(res, 400, {error: 'No signatures found matching the expected signature for payload'})
        if (Math.abs(Date.now() / 1000 - Number(t)) > 300)
          return json(res, 400, {error: 'Timestamp outside the tolerance zone'})
        return json(res, 200, {received: true})
      }
      case '/api/v1/billing/status': {
        const pending = faults.has('billing-pending')
        return json(res, 200, {
          workspaceId: 'sandbox',
          status: pending ? 'pending' : 'active',
          plan: 'production',
          lastWebhookAt: pending ? null : new Date(Date.now() - 3_600_000).toISOString(),
        })
      }
      case '/api/v1/license':
        return json(res, 200, {
          workspaceId: 'sandbox',
          status: 'active',
          entitlements: {production: true, sso: true},
          features: ['production', 'sso'],
          activatedAt: new Date(Date.now() - 600_000).toISOString(),
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        })
      case '/api/v1/features':
        return json(res, 200, {
          production: !faults.has('runtime-not-restarted'),
          licenseLoadedAt: new Date(
            Date.now() - (faults.has('runtime-not-restarted') ? 86_400_000 : 300_000),
          ).toISOString(),
        })
      case '/api/v1/connectors/prometheus': {
        const stale = faults.has('connector-stale')
        return json(res, 200, {
          name: 'prometheus',
          health: stale ? 'stale' : 'ok',
          lastSyncAt: new Date(Date.now() - (stale ? 3 * 3_600_000 : 90_000)).toISOString(),
          ...(stale ? {lastError: 'GET http://prometheus.monitoring:9090/api/v1/query: 401 Unauthorized'} : {}),
        })
      }
      case '/api/v1/gates/current':
        return json(res, 200, {
          service: 'sandbox-api',
          namespace: 'sandbox',
          releaseId: 'rel-42',
          sourceSha: '4f2c9e1d7a',
        })
      case '/argocd/api/v1/applications':
      case '/argocd/api/v1/applications/sandbox-api': {
        if (req.headers.authorization !== `Bearer ${SANDBOX_ARGOCD_TOKEN}`)
          return json(res, 401, {error: 'no session information', code: 16})
        const app = argoApplication(faults.has('gitops-out-of-sync'))
        return json(res, 200, url.pathname.endsWith('/applications') ? {items: [app]} : app)
      }
      case '/docs/evidence': {
        const cells = [
          'service',
          'namespace',
          'release',
          'source SHA',
          'image digest',
          'gate',
          'evidence age',
          'connector',
        ]
          .map((c) => `<th>${c}</th>`)
          .join('')
        const table = `<table id="evidence-table"><tr>${cells}</tr></table>`
        // Fixed: the table scrolls inside its own wrapper instead of widening the page.
        return html(
          res,
          200,
          'Evidence reference',
          faults.has('docs-wide-table') ? table : `<div style="overflow-x:auto">${table}</div>`,
        )
      }
      case '/healthz':
        res.writeHead(200, {'content-type': 'text/plain'})
        return res.end('ok')
      case '/readyz': {
        const redisDown = faults.has('redis-down')
        return json(
          res,
          redisDown ? 503 : 200,
          {
            status: redisDown ? 'fail' : 'pass',
            serviceId: 'sandbox-api',
            checks: {
              'postgres:connections': [{componentType: 'datastore', status: 'pass', observedValue: 4}],
              'redis:connections': [
                redisDown
                  ? {
                      componentType: 'datastore',
                      status: 'fail',
                      output: 'dial tcp 127.0.0.1:6379: connect: connection refused',
                    }
                  : {componentType: 'datastore', status: 'pass', observedValue: 2},
              ],
            },
          },
          'application/health+json',
        )
      }
      case '/api/v1/whoami': {
        const scopes = bearer(req, res, tokens)
        return scopes && json(res, 200, {user: 'ci-bot', workspace: 'sandbox', scopes})
      }
      case '/api/v1/gates': {
        const scopes = bearer(req, res, tokens, 'gate:read')
        return scopes && json(res, 200, {gates: [{service: 'api', environment: 'production', state: 'open'}]})
      }
      default:
        return json(res, 404, {error: 'not found', path: url.pathname})
    }
  }
}

export async function startSandbox(options: {faults: Iterable<FaultId>; host?: string}): Promise<Sandbox> {
  const faults = new Set(options.faults)
  // The receiver's secret reaches doctor the way real ones do: through an environment variable.
  process.env[SANDBOX_WEBHOOK_SECRET_ENV] ??= SANDBOX_WEBHOOK_SECRET
  process.env[SANDBOX_ARGOCD_TOKEN_ENV] ??= SANDBOX_ARGOCD_TOKEN
  const host = options.host ?? '127.0.0.1'
  // A fresh password per sandbox: the config carries it, and doctor must never print it.
  const password = `sandbox-${randomBytes(9).toString('base64url')}`
  let appUrl = ''
  let idpRealm = ''
  // The CI token: valid, with the scopes the faults decide; pasted with a newline under token-trailing-newline.
  const token = `sbx_${randomBytes(18).toString('base64url')}`
  const tokens = new Map([
    [token, faults.has('token-under-scoped') ? ['evidence:read'] : ['gate:read', 'evidence:read']],
  ])
  const secret = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`
  const secrets: ProductSecrets = {
    rgwToken: secret('rgw_'),
    rackToken: secret('rack-'),
    apiKey: secret('atk_'),
    adminToken: secret('sba_'),
  }
  // The console is a confidential client: its secret stays between the app and the provider.
  const clientSecret = secret('sbc_')
  // The app reads the provider's metadata from the discovery URL and takes the issuer it publishes,
  // so its own login copes with issuer-trailing-slash; clients that compare the issuer exactly do not.
  const rp = relyingParty({
    discovery: () => `${idpRealm}/.well-known/openid-configuration`,
    clientId: CLIENT_ID,
    clientSecret,
  })
  const app = await listen(
    appHandler(faults, () => appUrl, rp, tokens, secrets),
    host,
  )
  appUrl = app.url
  // Rack Gateway in front of a Convox API; with the fault, RACK_HOST names a port where nothing listens.
  const rack = await listen(rackHandler(secrets), host)
  const nowhere = await listen(() => undefined, host)
  await new Promise<void>((resolve) => nowhere.server.close(() => resolve()))
  const rackHost = faults.has('gateway-rack-host-wrong') ? nowhere.url : rack.url
  const gateway = await listen(
    gatewayHandler(secrets, () => rackHost),
    host,
  )
  const ciDir = writePipeline(faults, app.url)
  // A stand-in Kubernetes API (plain HTTP on loopback, bearer token) and a real kubeconfig for it.
  const {deployment, pod, service, startFakeKube} = await import('./kube-api.js')
  const labels = {'app.kubernetes.io/name': 'sandbox-api'}
  const kube = await startFakeKube({
    namespaces: ['default', 'sandbox'],
    objects: [
      deployment('sandbox', 'api', labels),
      pod('sandbox', 'api-7d9f8-abcde', labels),
      pod('sandbox', 'api-7d9f8-fghij', labels),
      service('sandbox', 'api', labels),
    ],
    username: 'system:serviceaccount:sandbox:evidence-connector',
  })
  // The OpenID Provider: oidc-provider with the console registered as a client and the test user.
  const idp = await startIdp({
    mount: REALM,
    host,
    publicHost: host,
    deployment: true,
    loginTitle: 'Sign in to sandbox',
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [
          `${app.url}${WEB_CALLBACK}`,
          ...(faults.has('cli-callback-unregistered') ? [] : [`${app.url}${CLI_CALLBACK}`]),
        ],
      },
    ],
    users: {[USER]: {password, email: USER}},
    issuerTrailingSlash: faults.has('issuer-trailing-slash'),
    clockOffsetMs: faults.has('idp-clock-ahead') ? IDP_CLOCK_OFFSET_SECONDS * 1000 : 0,
  })
  idpRealm = idp.realm
  const config = {
    target: {name: 'sandbox', baseUrl: app.url},
    oidc: {
      issuer: idp.realm,
      clientId: CLIENT_ID,
      redirectUris: [`${app.url}${WEB_CALLBACK}`, `${app.url}${CLI_CALLBACK}`],
    },
    login: {consolePath: '/console', sessionCookie: 'sb_session', testUser: {username: USER, password}},
    api: {url: '/api/v1/gates', token: faults.has('token-trailing-newline') ? `${token}\n` : token, prefix: 'sbx_'},
    webhooks: [
      {
        name: 'stripe',
        url: '/api/v1/billing/webhook',
        scheme: 'stripe',
        secretEnv: SANDBOX_WEBHOOK_SECRET_ENV,
        allowWrites: true,
      },
    ],
    billing: {statusUrl: '/api/v1/billing/status'},
    entitlement: {
      url: '/api/v1/license',
      workspace: 'sandbox',
      expect: ['$.entitlements.production == true', '$.expiresAt in the future'],
      featureUrl: '/api/v1/features',
      featureExpect: ['$.production == true'],
    },
    prometheus: {
      url: `${app.url}/prometheus`,
      queries: [
        {
          name: 'api error rate',
          query: `sum(rate(http_requests_total{service="${faults.has('prometheus-label-mismatch') ? 'sandbox' : 'sandbox-api'}",namespace="sandbox",code="500"}[5m]))`,
        },
      ],
    },
    kubernetes: {
      kubeconfig: kube.kubeconfig,
      namespace: 'sandbox',
      workloads: [
        {
          selector: faults.has('kube-selector-mismatch') ? 'app=sandbox-api' : 'app.kubernetes.io/name=sandbox-api',
          service: 'api',
        },
      ],
    },
    gitops: {
      argocd: {url: `${app.url}/argocd`, tokenEnv: SANDBOX_ARGOCD_TOKEN_ENV, app: 'sandbox-api', project: 'sandbox'},
      expectedRevision: SANDBOX_REVISION.slice(0, 10),
    },
    evidence: {
      connectors: [
        {name: 'prometheus connector', url: '/api/v1/connectors/prometheus', lastSync: '$.lastSyncAt', maxAge: '15m'},
      ],
      scope: {
        url: '/api/v1/gates/current',
        expect: ['$.service == sandbox-api', '$.namespace == sandbox', '$.sourceSha == 4f2c9e1d7a'],
      },
    },
    mobile: {
      pages: [
        {url: '/', name: 'home'},
        {url: '/docs/evidence', name: 'docs-evidence'},
      ],
    },
    readiness: {
      endpoints: [
        {url: '/readyz', name: 'api'},
        {url: '/healthz', name: 'liveness'},
      ],
    },
    clock: {samples: 5},
    gateway: {
      health: `${gateway.url}/api/v1/health`,
      upstreamProbe: `${gateway.url}/system`,
      headers: {Authorization: `Bearer ${secrets.rgwToken}`},
      upstreamUrl: rack.url,
    },
    portal: {path: '/portal/'},
    audit: {
      url: '/api/v1/portal/audit',
      headers: {'X-API-Key': secrets.apiKey},
      probe: {url: '/v1/whoami', headers: {'X-API-Key': secrets.apiKey}},
    },
    agents: {
      url: '/api/v1/agents',
      headers: {Authorization: `Bearer ${secrets.adminToken}`},
      auditUrl: '/api/v1/audit-events?action=agent.heartbeat',
    },
    pipeline: {root: ciDir, files: ['.github/workflows/*.yml', '.gitlab-ci.yml']},
  }
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return {
    appUrl: app.url,
    idpUrl: idp.origin,
    faults,
    config,
    secrets: [password, clientSecret],
    stop: async () => {
      await Promise.all([close(app.server), idp.stop(), close(rack.server), close(gateway.server), kube.close()])
      rmSync(dirname(kube.kubeconfig), {recursive: true, force: true})
      rmSync(ciDir, {recursive: true, force: true})
    },
  }
}
