import {createHash, createHmac} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {join} from 'node:path'
import {matches, parseSelectors} from '../../src/facts/prometheus.js'
import {startServer} from './servers.js'

/**
 * A "leaky deployment": loopback servers that behave like a badly configured self-hosted app, its
 * OpenID Provider, its Kubernetes API, its Prometheus and its Argo CD, and that hand back secrets
 * in every place a real server may put one (Set-Cookie, Location query and fragment, JSON at any
 * depth under any member name, YAML, form bodies, HTML hidden inputs and inline scripts, error pages
 * echoing headers or the environment, stack traces, PEM private keys in every shape, cloud and SaaS
 * key shapes, Kubernetes Secrets and kubeconfigs, Prometheus label values, a JWKS with private
 * members...). Every planted value is a canary: a fixed, unique value (derived from its id, so runs
 * are reproducible) with the exact substrings that must never appear in anything doctor prints or
 * writes. Next to the canaries sit survivors: non-secret values doctor must keep readable.
 *
 * The catalogue is data: each place is a route (a path on one of the servers, and the config key
 * that makes doctor request it); a body builder plants canaries with `p.secret(...)` and survivors
 * with `p.keep(...)`. To cover a new class, add a route whose body plants it; the test drives the
 * CLI and scans bytes, so it does not care how the redactor works.
 *
 * Where doctor looks, and where it does not (so a canary there proves nothing today):
 * - it records status, a few response headers and the first 2 KiB of a *textual* body (json, text,
 *   xml, html, javascript, form) of every request; `application/yaml` bodies are requested but not
 *   recorded (the /config.yaml canaries stay unseen until that changes), so survivors never sit there;
 * - the Kubernetes client's answers are not recorded: only what the check quotes (condition and
 *   waiting messages, Status messages, SelfSubjectAccessReview evaluationError) can leak; doctor
 *   never reads Secrets, so a Secret manifest is served inside a Status message and as a body;
 * - the bodies doctor *sends* (login form fields, webhook events) are not recorded;
 * - gateway.upstreamUrl is not requested when the 502 body already names a credential problem, and
 *   /api/v1/labels is not requested for these queries: neither is a place;
 * - screenshots are images: text drawn in pixels (the mobile page's token) cannot be scanned.
 */

// ---------------------------------------------------------------------------------------------
// Canaries and survivors

export type CanaryClass =
  | 'cookie'
  | 'redirect-url'
  | 'json-member'
  | 'env-pair'
  | 'escaped-json'
  | 'yaml'
  | 'form-body'
  | 'html'
  | 'error-page'
  | 'url-userinfo'
  | 'pem'
  | 'cloud-key'
  | 'vendor-token'
  | 'jwt'
  | 'prose'
  | 'kubernetes'
  | 'prometheus'
  | 'oidc'
  | 'known-value'
  | 'mobile'

export interface Canary {
  /** Stable id, "<class>.<what>" (e.g. "json-member.admin_password"). */
  id: string
  cls: CanaryClass
  /** Where it is served (a place id, see `places`). */
  place: string
  /** The value as planted (before any encoding the place applies, such as base64 in a cookie). */
  value: string
  /** The exact substrings that must never appear in any output, in any encoding. */
  secrets: string[]
}

export interface Survivor {
  id: string
  /** The non-secret value that must stay readable. */
  value: string
  place: string
  /**
   * How to tell the place was copied into an output at all: for a response, the exchange's URL
   * path and the part that carries the value (the report must hold that exchange with a body
   * snippet, or with the response headers); for a config value, the config key next to it; for a
   * path, a suffix of it.
   */
  anchor: {kind: 'exchange'; path: string; part: 'body' | 'headers'} | {kind: 'text'; text: string}
  /** Which report kinds must keep it: the JSON report always; Markdown for config values and messages. */
  outputs: Array<'json' | 'markdown'>
}

export interface Place {
  id: string
  /** The config key that makes doctor request it. */
  via: string
  what: string
  /** Set when the place is only requested under a condition (a browser present). */
  optional?: string
}

export interface LeakyOptions {
  /** The folder the CLI runs in (env PWD): a survivor, through the config file written there. */
  cwd: string
  /** HOME: the kubeconfig is written under it, and its path must survive. */
  home: string
  /** OLDPWD: the pipeline folder doctor reads, whose path must survive. */
  oldpwd: string
  /** Add mobile.pages (viewport-overflow opens them in Chromium). */
  mobile: boolean
  screenshots?: string
}

export interface LeakyDeployment {
  appUrl: string
  idpUrl: string
  kubeUrl: string
  canaries: Canary[]
  survivors: Survivor[]
  places: Place[]
  /** Requests served per place id (counted by the servers). */
  hits: Record<string, number>
  /** doctor.yaml as an object. */
  config: Record<string, unknown>
  /** The file name the test writes the config to, in cwd. */
  configFile: string
  /** Environment the CLI must run with (the variables the config names). */
  env: Record<string, string>
  close(): Promise<void>
}

/** Deterministic bytes from a seed (SHA-256 in counter mode): fixed canaries, no Math.random. */
function stream(seed: string, n: number): Buffer {
  const parts: Buffer[] = []
  for (let i = 0, len = 0; len < n; i++) {
    const h = createHash('sha256').update(`leaky:${seed}:${i}`).digest()
    parts.push(h)
    len += h.length
  }
  return Buffer.concat(parts).subarray(0, n)
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const LOWER = 'abcdefghijklmnopqrstuvwxyz'
const DIGITS = '0123456789'
const ALNUM = UPPER + LOWER + DIGITS
const HEX = '0123456789abcdef'
const B64 = `${ALNUM}+/`
const B64URL = `${ALNUM}-_`

function rand(seed: string, alphabet: string, n: number): string {
  return [...stream(seed, n)].map((b) => alphabet[b % alphabet.length]).join('')
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url')
const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64')
const htmlAttr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/** A PEM body: base64 of seeded bytes, in 64-character lines (70 for OpenSSH), optionally after a fixed DER prefix. */
function pemLines(seed: string, bytes: number, prefix = '', width = 64): string[] {
  const text = prefix + b64(stream(seed, bytes)).replace(/=+$/, '')
  const lines: string[] = []
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width))
  return lines
}

/** A JWT-shaped value: header, a unique payload, a signature; the payload and signature are secret. */
function jwt(seed: string, claims: Record<string, unknown>): {token: string; parts: string[]} {
  const header = b64url(JSON.stringify({alg: 'RS256', typ: 'JWT', kid: 'leaky-signing-2025'}))
  const payload = b64url(JSON.stringify({...claims, jti: rand(`${seed}:jti`, ALNUM, 22)}))
  const signature = b64url(stream(`${seed}:sig`, 256))
  return {token: `${header}.${payload}.${signature}`, parts: [payload, signature]}
}

class Planter {
  readonly canaries: Canary[] = []
  readonly survivors: Survivor[] = []

  /** Plant a canary; returns the value to embed. */
  secret(cls: CanaryClass, what: string, place: string, value: string, secrets: string[] = [value]): string {
    const id = `${cls}.${what}`
    if (this.canaries.some((c) => c.id === id)) throw new Error(`duplicate canary id ${id}`)
    this.canaries.push({id, cls, place, value, secrets})
    return value
  }

  /** A random canary of `n` characters from `alphabet`, with an optional fixed prefix (token shapes). */
  random(cls: CanaryClass, what: string, place: string, n: number, alphabet = ALNUM, prefix = ''): string {
    return this.secret(cls, what, place, prefix + rand(`${cls}.${what}`, alphabet, n))
  }

  keep(
    id: string,
    place: string,
    value: string,
    anchor: Survivor['anchor'],
    outputs: Survivor['outputs'] = ['json'],
  ): string {
    if (this.survivors.some((s) => s.id === id)) throw new Error(`duplicate survivor id ${id}`)
    this.survivors.push({id, value, place, anchor, outputs})
    return value
  }
}

// ---------------------------------------------------------------------------------------------
// Routes

interface Reply {
  status: number
  headers?: Record<string, string | string[]>
  body?: string
}

interface Route {
  place: string
  method?: 'GET' | 'POST'
  /** Path without the query (or a pattern for it); the handler sees the full URL. */
  path: string | RegExp
  reply: (url: URL, req: IncomingMessage, body: string) => Reply
}

const json = (
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
  type = 'application/json',
): Reply => ({
  status,
  headers: {'content-type': type, ...headers},
  body: typeof body === 'string' ? body : JSON.stringify(body),
})
const text = (
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
  headers: Record<string, string | string[]> = {},
): Reply => ({status, headers: {'content-type': type, ...headers}, body})

/** Bytes doctor keeps of a body: the first 2 KiB (ExchangeRecord.bodySnippet). */
const SNIPPET_BYTES = 2048

export async function startLeakyDeployment(options: LeakyOptions): Promise<LeakyDeployment> {
  const p = new Planter()
  const hits: Record<string, number> = {}
  const places: Place[] = []
  const place = (id: string, via: string, what: string, optional?: string) => {
    places.push({id, via, what, ...(optional ? {optional} : {})})
    hits[id] = 0
    return id
  }
  const appRoutes: Route[] = []
  const idpRoutes: Route[] = []
  const kubeRoutes: Route[] = []
  let appUrl = ''
  let idpUrl = ''

  const handler = (routes: () => Route[], origin: () => string) => (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin())
      noteKnownValues(req, Buffer.concat(chunks).toString('utf8'))
      const method = req.method === 'HEAD' ? 'GET' : req.method
      const route = routes().find(
        (r) =>
          (typeof r.path === 'string' ? r.path === url.pathname : r.path.test(url.pathname)) &&
          (r.method ?? 'GET') === method,
      )
      if (!route) {
        res.writeHead(req.method === 'HEAD' ? 200 : 404, {'content-type': 'application/json'})
        return res.end(req.method === 'HEAD' ? undefined : JSON.stringify({error: 'not found', path: url.pathname}))
      }
      if (req.method !== 'HEAD') hits[route.place] = (hits[route.place] ?? 0) + 1
      const r = route.reply(url, req, Buffer.concat(chunks).toString('utf8'))
      res.writeHead(r.status, r.headers ?? {})
      res.end(req.method === 'HEAD' ? undefined : (r.body ?? ''))
    })
  }

  const app = await startServer(
    handler(
      () => appRoutes,
      () => appUrl,
    ),
  )
  const idp = await startServer(
    handler(
      () => idpRoutes,
      () => idpUrl,
    ),
  )
  const kube = await startServer(
    handler(
      () => kubeRoutes,
      () => kube.url,
    ),
  )
  appUrl = app.url
  idpUrl = idp.url
  // Idle keep-alive sockets are closed by the client first: a server closing one just as a loaded
  // client reuses it would turn a place into a connection reset ("other side closed").
  for (const s of [app, idp, kube]) {
    s.server.keepAliveTimeout = 60_000
    s.server.headersTimeout = 65_000
  }
  const realm = `${idpUrl}/realms/leaky`

  // ---- Known values: doctor learns them from the environment; servers echo them back -------------
  const env: Record<string, string> = {}
  const known = (name: string, what: string, value: string) => {
    env[name] = value
    p.secret('known-value', what, `env:${name}`, value)
    place(`env:${name}`, `env var ${name}`, `${what}: doctor sends it; counted when a request carries it`)
    return value
  }
  const apiToken = known('LEAKY_API_TOKEN', 'api-token', `lky_${rand('api-token', ALNUM, 32)}`)
  const webhookSecret = known('LEAKY_WEBHOOK_SECRET', 'webhook-secret', `whsec_${rand('webhook-secret', ALNUM, 32)}`)
  const argoToken = known('LEAKY_ARGOCD_TOKEN', 'argocd-token', rand('argocd-token', B64URL, 40))
  const testPassword = known('LEAKY_TEST_PASSWORD', 'test-user-password', `Pw-${rand('test-password', ALNUM, 18)}`)
  const healthToken = known('LEAKY_HEALTH_TOKEN', 'health-bearer', rand('health-bearer', ALNUM, 30))
  const probeCookie = known('LEAKY_PROBE_COOKIE', 'health-cookie', rand('health-cookie', ALNUM, 28))
  const probeKey = known('LEAKY_PROBE_KEY', 'health-api-key', `pk-${rand('health-api-key', ALNUM, 26)}`)
  const knownValues = Object.entries(env)
  /** A known value counts as used when a request carries it (headers or form body), or, for the webhook secret, signs one. */
  function noteKnownValues(req: IncomingMessage, body: string) {
    let form = body
    try {
      form = decodeURIComponent(body.replace(/\+/g, ' '))
    } catch {
      // not form-encoded
    }
    const sent = `${JSON.stringify(req.headers)}\n${form}`
    for (const [name, value] of knownValues)
      if (sent.includes(value)) hits[`env:${name}`] = (hits[`env:${name}`] ?? 0) + 1
    const signature = String(req.headers['stripe-signature'] ?? '')
    const t = /(?:^|,)t=(\d+)/.exec(signature)?.[1]
    if (t && signature.includes(`v1=${createHmac('sha256', webhookSecret).update(`${t}.${body}`).digest('hex')}`))
      hits['env:LEAKY_WEBHOOK_SECRET'] = (hits['env:LEAKY_WEBHOOK_SECRET'] ?? 0) + 1
  }

  const readiness: Array<{url: string; name: string; headers?: Record<string, string>}> = []
  /** A readiness endpoint: doctor GETs it and records status, headers and the body's first 2 KiB. */
  const health = (
    path: string,
    name: string,
    what: string,
    build: (placeId: string) => Reply,
    headers?: Record<string, string>,
  ) => {
    const id = place(`readiness:${name}`, 'readiness.endpoints', what)
    const reply = build(id)
    appRoutes.push({place: id, path, reply: () => reply})
    readiness.push({url: path, name, ...(headers ? {headers} : {})})
    return id
  }
  /** An app route some other config key points at. */
  const appRoute = (
    id: string,
    via: string,
    path: string,
    what: string,
    reply: (url: URL, req: IncomingMessage, body: string) => Reply,
    method: 'GET' | 'POST' = 'GET',
    optional?: string,
  ) => {
    place(id, via, what, optional)
    appRoutes.push({place: id, path, method, reply})
  }
  const fixed = (r: Reply) => () => r

  // Survivors that ride along in bodies: anchored on the exchange that carries them.
  const keepIn =
    (placeId: string, path: string, part: 'body' | 'headers' = 'body') =>
    (id: string, value: string) =>
      p.keep(id, placeId, value, {kind: 'exchange', path, part})

  // ---- Cookies -----------------------------------------------------------------------------------
  health(
    '/health/cookies',
    'cookies',
    'Set-Cookie values: plain, __Host- prefixed, long, base64 JSON with a CSRF token inside, XSRF',
    (id) => {
      const keep = keepIn(id, '/health/cookies', 'headers')
      const csrfInside = p.random('cookie', 'rack-session-csrf-inside-base64', id, 32, B64URL)
      const rackSession = `${b64(JSON.stringify({session_id: 'sid-7', user_id: 42, _csrf_token: csrfInside}))}--${rand('rack-sig', HEX, 40)}`
      const long = p.random('cookie', 'remember-me-long', id, 1800, B64URL)
      return json(
        200,
        {status: 'pass'},
        {
          'set-cookie': [
            `session=${p.random('cookie', 'session', id, 32)}; Path=/; HttpOnly`,
            `${keep('cookie-name-host-prefixed', '__Host-leaky_sid')}=${p.random('cookie', 'host-prefixed', id, 43, B64URL)}; Path=/; Secure; HttpOnly; SameSite=Lax`,
            `${keep('cookie-name-remember', 'remember_me')}=${long}; Max-Age=2592000; Path=/`,
            `rack.session=${rackSession}; path=/; HttpOnly`,
            `XSRF-TOKEN=${p.random('cookie', 'xsrf', id, 40, B64URL)}; Path=/`,
          ],
          'x-request-id': keep('request-id-header', '5d1c7e2a-8f43-4b6e-9a0c-3e2f1b7d9c41'),
        },
      )
    },
  )
  p.keep('header name x-request-id', 'readiness:cookies', 'x-request-id', {
    kind: 'exchange',
    path: '/health/cookies',
    part: 'headers',
  })

  // ---- Redirects: Location query and fragment ------------------------------------------------------
  health(
    '/health/redirect-query',
    'redirect-query',
    'a 302 whose Location query carries an OAuth code, state, a Keycloak session_code and a presigned-URL signature',
    (id) => {
      const keep = keepIn(id, '/health/redirect-query', 'headers')
      const q = [
        `code=${p.random('redirect-url', 'code', id, 36, B64URL)}`,
        `state=${p.random('redirect-url', 'state', id, 24, B64URL)}`,
        `trace=${keep('redirect-trace-uuid', '0b6f3a52-9d1e-4c7a-8e25-71f4c3d2a9b6')}`,
        `session_code=${p.random('redirect-url', 'session-code', id, 43, B64URL)}`,
        `X-Amz-Algorithm=AWS4-HMAC-SHA256`,
        `X-Amz-Signature=${p.random('redirect-url', 'x-amz-signature', id, 64, HEX)}`,
        `region=${keep('redirect-region', 'eu-central-1')}`,
      ].join('&')
      return json(302, '', {location: `https://sso.leaky.example/oauth/callback?${q}`})
    },
  )
  health(
    '/health/redirect-fragment',
    'redirect-fragment',
    'a 302 whose Location fragment carries access_token, id_token and a refresh token (implicit-flow style)',
    (id) => {
      const keep = keepIn(id, '/health/redirect-fragment', 'headers')
      const idToken = jwt('redirect-url.id-token', {sub: 'svc-leaky-reader', aud: 'leaky-console', iss: realm})
      p.secret('jwt', 'fragment-id-token', id, idToken.token, idToken.parts)
      const frag = [
        `access_token=${p.random('redirect-url', 'fragment-access-token', id, 40, B64URL)}`,
        `id_token=${idToken.token}`,
        keep('fragment-token-type', 'token_type=Bearer'),
        keep('fragment-expires-in', 'expires_in=3599'),
        `rt=${p.random('redirect-url', 'fragment-refresh-token', id, 48, B64URL)}`,
      ].join('&')
      return json(302, '', {location: `https://app.leaky.example/signed-in#${frag}`})
    },
  )

  // ---- JSON members under many names, at any depth ------------------------------------------------
  health(
    '/health/json-members',
    'json-members',
    'a 503 health body with credentials under snake, camel, kebab and UPPER member names, nested and in arrays',
    (id) => {
      const keep = keepIn(id, '/health/json-members')
      const s = (what: string, n = 26) => p.random('json-member', what, id, n)
      return json(503, {
        status: 'fail',
        request_id: keep('request-id', 'req_7f3a9c2e1b4d'),
        region: keep('region', 'us-east-1'),
        db_host: keep('db-host', 'db.internal.leaky.example'),
        commit: keep('git-sha', '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d'),
        checks: {
          'postgres:connections': [
            {
              status: 'fail',
              output: 'password authentication failed',
              admin_password: s('admin_password'),
              db_pass: s('db_pass'),
            },
          ],
        },
        agents: {agentSecret: s('agentSecret'), registration_access_token: s('registration_access_token', 40)},
        license: {
          license_key: s('license_key', 32),
          keyId: keep('keyId', 'key_01HX4N8Q2W'),
          session_timeout: 1800,
          password_policy: keep('password_policy', 'min-length-12-mixed'),
          secret_count: 3,
        },
        upstream_status: 502,
        integrations: [
          {name: 'stripe', apiKey: s('apiKey')},
          {name: 'github', 'x-api-key': s('x-api-key')},
          {
            name: 'oauth',
            'client-secret': s('client-secret'),
            tokenUrl: keep('tokenUrl', 'https://idp.leaky.example/oauth2/v1/token'),
          },
        ],
        AUTH_TOKEN: s('AUTH_TOKEN', 30),
        webhook_signing_secret: s('webhook_signing_secret', 32),
        refreshToken: s('refreshToken', 40),
        sessionId: s('sessionId', 32),
        credentials: {username: keep('username', 'svc-leaky-reader'), password: s('credentials.password', 20)},
        privateKey: s('privateKey', 44),
        token_endpoint: keep('token_endpoint', 'https://idp.leaky.example/realms/leaky/protocol/openid-connect/token'),
      })
    },
  )
  // Member-and-value survivors of that body, as its snippet shows them.
  for (const [name, value] of [
    ['session_timeout', '"session_timeout":1800'],
    ['secret_count', '"secret_count":3'],
    ['upstream_status (a status code)', '"upstream_status":502'],
  ])
    p.keep(name!, 'readiness:json-members', value!, {kind: 'exchange', path: '/health/json-members', part: 'body'})
  health(
    '/health/env-pairs',
    'env-pairs',
    'a pod spec as JSON: env entries {"name":"RACK_TOKEN","value":"…"}, a URL with userinfo, and a JSON string holding escaped JSON',
    (id) => {
      const keep = keepIn(id, '/health/env-pairs')
      return json(200, {
        status: 'pass',
        pod: {
          spec: {
            containers: [
              {
                name: 'api',
                image: keep('image-digest', `registry.leaky.example/api@sha256:${rand('image-digest', HEX, 64)}`),
                env: [
                  {name: 'RACK_TOKEN', value: p.random('env-pair', 'RACK_TOKEN', id, 36)},
                  {
                    name: 'DATABASE_URL',
                    value: `postgres://leaky:${p.random('url-userinfo', 'env-database-url', id, 22)}@db.internal.leaky.example:5432/leaky`,
                  },
                  {name: 'LOG_LEVEL', value: keep('env-log-level', 'debug-verbose')},
                  {name: 'SMTP_PASS', value: p.random('env-pair', 'SMTP_PASS', id, 20)},
                ],
              },
            ],
          },
        },
        config: JSON.stringify({
          secret_key_base: p.random('escaped-json', 'secret_key_base', id, 64, HEX),
          smtp: {password: p.random('escaped-json', 'smtp.password', id, 22)},
          created_at: keep('created-at', '2025-05-01T10:00:00Z'),
        }),
      })
    },
  )

  // ---- YAML and form bodies ---------------------------------------------------------------------------
  health('/config.yaml', 'runtime-yaml', 'the runtime config served as application/yaml', (id) => {
    return text(
      200,
      [
        '# leaky runtime configuration',
        'server:',
        '  port: 8080',
        '  host: db.internal.leaky.example',
        'database:',
        '  user: leaky',
        `  password: ${p.random('yaml', 'database.password', id, 24)}`,
        'aws:',
        '  region: us-west-2',
        `  aws_access_key_id: ${p.random('cloud-key', 'yaml-aws-access-key-id', id, 16, UPPER + DIGITS, 'AKIA')}`,
        `  aws_secret_access_key: ${p.random('cloud-key', 'yaml-aws-secret-access-key', id, 40, B64)}`,
        'oauth:',
        `  clientSecret: "${p.random('yaml', 'oauth.clientSecret', id, 32)}"`,
        '  commit: 9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d',
        '',
      ].join('\n'),
      'application/yaml',
    )
  })
  health(
    '/health/form',
    'form-body',
    'an application/x-www-form-urlencoded body (a token request echoed back)',
    (id) => {
      const keep = keepIn(id, '/health/form')
      return text(
        400,
        [
          'grant_type=refresh_token',
          'client_id=leaky-console',
          `client_secret=${p.random('form-body', 'client_secret', id, 32)}`,
          `refresh_token=${p.random('form-body', 'refresh_token', id, 40)}`,
          `username=${keep('form-username', 'svc-leaky-form')}`,
          `password=${p.random('form-body', 'password', id, 18)}`,
          `otp_seed=${p.random('form-body', 'otp_seed', id, 32, UPPER + '234567')}`,
          'scope=openid+profile',
        ].join('&'),
        'application/x-www-form-urlencoded',
      )
    },
  )

  // ---- HTML: hidden inputs, meta, inline config, a Keycloak form action --------------------------------
  health(
    '/health/signin',
    'html-form',
    'an HTML sign-in page: hidden inputs (attribute orders and quotes vary), meta csrf-token, window.__CONFIG__, a form action with session_code',
    (id) => {
      const keep = keepIn(id, '/health/signin')
      const action = `https://sso.leaky.example/realms/leaky/login-actions/authenticate?session_code=${p.random('html', 'form-action-session-code', id, 43, B64URL)}&execution=${keep('html-execution-uuid', '9f1c3a0e-6b0a-4b55-9d2e-6c8f2f7e1a11')}&client_id=leaky-console&tab_id=Xq3hZ1bJb6k`
      return text(
        200,
        `<!doctype html><html><head><title>Leaky sign-in</title>
<meta name="csrf-token" content="${p.random('html', 'meta-csrf-token', id, 44, B64URL)}">
<script>window.__CONFIG__ = {apiKey: "${p.random('html', 'inline-script-apiKey', id, 39, ALNUM, 'AIza')}", tokenUrl: "${keep('html-token-url', 'https://idp.leaky.example/token')}", release: "1.4.2"};</script>
</head><body><h1>Sign in</h1>
<form method="post" action="${htmlAttr(action)}">
<input type="hidden" name="client_secret" value="${p.random('html', 'hidden-client_secret', id, 32)}">
<input value='${p.random('html', 'hidden-csrf_token-single-quotes', id, 32, B64URL)}' type='hidden' name='csrf_token'>
<input name=authenticity_token type=hidden value=${p.random('html', 'hidden-authenticity_token-unquoted', id, 40, ALNUM)}>
<input id="k" type="hidden" data-x="1" value="${p.random('html', 'hidden-api_key-value-first', id, 30)}" name="api_key" />
<input type="text" name="username"><input type="password" name="password"></form></body></html>`,
        'text/html; charset=utf-8',
      )
    },
  )

  // ---- Error pages: echoed headers, an environment dump, stack traces -----------------------------------
  health(
    '/health/echo',
    'error-echo',
    'a 500 text/plain page echoing the request headers doctor sent (Authorization, Cookie, X-Api-Key), an upstream cookie and a Basic credential',
    (id) => {
      const keep = keepIn(id, '/health/echo')
      const upstreamPass = p.random('error-page', 'echoed-basic-auth-password', id, 20)
      return text(
        500,
        [
          '500 Internal Server Error',
          `request id ${keep('echo-request-id', 'c0ffee00-1234-4abc-9def-0123456789ab')}`,
          'Request headers as received:',
          `Authorization: Bearer ${healthToken}`,
          `Cookie: probe_session=${probeCookie}; _upstream_sid=${p.random('error-page', 'echoed-upstream-cookie', id, 32)}`,
          `X-Api-Key: ${probeKey}`,
          `X-Forwarded-Authorization: ${b64(`Bearer ${healthToken}`)}`,
          `forwarded upstream as Basic ${b64(`svc-health:${upstreamPass}`)}`,
          '',
        ].join('\n'),
      )
    },
    {
      Authorization: 'Bearer ${LEAKY_HEALTH_TOKEN}',
      Cookie: 'probe_session=${LEAKY_PROBE_COOKIE}',
      'X-Api-Key': '${LEAKY_PROBE_KEY}',
      'X-Leaky-Tenant': 'tenant-7f',
    },
  )
  health(
    '/health/env-dump',
    'error-env-dump',
    'a 502 text/html page where the upstream echoes its environment',
    (id) => {
      const keep = keepIn(id, '/health/env-dump')
      return text(
        502,
        `<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>upstream crashed; environment follows</p><pre>
RACK_TOKEN=${p.random('error-page', 'env-RACK_TOKEN', id, 36)}
export DATABASE_PASSWORD=${p.random('error-page', 'env-export-DATABASE_PASSWORD', id, 22)}
AWS_ACCESS_KEY_ID=${p.random('cloud-key', 'env-aws-access-key-id', id, 16, UPPER + DIGITS, 'AKIA')}
AWS_SECRET_ACCESS_KEY=${p.random('cloud-key', 'env-aws-secret-access-key', id, 40, B64)}
SECRET_KEY_BASE=${p.random('error-page', 'env-SECRET_KEY_BASE', id, 96, HEX)}
HOME=${keep('env-dump-home', '/home/leaky-app')}
</pre></body></html>`,
        'text/html; charset=utf-8',
      )
    },
  )
  health(
    '/health/trace',
    'error-trace',
    'a 503 text/plain page with Python and Java stack traces holding connection strings',
    (id) => {
      const keep = keepIn(id, '/health/trace')
      return text(
        503,
        [
          'Traceback (most recent call last):',
          '  File "/app/leaky/db.py", line 12, in connect',
          `    engine = create_engine("postgresql://leaky_app:${p.random('url-userinfo', 'python-traceback-dsn', id, 22)}@db.internal.leaky.example:5432/leaky")`,
          'sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "db.internal.leaky.example" (10.0.0.7), port 5432 failed',
          `  trace_id=${keep('trace-id', '4bf92f3577b34da6a3ce929d0e0e4736')}`,
          "Exception in thread \"main\" java.sql.SQLException: Access denied for user 'leaky'@'10.0.0.7' (using password: YES)",
          `\tat com.leaky.Db.open(Db.java:42) url=jdbc:mysql://db.internal.leaky.example:3306/leaky?user=leaky&password=${p.random('url-userinfo', 'jdbc-password-param', id, 20)}&useSSL=true`,
          `Caused by: redis.clients.jedis.exceptions.JedisDataException: WRONGPASS for redis://:${p.random('url-userinfo', 'redis-empty-user', id, 24)}@redis.leaky:6379/0`,
          '',
        ].join('\n'),
      )
    },
  )

  // ---- PEM private keys in every shape --------------------------------------------------------------
  const pem = (what: string, placeId: string, label: string, lines: string[]) => {
    const begin = `-----BEGIN ${label}-----`
    const end = `-----END ${label}-----`
    const full = [begin, ...lines, end].join('\n')
    // Each body line, and the body as one multi-line value (so newline-collapsed forms are searched too).
    p.secret('pem', what, placeId, full, [...lines, lines.join('\n')])
    return {full, begin, end, lines}
  }
  health('/health/pem-plain', 'pem-plain', 'a multi-line PKCS#8 RSA key in a text/plain 500 body', (id) => {
    const k = pem(
      'pkcs8-multiline',
      id,
      'PRIVATE KEY',
      pemLines('pem.pkcs8-multiline', 600, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'),
    )
    return text(500, `TLS setup failed, key loaded from /etc/leaky/tls.key:\n${k.full}\n`)
  })
  health('/health/pem-collapsed', 'pem-collapsed', 'an RSA key whose newlines a logger collapsed into spaces', (id) => {
    const k = pem(
      'rsa-collapsed-to-spaces',
      id,
      'RSA PRIVATE KEY',
      pemLines('pem.rsa-collapsed', 600, 'MIIEowIBAAKCAQEA'),
    )
    return json(500, {status: 'fail', error: `cannot parse key: ${k.full.replace(/\n/g, ' ')}`})
  })
  health(
    '/health/pem-json',
    'pem-json-escaped',
    'a key inside a JSON string, newlines escaped as \\n, under a neutral member name',
    (id) => {
      const k = pem(
        'json-escaped',
        id,
        'PRIVATE KEY',
        pemLines('pem.json-escaped', 560, 'MIIEvgIBADANBgkqhkiG9w0BAQEFAASC'),
      )
      return json(500, {status: 'fail', tls: {key: k.full, cert_serial: '4F:2C:9E:1D'}})
    },
  )
  health(
    '/health/gcp-service-account',
    'pem-gcp',
    'a GCP service-account JSON: "private_key": "-----BEGIN PRIVATE KEY-----\\n…"',
    (id) => {
      const keep = keepIn(id, '/health/gcp-service-account')
      const k = pem(
        'gcp-service-account',
        id,
        'PRIVATE KEY',
        pemLines('pem.gcp', 600, 'MIIEvAIBADANBgkqhkiG9w0BAQEFAASC'),
      )
      return json(200, {
        type: 'service_account',
        project_id: keep('gcp-project-id', 'leaky-prod-381207'),
        private_key_id: rand('gcp-key-id', HEX, 40),
        private_key: `${k.full}\n`,
        client_email: 'evidence@leaky-prod-381207.iam.gserviceaccount.com',
        public_key: keepIn(id, '/health/gcp-service-account')(
          'public_key (an SSH public key)',
          `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${rand('ssh-public-key', B64, 43)} deploy@leaky`,
        ),
        token_uri: 'https://oauth2.googleapis.com/token',
      })
    },
  )
  health('/health/pem-openssh', 'pem-openssh', 'an OpenSSH private key in a deploy-debug page', (id) => {
    const k = pem(
      'openssh',
      id,
      'OPENSSH PRIVATE KEY',
      pemLines('pem.openssh', 400, 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW', 70),
    )
    return text(500, `deploy key (git@github.com:leaky/deploy.git) rejected:\n${k.full}\n`)
  })
  health('/health/pem-ec', 'pem-ec', 'an EC private key in a JSON error', (id) => {
    const k = pem('ec', id, 'EC PRIVATE KEY', pemLines('pem.ec', 118, 'MHcCAQEEI'))
    return json(500, {status: 'fail', output: k.full})
  })
  health(
    '/health/pem-cut',
    'pem-cut',
    'a key that starts before the 2 KiB doctor records and ends after it (BEGIN without END in the record)',
    (id) => {
      const lines = pemLines('pem.cut', 1200, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')
      const k = pem('cut-by-body-cap', id, 'PRIVATE KEY', lines)
      const filler = Array.from(
        {length: 20},
        (_, i) => `2025-05-01T10:00:${String(i).padStart(2, '0')}Z INFO worker ${i}: loading TLS material from vault`,
      ).join('\n')
      const body = `${filler}\n${k.full}\n`
      // Only what doctor can record is a secret that can leak; the test asserts the cut falls inside the key.
      const kept = Buffer.from(body).subarray(0, SNIPPET_BYTES).toString('utf8')
      const recorded = lines.filter((l) => kept.includes(l))
      if (!kept.includes(k.begin) || kept.includes(k.end) || recorded.length < 3)
        throw new Error('pem-cut: the 2 KiB cut must fall inside the key')
      return text(500, body)
    },
  )

  // ---- Cloud and SaaS key shapes ---------------------------------------------------------------------
  health('/debug/aws.txt', 'aws-text', 'an AWS access key id printed next to its secret access key, in text', (id) => {
    const keep = keepIn(id, '/debug/aws.txt')
    return text(
      500,
      `assume-role failed for profile leaky-deploy (region ${keep('aws-region-text', 'ap-southeast-2')})\nAccessKeyId     ${p.random('cloud-key', 'text-aws-access-key-id', id, 16, UPPER + DIGITS, 'ASIA')}\nSecretAccessKey ${p.random('cloud-key', 'text-aws-secret-access-key', id, 40, B64)}\nSessionToken    ${p.random('cloud-key', 'text-aws-session-token', id, 120, B64)}\n`,
    )
  })
  health('/debug/credentials.csv', 'aws-csv', 'an IAM credentials CSV as the AWS console downloads it', (id) =>
    text(
      200,
      `User name,Password,Access key ID,Secret access key,Console login link\n${keepIn(id, '/debug/credentials.csv')('csv-user', 'leaky-ci-deployer')},,${p.random('cloud-key', 'csv-aws-access-key-id', id, 16, UPPER + DIGITS, 'AKIA')},${p.random('cloud-key', 'csv-aws-secret-access-key', id, 40, B64)},https://123456789012.signin.aws.amazon.com/console\n`,
      'text/csv',
    ),
  )
  health('/debug/aws.json', 'aws-json', 'aws sts output as JSON', (id) =>
    json(200, {
      Credentials: {
        AccessKeyId: p.random('cloud-key', 'json-aws-access-key-id', id, 16, UPPER + DIGITS, 'ASIA'),
        SecretAccessKey: p.random('cloud-key', 'json-aws-secret-access-key', id, 40, B64),
        Expiration: keepIn(id, '/debug/aws.json')('aws-expiration', '2025-05-01T11:00:00+00:00'),
      },
    }),
  )
  health('/debug/azure', 'azure', 'an Azure storage connection string (AccountKey=…) and a SAS URL (sig=…)', (id) => {
    const accountKey = p.random('cloud-key', 'azure-account-key', id, 86, B64)
    const sig = p.random('cloud-key', 'azure-sas-sig', id, 43, ALNUM)
    return text(
      500,
      `BlobServiceClient failed.\nconnection string: DefaultEndpointsProtocol=https;AccountName=${keepIn(id, '/debug/azure')('azure-account-name', 'leakyevidence01')};AccountKey=${accountKey}==;EndpointSuffix=core.windows.net\nSAS: https://leakyevidence01.blob.core.windows.net/reports?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2025-06-01T00:00:00Z&spr=https&sig=${sig}%3D\n`,
    )
  })
  health(
    '/debug/integrations',
    'vcs-chat',
    'GitHub, GitLab, Slack, Twilio and SendGrid credentials in an integrations dump',
    (id) =>
      json(500, {
        status: 'fail',
        github: {
          token: p.random('vendor-token', 'github-ghp', id, 36, ALNUM, 'ghp_'),
          fine_grained: `github_pat_${p.random('vendor-token', 'github-pat', id, 22)}_${rand('github-pat-2', ALNUM, 59)}`,
        },
        gitlab: p.random('vendor-token', 'gitlab-glpat', id, 20, B64URL, 'glpat-'),
        slack: {
          bot: p.random(
            'vendor-token',
            'slack-xoxb',
            id,
            24,
            ALNUM,
            `xoxb-${rand('slack-ws', DIGITS, 12)}-${rand('slack-bot', DIGITS, 13)}-`,
          ),
          webhook: `https://hooks.slack.com/services/T${rand('slack-t', UPPER + DIGITS, 8)}/B${rand('slack-b', UPPER + DIGITS, 10)}/${p.random('vendor-token', 'slack-webhook-path', id, 24)}`,
        },
        twilio: `account AC${rand('twilio-sid', HEX, 32)} auth ${p.random('vendor-token', 'twilio-auth-token', id, 32, HEX)}`,
        sendgrid: p.secret(
          'vendor-token',
          'sendgrid',
          id,
          `SG.${rand('sendgrid-1', B64URL, 22)}.${rand('sendgrid-2', B64URL, 43)}`,
        ),
        sentry_org: keepIn(id, '/debug/integrations')('sentry-org', 'leaky-observability'),
      }),
  )
  health(
    '/debug/payments',
    'payments-registry',
    'Stripe (sk_live_, rk_live_, whsec_), npm, Vault and a JWT in one status dump',
    (id) => {
      const access = jwt('jwt.bearer-in-dump', {sub: 'svc-leaky-reader', scope: 'gate:read', iss: realm})
      p.secret('jwt', 'bearer-in-dump', id, access.token, access.parts)
      return json(500, {
        status: 'fail',
        stripe: {
          secret: p.random('vendor-token', 'stripe-sk_live', id, 99, ALNUM, 'sk_live_51'),
          restricted: p.random('vendor-token', 'stripe-rk_live', id, 99, ALNUM, 'rk_live_51'),
          endpoint_secret: p.random('vendor-token', 'stripe-whsec', id, 32, ALNUM, 'whsec_'),
          publishable: keepIn(id, '/debug/payments')(
            'stripe-publishable-key',
            `pk_live_51${rand('stripe-pk', ALNUM, 40)}`,
          ),
        },
        npmrc: `//registry.npmjs.org/:_authToken=${p.random('vendor-token', 'npm', id, 36, ALNUM, 'npm_')}`,
        vault: `X-Vault-Token: ${p.random('vendor-token', 'vault-hvs', id, 90, B64URL, 'hvs.CAESI')}`,
        last_request: {authorization: `Bearer ${access.token}`},
      })
    },
  )
  health('/debug/notes', 'prose', 'long random values next to a credential word in prose', (id) =>
    text(
      500,
      `Rotation notes for ${keepIn(id, '/debug/notes')('prose-service', 'leaky-billing-worker')}: the signing key is ${p.random('prose', 'signing-key-is', id, 64, HEX)} until Friday; ` +
        `the old passphrase was ${p.random('prose', 'old-passphrase-was', id, 28, LOWER + '-')} and the webhook HMAC key, ${p.random('prose', 'hmac-key-comma', id, 44, B64)}, moves to Vault.\n`,
    ),
  )

  // ---- Kubernetes: a Secret and a kubeconfig served where doctor reads health ------------------------
  health(
    '/debug/secret.yaml',
    'kube-secret-yaml',
    'a Kubernetes Secret (data base64, stringData) served as text/yaml',
    (id) => {
      const dbPassword = p.random('kubernetes', 'secret-data-password', id, 24)
      const apiKey = p.random('kubernetes', 'secret-data-api-key', id, 32)
      return text(
        200,
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${keepIn(id, '/debug/secret.yaml')('secret-name', 'leaky-db-credentials')}\n  namespace: leaky\ntype: Opaque\ndata:\n  username: ${b64('leaky')}\n  password: ${b64(dbPassword)}\n  api-key: ${b64(apiKey)}\nstringData:\n  token: ${p.random('kubernetes', 'secret-stringData-token', id, 40)}\n`,
        'text/yaml; charset=utf-8',
      )
    },
  )
  health(
    '/debug/kubeconfig',
    'kubeconfig-body',
    'a kubeconfig (token, client-key-data, password) served as text',
    (id) => {
      const clientKey = pem(
        'kubeconfig-client-key-data',
        id,
        'EC PRIVATE KEY',
        pemLines('pem.kubeconfig-client-key', 118, 'MHcCAQEEI'),
      )
      return text(
        200,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://k8s.leaky.example:6443\nusers:\n- name: deployer\n  user:\n    token: ${p.random('kubernetes', 'kubeconfig-token', id, 43, B64URL, 'sha256~')}\n    client-key-data: ${b64(`${clientKey.full}\n`)}\n- name: basic\n  user:\n    username: admin\n    password: ${p.random('kubernetes', 'kubeconfig-password', id, 20)}\ncontexts:\n- name: prod\n  context: {cluster: prod, user: deployer}\ncurrent-context: prod\n`,
        'text/plain; charset=utf-8',
      )
    },
  )

  // ---- api: the identity endpoint, called without, with and with a wrong token -------------------------
  {
    const id = place(
      'api:whoami',
      'api.url + api.tokenEnv',
      'the identity endpoint: a 200 with session secrets for the right token, a 401 whose challenge names a refresh token otherwise',
    )
    const keep = keepIn(id, '/api/v1/whoami')
    const ok = json(200, {
      user: keep('api-user', 'leaky-ci-bot'),
      workspace: 'leaky',
      scopes: ['gate:read', 'evidence:read'],
      token_type: 'Bearer',
      session: {
        csrf_token: p.random('json-member', 'api-session-csrf_token', id, 32),
        refresh: p.random('json-member', 'api-session-refresh', id, 40),
      },
    })
    keep('"token_type":"Bearer"', '"token_type":"Bearer"')
    const refresh = p.random('json-member', 'api-401-refresh-token-in-body', id, 36)
    const denied = json(
      401,
      {error: 'invalid_token', renew_with: {grant_type: 'refresh_token', refresh_token_value: refresh}},
      {
        'www-authenticate': `Bearer realm="leaky", error="invalid_token", error_description="expired; renew with ${p.random('json-member', 'api-www-authenticate-description', id, 30)}"`,
      },
    )
    appRoutes.push({
      place: id,
      path: '/api/v1/whoami',
      reply: (_u, req) => (req.headers.authorization === `Bearer ${apiToken}` ? ok : denied),
    })
  }

  // ---- billing, entitlement, evidence connectors -------------------------------------------------------
  appRoute(
    'billing:status',
    'billing.statusUrl',
    '/api/v1/billing/status',
    'billing status with a restricted key and a card token',
    fixed(
      json(200, {
        workspaceId: 'leaky',
        status: 'past_due',
        lastWebhookAt: '2025-05-01T09:00:00Z',
        customer: {
          id: keepIn('billing:status', '/api/v1/billing/status')('billing-customer-id', 'cus_Q2w3E4r5T6y7'),
          default_payment_method: {card_token: p.random('json-member', 'billing-card_token', 'billing:status', 28)},
        },
        stripe_restricted_key: p.random('vendor-token', 'billing-rk_live', 'billing:status', 99, ALNUM, 'rk_live_51'),
      }),
    ),
  )
  appRoute(
    'entitlement:license',
    'entitlement.url',
    '/api/v1/license',
    'the license status with license_key and its signature',
    fixed(
      json(200, {
        workspaceId: 'leaky',
        status: 'active',
        license_key: p.secret(
          'json-member',
          'license.license_key',
          'entitlement:license',
          `LK-${rand('license-key', UPPER + DIGITS, 5)}-${rand('license-key-2', UPPER + DIGITS, 5)}-${rand('license-key-3', UPPER + DIGITS, 5)}-${rand('license-key-4', UPPER + DIGITS, 5)}`,
        ),
        signature: p.random('json-member', 'license.signature', 'entitlement:license', 88, B64),
        entitlements: {production: true},
        activatedAt: '2025-05-01T09:50:00Z',
        expiresAt: keepIn('entitlement:license', '/api/v1/license')('license-expires-at', '2099-04-30T23:59:59Z'),
      }),
    ),
  )
  appRoute(
    'entitlement:features',
    'entitlement.featureUrl',
    '/api/v1/features',
    'the runtime feature flags with an SDK key',
    fixed(
      json(200, {
        production: false,
        licenseLoadedAt: '2025-05-01T08:00:00Z',
        flags_sdk_key: p.random('json-member', 'features.flags_sdk_key', 'entitlement:features', 36, HEX, 'sdk-'),
      }),
    ),
  )
  appRoute(
    'evidence:connector',
    'evidence.connectors[].url',
    '/api/v1/connectors/prometheus',
    'a stale connector whose lastError carries the credential it used',
    fixed(
      json(200, {
        name: 'prometheus',
        health: 'stale',
        lastSyncAt: '2025-05-01T07:00:00Z',
        lastError: `401 Unauthorized from http://prometheus.monitoring:9090 (basic auth evidence-bot / ${p.random('error-page', 'connector-lastError-password', 'evidence:connector', 22)})`,
      }),
    ),
  )
  appRoute(
    'evidence:scope',
    'evidence.scope.url',
    '/api/v1/gates/current',
    'the gate scope with a gate token',
    fixed(
      json(200, {
        service: 'leaky-api',
        namespace: 'leaky',
        releaseId: 'rel-42',
        sourceSha: '4f2c9e1d7a',
        gate_token: p.random('json-member', 'scope.gate_token', 'evidence:scope', 32),
      }),
    ),
  )

  // ---- audit and agents ---------------------------------------------------------------------------------
  appRoute(
    'audit:probe',
    'audit.probe',
    '/api/v1/audit-probe',
    'the read-only request the audit log must show',
    fixed(json(200, {ok: true})),
  )
  appRoute(
    'audit:events',
    'audit.url',
    '/api/v1/audit-events',
    'audit events with request headers and a form body in their metadata',
    fixed(
      json(200, {
        events: [
          {
            occurred_at: '2025-05-01T10:00:00Z',
            action: 'GET /api/v1/audit-probes',
            actor: 'leaky-ci-bot',
            metadata: {
              request_headers: {
                authorization: `Bearer ${p.random('json-member', 'audit-metadata-authorization', 'audit:events', 34)}`,
              },
              form: `username=ops&password=${p.random('form-body', 'audit-metadata-form-password', 'audit:events', 18)}`,
            },
          },
        ],
      }),
    ),
  )
  appRoute(
    'agents:list',
    'agents.url',
    '/api/v1/agents',
    "the agent list with each agent's secret",
    fixed(
      json(200, {
        agents: [
          {
            name: 'agent-eu-1',
            status: 'stale',
            last_heartbeat_at: '2025-05-01T09:00:00Z',
            agent_secret: p.random('json-member', 'agents.agent_secret', 'agents:list', 40),
            registration: {token: p.random('json-member', 'agents.registration.token', 'agents:list', 32)},
          },
        ],
      }),
    ),
  )
  appRoute(
    'agents:audit',
    'agents.auditUrl',
    '/api/v1/agent-audit',
    'rejected heartbeats naming the secret presented',
    fixed(
      json(200, {
        events: [
          {
            occurred_at: '2025-05-01T10:00:00Z',
            action: 'agent.heartbeat',
            metadata: {
              error_kind: 'unauthorized',
              agent: 'agent-eu-1',
              presented_secret: p.random('json-member', 'agents-audit.presented_secret', 'agents:audit', 40),
            },
          },
        ],
      }),
    ),
  )

  // ---- gateway (upstream-proxy) ---------------------------------------------------------------------------
  appRoute(
    'gateway:health',
    'gateway.health',
    '/gw/api/v1/health',
    'the gateway is up',
    fixed(json(200, {status: 'ok'})),
  )
  appRoute(
    'gateway:system',
    'gateway.upstreamProbe',
    '/gw/system',
    'a 502 whose body echoes the upstream environment (RACK_TOKEN=…)',
    fixed(
      text(
        502,
        `upstream error: invalid authentication\nRACK_TOKEN=${p.random('error-page', 'gateway-502-RACK_TOKEN', 'gateway:system', 36)} rejected by https://rack.leaky.internal\n`,
      ),
    ),
  )

  // ---- portal (JSON banner with debug data) -------------------------------------------------------------
  appRoute(
    'portal:page',
    'portal.path',
    '/portal/',
    'a JSON banner instead of the UI, with debug secrets (portal-spa quotes the body)',
    fixed(
      json(200, {
        status: 'banner',
        debug: {
          session_secret: p.random('json-member', 'portal.session_secret', 'portal:page', 32),
          admin_password: p.random('json-member', 'portal.admin_password', 'portal:page', 20),
        },
        service: 'api-test',
        message: 'portal UI not embedded in this build',
      }),
    ),
  )

  // ---- webhook receiver (allowWrites) ---------------------------------------------------------------------
  appRoute(
    'webhook:stripe',
    'webhooks[] (allowWrites)',
    '/hooks/stripe',
    "a 400 that names the receiver's own signing secret",
    fixed(
      json(400, {
        error: 'No signatures found matching the expected signature for payload',
        endpoint: {
          id: 'we_1Leaky',
          secret: p.random('vendor-token', 'webhook-receiver-whsec', 'webhook:stripe', 32, ALNUM, 'whsec_'),
        },
        hmac_key_b64: p.random('json-member', 'webhook.hmac_key_b64', 'webhook:stripe', 44, B64),
      }),
    ),
    'POST',
  )

  // ---- Argo CD ----------------------------------------------------------------------------------------------
  appRoute(
    'argocd:app',
    'gitops.argocd',
    '/argocd/api/v1/applications/leaky-api',
    'an Argo CD app: repo URL with a token, helm parameters and values with passwords, a degraded resource message',
    (_u, req) => {
      if (req.headers.authorization !== `Bearer ${argoToken}`)
        return json(401, {error: 'no session information', code: 16})
      return argoApp
    },
  )
  const argoApp = json(200, {
    metadata: {name: 'leaky-api', namespace: 'argocd'},
    spec: {
      project: 'leaky',
      source: {
        repoURL: `https://oauth2:${p.random('url-userinfo', 'argocd-repo-url', 'argocd:app', 20, B64URL, 'glpat-')}@gitlab.leaky.example/ops/deploy.git`,
        path: 'apps/api',
        targetRevision: 'main',
        helm: {
          parameters: [
            {name: 'redis.auth.password', value: p.random('env-pair', 'argocd-helm-parameter-value', 'argocd:app', 24)},
          ],
          values: `postgresql:\n  auth:\n    password: ${p.random('yaml', 'argocd-helm-values-password', 'argocd:app', 24)}\n`,
        },
      },
    },
    status: {
      sync: {status: 'OutOfSync', revision: '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d'},
      health: {status: 'Degraded'},
      history: [{id: 7, revision: '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d', deployedAt: '2025-04-30T10:00:00Z'}],
      resources: [
        {
          group: 'apps',
          kind: 'Deployment',
          namespace: 'leaky',
          name: 'api',
          status: 'OutOfSync',
          health: {
            status: 'Degraded',
            message: `CreateContainerConfigError: MONGO_PASSWORD=${p.random('error-page', 'argocd-resource-health-message', 'argocd:app', 22)} is not valid`,
          },
        },
      ],
    },
  })

  // ---- Prometheus HTTP API ------------------------------------------------------------------------------------
  type Labels = Record<string, string>
  const promLive: Labels[] = [
    {
      __name__: 'probe_success',
      job: 'blackbox',
      instance: `https://api.leaky.example/healthz?auth=${p.random('prometheus', 'label-instance-url-param', 'prom:label-values', 32)}`,
      module: 'http_2xx',
    },
    {
      __name__: 'http_requests_total',
      job: 'api',
      instance: 'api-0:8080',
      service: 'leaky-api',
      namespace: 'leaky',
      code: '200',
      api_key: p.random('prometheus', 'label-api_key', 'prom:series', 32),
    },
  ]
  const promStale: Labels[] = [
    {
      __name__: 'leaky_queue_depth',
      job: 'worker',
      instance: 'worker-0:9100',
      queue: 'default',
      token: p.random('prometheus', 'label-token', 'prom:series', 32),
    },
  ]
  const workerTarget = {
    labels: {job: 'worker', instance: 'worker-0:9100'},
    discoveredLabels: {
      __address__: 'worker-0:9100',
      job: 'worker',
      __meta_kubernetes_pod_annotation_scrape_password: p.random(
        'prometheus',
        'target-discovered-label-password',
        'prom:targets',
        24,
      ),
    },
    scrapePool: 'worker',
    scrapeUrl: `http://worker-0:9100/metrics?private_token=${p.random('prometheus', 'target-scrapeUrl-private_token', 'prom:targets', 32)}`,
    health: 'down',
    lastError: `server returned HTTP status 401 Unauthorized (X-Scrape-Key ${p.random('prometheus', 'target-lastError-key', 'prom:targets', 30)})`,
    lastScrape: '2025-05-01T09:59:30Z',
    scrapeInterval: '30s',
  }
  const selectSeries = (selector: string, pool: Labels[]) => {
    try {
      const [sel] = parseSelectors(selector)
      if (!sel) return []
      return pool.filter(
        (s) => (!sel.name || s.__name__ === sel.name) && sel.matchers.every((m) => matches(m, s[m.name])),
      )
    } catch {
      return []
    }
  }
  const promOk = (data: unknown) => json(200, {status: 'success', data})
  appRoute(
    'prom:ready',
    'prometheus.url',
    '/prom/-/ready',
    'Prometheus readiness',
    fixed(text(200, 'Prometheus Server is Ready.\n')),
  )
  appRoute(
    'prom:query',
    'prometheus.queries',
    '/prom/api/v1/query',
    'instant queries: full label sets of matching live series',
    (url) => {
      const query = url.searchParams.get('query') ?? ''
      let selectors
      try {
        selectors = parseSelectors(query)
      } catch (error) {
        return json(400, {status: 'error', errorType: 'bad_data', error: (error as Error).message})
      }
      const found = selectors.map((s) => selectSeries(s.source, promLive))
      const all = selectors.length > 0 && found.every((f) => f.length > 0)
      const single = selectors.length === 1 && selectors[0]!.source.trim() === query.trim()
      const result = !all
        ? []
        : single
          ? found[0]!.map((metric) => ({metric, value: [1746093600, '1']}))
          : [{metric: {}, value: [1746093600, '0.42']}]
      return promOk({resultType: 'vector', result})
    },
  )
  appRoute(
    'prom:series',
    'prometheus.queries (diagnosis)',
    '/prom/api/v1/series',
    'series with token/api_key labels',
    (url) => promOk(url.searchParams.getAll('match[]').flatMap((m) => selectSeries(m, [...promLive, ...promStale]))),
  )
  const labelValues = (url: URL) => {
    const name = decodeURIComponent(/\/label\/([^/]+)\/values$/.exec(url.pathname)?.[1] ?? '')
    const match = url.searchParams.getAll('match[]')
    const pool = match.length
      ? match.flatMap((m) => selectSeries(m, [...promLive, ...promStale]))
      : [...promLive, ...promStale]
    return promOk([...new Set(pool.map((s) => s[name]).filter((v): v is string => v !== undefined))].sort())
  }
  place(
    'prom:label-values',
    'prometheus.queries (diagnosis)',
    'label values, including an instance URL with a credential parameter',
  )
  appRoutes.push({place: 'prom:label-values', path: /^\/prom\/api\/v1\/label\/[^/]+\/values$/, reply: labelValues})
  appRoute(
    'prom:targets',
    'prometheus.queries (diagnosis)',
    '/prom/api/v1/targets',
    'targets: a down worker whose scrape URL and last error carry credentials',
    (url) =>
      promOk(
        url.searchParams.get('state') === 'dropped'
          ? {activeTargets: [], droppedTargets: []}
          : {
              activeTargets: [
                {
                  labels: {job: 'api', instance: 'api-0:8080'},
                  discoveredLabels: {__address__: 'api-0:8080', job: 'api'},
                  scrapePool: 'api',
                  scrapeUrl: 'http://api-0:8080/metrics',
                  health: 'up',
                  lastError: '',
                  scrapeInterval: '30s',
                },
                workerTarget,
              ],
              droppedTargets: [],
            },
      ),
  )

  // ---- The app's login: console -> IdP -> callback -> console -----------------------------------------------
  const stateValue = p.random('redirect-url', 'app-login-state', 'login:console', 32, B64URL)
  const stateCookie = p.random('cookie', 'app-login-state-cookie', 'login:console', 32, B64URL)
  const sessionCookie = p.random('cookie', 'app-session-host-prefixed', 'login:callback', 43, B64URL)
  const consolePage = (() => {
    const id = 'login:console'
    const keep = keepIn(id, '/console')
    return text(
      200,
      `<!doctype html><html><head><title>Leaky console</title><meta name="viewport" content="width=device-width, initial-scale=1">
<meta content="${p.random('html', 'console-meta-csrf-content-first', id, 44, B64URL)}" name="csrf-token">
<script>window.__CONFIG__ = {"apiKey": "${p.random('html', 'console-window-config-apiKey', id, 32)}", "tenant": "${keep('console-tenant', 'tenant-leaky-prod')}"};</script></head>
<body><h1>Console</h1><form action="/settings" method="post"><input type="hidden" value="${p.random('html', 'console-hidden-client_secret', id, 32)}" name="client_secret"><button>Save</button></form></body></html>`,
      'text/html; charset=utf-8',
    )
  })()
  appRoute(
    'login:console',
    'login.consolePath',
    '/console',
    'the console: a redirect to the IdP (state in the URL and a cookie), then after sign-in a page with hidden inputs and inline config',
    (_u, req) => {
      if ((req.headers.cookie ?? '').includes(`__Host-leaky_session=${sessionCookie}`)) return consolePage
      const authorize = new URL(`${realm}/protocol/openid-connect/auth`)
      authorize.search = new URLSearchParams({
        client_id: 'leaky-console',
        redirect_uri: `${appUrl}/oauth/callback`,
        response_type: 'code',
        scope: 'openid',
        state: stateValue,
        nonce: rand('nonce', B64URL, 22),
      }).toString()
      return json(302, '', {
        location: authorize.href,
        'set-cookie': [`leaky_state=${stateCookie}; Path=/; HttpOnly; SameSite=Lax`],
      })
    },
  )
  const fragmentToken = p.random('redirect-url', 'callback-fragment-access-token', 'login:callback', 40, B64URL)
  appRoute(
    'login:callback',
    'login walk (oidc.redirectUris)',
    '/oauth/callback',
    "the app's callback: a session cookie and a redirect whose fragment carries an access token",
    () =>
      json(302, '', {
        location: `/console#access_token=${fragmentToken}&token_type=Bearer&expires_in=300`,
        'set-cookie': [
          `__Host-leaky_session=${sessionCookie}; Path=/; Secure; HttpOnly; SameSite=Lax`,
          'leaky_state=; Path=/; Max-Age=0',
        ],
      }),
  )

  // ---- The OpenID Provider ------------------------------------------------------------------------------------
  const idpRoute = (
    id: string,
    via: string,
    path: string,
    what: string,
    reply: Route['reply'],
    method: 'GET' | 'POST' = 'GET',
  ) => {
    place(id, via, what)
    idpRoutes.push({place: id, path: `/realms/leaky${path}`, method, reply})
  }
  const discoveryDoc = json(200, {
    issuer: realm,
    authorization_endpoint: `${realm}/protocol/openid-connect/auth`,
    token_endpoint: `${realm}/protocol/openid-connect/token`,
    userinfo_endpoint: `${realm}/protocol/openid-connect/userinfo`,
    jwks_uri: `${realm}/protocol/openid-connect/certs`,
    registration_endpoint: `${realm}/clients-registrations/openid-connect`,
    registration_access_token: p.random('oidc', 'discovery-registration_access_token', 'oidc:discovery', 48, B64URL),
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: [
      keepIn('oidc:discovery', '/realms/leaky/.well-known/openid-configuration')(
        'auth-method-client_secret_basic',
        'client_secret_basic',
      ),
      'private_key_jwt',
    ],
    code_challenge_methods_supported: ['S256'],
  })
  idpRoute(
    'oidc:discovery',
    'oidc.issuer',
    '/.well-known/openid-configuration',
    'a discovery document with a registration_access_token',
    fixed(discoveryDoc),
  )
  const jwk = (what: string, n: number) => p.random('oidc', `jwks-${what}`, 'oidc:jwks', n, B64URL)
  idpRoute(
    'oidc:jwks',
    'oidc.issuer (jwks_uri)',
    '/protocol/openid-connect/certs',
    'a key set that wrongly includes the private RSA members (d, p, q, dp, dq, qi) and a symmetric key (k)',
    fixed(
      json(200, {
        keys: [
          {
            kty: 'RSA',
            kid: keepIn('oidc:jwks', '/realms/leaky/protocol/openid-connect/certs')('jwks-kid', 'leaky-signing-2025'),
            use: 'sig',
            alg: 'RS256',
            e: 'AQAB',
            n: rand('jwk-n', B64URL, 342),
            d: jwk('d', 342),
            p: jwk('p', 171),
            q: jwk('q', 171),
            dp: jwk('dp', 171),
            dq: jwk('dq', 171),
            qi: jwk('qi', 171),
          },
          {kty: 'oct', kid: 'leaky-hs256', alg: 'HS256', k: jwk('oct-k', 43)},
        ],
      }),
    ),
  )
  const sessionCode = p.random('oidc', 'login-form-session_code', 'oidc:login-page', 43, B64URL)
  const loginCsrf = p.random('oidc', 'login-page-hidden-csrf', 'oidc:login-page', 32, B64URL)
  const authSessionCookie = p.random('cookie', 'idp-AUTH_SESSION_ID', 'oidc:login-page', 36, B64URL)
  const restart = jwt('cookie.idp-KC_RESTART', {
    cid: 'leaky-console',
    pty: 'openid-connect',
    ruri: `${appUrl}/oauth/callback`,
  })
  p.secret('jwt', 'idp-KC_RESTART-cookie', 'oidc:login-page', restart.token, restart.parts)
  idpRoute(
    'oidc:login-page',
    'login walk and oidc-redirect-uri (authorization_endpoint)',
    '/protocol/openid-connect/auth',
    'a Keycloak login page: form action with session_code, hidden csrf input; AUTH_SESSION_ID and KC_RESTART cookies',
    (url) => {
      const clientData = b64url(
        JSON.stringify({
          ru: url.searchParams.get('redirect_uri') ?? '',
          rt: 'code',
          st: url.searchParams.get('state') ?? '',
        }),
      )
      const action = `${realm}/login-actions/authenticate?session_code=${sessionCode}&execution=${'5e0c3b6a-1f2d-4e8b-9a7c-2d4f6b8e0a13'}&client_id=${encodeURIComponent(url.searchParams.get('client_id') ?? '')}&tab_id=Lk9eQ2xZp0w&client_data=${clientData}`
      return text(
        200,
        `<!DOCTYPE html><html class="login-pf"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"/><title>Sign in to Leaky</title></head>
<body><div id="kc-header">Leaky</div><h1 id="kc-page-title">Sign in to your account</h1>
<form id="kc-form-login" onsubmit="login.disabled = true; return true;" action="${htmlAttr(action)}" method="post">
<input type="hidden" name="csrf_token" value="${loginCsrf}">
<label for="username">Username or email</label><input tabindex="2" id="username" name="username" value="" type="text" autofocus autocomplete="username">
<label for="password">Password</label><input tabindex="3" id="password" name="password" type="password" autocomplete="current-password">
<input type="hidden" id="id-hidden-input" name="credentialId"/>
<input tabindex="7" class="pf-c-button" name="login" id="kc-login" type="submit" value="Sign In"/></form></body></html>`,
        'text/html; charset=utf-8',
        {
          'set-cookie': [
            `AUTH_SESSION_ID=${authSessionCookie}; Path=/realms/leaky/; HttpOnly; SameSite=None; Secure`,
            `KC_RESTART=${restart.token}; Path=/realms/leaky/; HttpOnly`,
          ],
        },
      )
    },
  )
  const identity = jwt('cookie.idp-KEYCLOAK_IDENTITY', {sub: 'svc-leaky-reader', typ: 'Serialized-ID', iss: realm})
  p.secret('jwt', 'idp-KEYCLOAK_IDENTITY-cookie', 'oidc:login-submit', identity.token, identity.parts)
  const code = p.random('redirect-url', 'idp-authorization-code', 'oidc:login-submit', 40, B64URL)
  const keycloakSession = p.random('cookie', 'idp-KEYCLOAK_SESSION', 'oidc:login-submit', 40, B64URL)
  idpRoute(
    'oidc:login-submit',
    'login.testUser (the walk submits the form)',
    '/login-actions/authenticate',
    'the login form POST: a redirect to the callback with code, KEYCLOAK_IDENTITY and KEYCLOAK_SESSION cookies',
    (url, _req, body) => {
      const form = new URLSearchParams(body)
      if (form.get('password') !== testPassword)
        return text(
          200,
          '<html><body><div class="alert-error">Invalid username or password.</div></body></html>',
          'text/html',
        )
      const data = JSON.parse(
        Buffer.from(url.searchParams.get('client_data') ?? '', 'base64url').toString('utf8') || '{}',
      ) as {ru?: string; st?: string}
      const to = new URL(data.ru || `${appUrl}/oauth/callback`)
      to.search = new URLSearchParams({
        state: data.st ?? '',
        session_state: '7c1f0a3e-2b4d-4e6f-8a9b-0c1d2e3f4a5b',
        iss: realm,
        code,
      }).toString()
      return json(302, '', {
        location: to.href,
        'set-cookie': [
          `KEYCLOAK_IDENTITY=${identity.token}; Path=/realms/leaky/; HttpOnly`,
          `KEYCLOAK_SESSION=${keycloakSession}; Path=/realms/leaky/; Secure; SameSite=None`,
        ],
      })
    },
    'POST',
  )

  // ---- Kubernetes API --------------------------------------------------------------------------------------------
  const kubeRoute = (id: string, what: string, path: string, reply: Route['reply'], method: 'GET' | 'POST' = 'GET') => {
    if (!(id in hits)) place(id, 'kubernetes.kubeconfig + namespace + workloads', what)
    kubeRoutes.push({place: id, path, method, reply})
  }
  const kubeToken = rand('kube-token', B64URL, 40)
  const kubeAuth =
    (reply: Route['reply']): Route['reply'] =>
    (url, req, body) =>
      req.headers.authorization === `Bearer ${kubeToken}`
        ? reply(url, req, body)
        : json(401, {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: 'Unauthorized',
            reason: 'Unauthorized',
            code: 401,
          })
  const labels = {app: 'leaky-api'}
  kubeRoute(
    'kube:namespace',
    'the namespace',
    '/api/v1/namespaces/leaky',
    kubeAuth(
      fixed(
        json(200, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {name: 'leaky', uid: 'uid-leaky'},
          status: {phase: 'Active'},
        }),
      ),
    ),
  )
  const evaluationToken = p.random(
    'kubernetes',
    'ssar-evaluationError-openshift-token',
    'kube:access-review',
    43,
    B64URL,
    'sha256~',
  )
  kubeRoute(
    'kube:access-review',
    'SelfSubjectAccessReview: allowed, with an evaluationError from a webhook authorizer quoting an OpenShift token',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    kubeAuth((_u, _r, body) => {
      const review = JSON.parse(body || '{}') as Record<string, unknown>
      return json(201, {
        ...review,
        status: {
          allowed: true,
          reason: 'RBAC: allowed by RoleBinding "evidence-reader/leaky"',
          evaluationError: `webhook authorizer https://authz.leaky.internal/v1/authorize failed for bearer ${evaluationToken}: x509: certificate signed by unknown authority`,
        },
      })
    }),
    'POST',
  )
  kubeRoute(
    'kube:deployments',
    'a Deployment past its progress deadline whose condition message quotes a Vault token',
    '/apis/apps/v1/namespaces/leaky/deployments',
    kubeAuth(
      fixed(
        json(200, {
          apiVersion: 'apps/v1',
          kind: 'DeploymentList',
          metadata: {resourceVersion: '100'},
          items: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: {name: 'leaky-api', namespace: 'leaky', generation: 3, labels},
              spec: {
                replicas: 2,
                selector: {matchLabels: labels},
                template: {
                  metadata: {labels},
                  spec: {
                    containers: [
                      {
                        name: 'api',
                        image: 'registry.leaky.example/api:1.4.2',
                        env: [
                          {
                            name: 'RACK_TOKEN',
                            value: p.random('kubernetes', 'deployment-spec-env-RACK_TOKEN', 'kube:deployments', 36),
                          },
                        ],
                      },
                    ],
                  },
                },
              },
              status: {
                observedGeneration: 3,
                replicas: 2,
                updatedReplicas: 2,
                readyReplicas: 0,
                conditions: [
                  {
                    type: 'Progressing',
                    status: 'False',
                    reason: 'ProgressDeadlineExceeded',
                    message: `ReplicaSet "leaky-api-6f7d" has timed out progressing: vault-agent-init failed with VAULT_TOKEN=${p.random('kubernetes', 'deployment-condition-vault-token', 'kube:deployments', 90, B64URL, 'hvs.CAESI')}`,
                  },
                ],
              },
            },
          ],
        }),
      ),
    ),
  )
  kubeRoute(
    'kube:pods',
    'pods waiting in CreateContainerConfigError whose message quotes a password',
    '/api/v1/namespaces/leaky/pods',
    kubeAuth(
      fixed(
        json(200, {
          apiVersion: 'v1',
          kind: 'PodList',
          metadata: {resourceVersion: '100'},
          items: [
            {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: {name: 'leaky-api-6f7d-abcde', namespace: 'leaky', labels},
              spec: {containers: [{name: 'api', image: 'registry.leaky.example/api:1.4.2'}]},
              status: {
                phase: 'Pending',
                conditions: [{type: 'Ready', status: 'False', reason: 'ContainersNotReady'}],
                containerStatuses: [
                  {
                    name: 'api',
                    ready: false,
                    restartCount: 0,
                    image: 'registry.leaky.example/api:1.4.2',
                    imageID: '',
                    state: {
                      waiting: {
                        reason: 'CreateContainerConfigError',
                        message: `DB_PASSWORD=${p.random('kubernetes', 'pod-waiting-message-password', 'kube:pods', 22)} rejected by admission`,
                      },
                    },
                  },
                ],
              },
            },
          ],
        }),
      ),
    ),
  )
  kubeRoute(
    'kube:service',
    'a 500 Status whose message echoes a Secret manifest (data base64, stringData)',
    '/api/v1/namespaces/leaky/services/leaky-api',
    kubeAuth(
      fixed(
        json(500, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          reason: 'InternalError',
          code: 500,
          message: `Internal error occurred: conversion webhook failed for object ${JSON.stringify({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'leaky-api-env'}, data: {DB_PASSWORD: b64(p.random('kubernetes', 'status-message-secret-data', 'kube:service', 24))}, stringData: {API_KEY: p.random('kubernetes', 'status-message-secret-stringData', 'kube:service', 32)}})}`,
        }),
      ),
    ),
  )

  // ---- mobile: a docs page with a long unbroken token (viewport-overflow names its start) ---------------------------
  if (options.mobile) {
    // viewport-overflow names the start of a long unbroken word: its first 12 characters already give 48 bits away.
    const mobileToken = rand('mobile.long-unbroken-session-id', HEX, 64)
    p.secret('mobile', 'long-unbroken-session-id', 'mobile:docs', mobileToken, [mobileToken, mobileToken.slice(0, 12)])
    appRoute(
      'mobile:docs',
      'mobile.pages',
      '/docs/tokens',
      'a docs page whose long unbroken session id sticks out on phones',
      fixed(
        text(
          200,
          `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Tokens</title></head><body><h1>Your token</h1><p>${mobileToken}</p></body></html>`,
          'text/html; charset=utf-8',
        ),
      ),
      'GET',
    )
  }

  // ---- Config-side survivors -------------------------------------------------------------------------------------
  const kubeDir = join(options.home, '.kube')
  mkdirSync(kubeDir, {recursive: true})
  const kubeconfig = join(kubeDir, 'leaky-config')
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: leaky\n  cluster:\n    server: ${kube.url}\n    insecure-skip-tls-verify: true\nusers:\n- name: evidence\n  user:\n    token: ${kubeToken}\ncontexts:\n- name: leaky\n  context:\n    cluster: leaky\n    user: evidence\n    namespace: leaky\ncurrent-context: leaky\n`,
  )
  const workflows = join(options.oldpwd, '.github', 'workflows')
  mkdirSync(workflows, {recursive: true})
  writeFileSync(
    join(workflows, 'release.yml'),
    `name: release\non: push\njobs:\n  gate:\n    runs-on: ubuntu-latest\n    steps:\n      - run: releasepassport gate --api-url ${appUrl}\n`,
  )
  const configFile = 'leaky-doctor.yaml'
  const cfgKeep = (id: string, value: string, anchor: string) =>
    p.keep(id, 'config', value, {kind: 'text', text: anchor}, ['json', 'markdown'])
  cfgKeep('cwd (PWD) in the config path', options.cwd, `/${configFile}`)
  cfgKeep('HOME in kubernetes.kubeconfig', options.home, '/.kube/leaky-config')
  cfgKeep('OLDPWD as pipeline.root', options.oldpwd, 'pipeline')
  cfgKeep('target.name', 'leaky staging (eu-1)', 'baseUrl')
  cfgKeep('app host:port', app.url.replace('http://', ''), 'baseUrl')
  cfgKeep('IdP host:port', idp.url.replace('http://', ''), 'issuer')
  cfgKeep('oidc.clientId', 'leaky-console', 'clientId')
  cfgKeep('gitops.expectedRevision (a git SHA)', '4f2c9e1d7a3b5c6d8e9f0a1b2c3d4e5f6a7b8c9d', 'expectedRevision')
  cfgKeep('api.tokenEnv (an env var name)', 'LEAKY_API_TOKEN', 'tokenEnv')
  cfgKeep('webhooks[].secretEnv (an env var name)', 'LEAKY_WEBHOOK_SECRET', 'secretEnv')
  cfgKeep('login.sessionCookie (a cookie name)', '__Host-leaky_session', 'sessionCookie')
  cfgKeep('readiness header name', 'X-Leaky-Tenant', 'X-Api-Key')
  cfgKeep('login.testUser.username (a user name)', 'leaky-ci-bot', 'testUser')
  cfgKeep('prometheus metric name', 'leaky_queue_depth', 'queries')
  cfgKeep('prometheus label name', 'instance', 'queries')

  const config: Record<string, unknown> = {
    target: {name: 'leaky staging (eu-1)', baseUrl: app.url},
    oidc: {issuer: realm, clientId: 'leaky-console', redirectUris: [`${app.url}/oauth/callback`]},
    login: {
      consolePath: '/console',
      sessionCookie: '__Host-leaky_session',
      testUser: {username: 'leaky-ci-bot', password: '${LEAKY_TEST_PASSWORD}'},
    },
    api: {url: '/api/v1/whoami', tokenEnv: 'LEAKY_API_TOKEN', expect: {'$.workspace': 'leaky'}},
    webhooks: [
      {name: 'stripe', url: '/hooks/stripe', scheme: 'stripe', secretEnv: 'LEAKY_WEBHOOK_SECRET', allowWrites: true},
    ],
    billing: {statusUrl: '/api/v1/billing/status'},
    entitlement: {
      url: '/api/v1/license',
      workspace: 'leaky',
      expect: ['$.status == active', '$.expiresAt in the future'],
      featureUrl: '/api/v1/features',
      featureExpect: ['$.production == true'],
    },
    evidence: {
      connectors: [
        {name: 'prometheus connector', url: '/api/v1/connectors/prometheus', lastSync: '$.lastSyncAt', maxAge: '15m'},
      ],
      scope: {url: '/api/v1/gates/current', expect: ['$.service == leaky-api', '$.namespace == leaky']},
    },
    prometheus: {
      url: `${app.url}/prom`,
      queries: [
        {name: 'blackbox probe', query: 'probe_success{job="blackbox",instance="https://api.leaky.example/healthz"}'},
        {name: 'queue depth', query: 'sum(leaky_queue_depth{job="worker",queue="default"})'},
      ],
    },
    kubernetes: {kubeconfig, namespace: 'leaky', workloads: [{selector: 'app=leaky-api', service: 'leaky-api'}]},
    gitops: {
      argocd: {url: `${app.url}/argocd`, tokenEnv: 'LEAKY_ARGOCD_TOKEN', app: 'leaky-api', project: 'leaky'},
      expectedRevision: '4f2c9e1d7a3b5c6d8e9f0a1b2c3d4e5f6a7b8c9d',
    },
    readiness: {endpoints: readiness},
    gateway: {health: '/gw/api/v1/health', upstreamProbe: '/gw/system'},
    portal: {path: '/portal/', assets: false},
    audit: {url: '/api/v1/audit-events', probe: '/api/v1/audit-probe'},
    agents: {url: '/api/v1/agents', auditUrl: '/api/v1/agent-audit'},
    pipeline: {root: options.oldpwd, files: ['.github/workflows/*.yml']},
    clock: {samples: 2},
    ...(options.mobile
      ? {
          mobile: {
            pages: [{url: '/docs/tokens', name: 'docs-tokens'}],
            viewports: [{width: 390, height: 844}],
            ...(options.screenshots ? {screenshots: options.screenshots} : {}),
          },
        }
      : {}),
  }

  assertCatalogue(p, appRoutes, idpRoutes)
  return {
    appUrl: app.url,
    idpUrl: idp.url,
    kubeUrl: kube.url,
    canaries: p.canaries,
    survivors: p.survivors,
    places,
    hits,
    config,
    configFile,
    env,
    close: async () => {
      await Promise.all([app.close(), idp.close(), kube.close()])
    },
  }
}

/**
 * Design-time guards: canaries are unique and never contain one another; each secret planted in a
 * recorded body sits inside the 2 KiB doctor keeps (otherwise its absence from the report would prove
 * nothing), except where the place is about the cut; survivors likewise.
 */
function assertCatalogue(p: Planter, ...routeLists: Route[][]): void {
  const all = p.canaries.flatMap((c) => c.secrets.map((s) => ({id: c.id, s})))
  for (const {id, s} of all) {
    if (s.length < 8) throw new Error(`canary ${id}: secret substring shorter than 8 characters`)
    for (const other of all)
      if (other.id !== id && other.s.includes(s)) throw new Error(`canary ${id} is contained in ${other.id}`)
    for (const v of p.survivors)
      if (v.value.includes(s) || s.includes(v.value)) throw new Error(`canary ${id} overlaps survivor ${v.id}`)
  }
  const fixedBodies = new Map<string, string>()
  for (const routes of routeLists) {
    for (const r of routes) {
      if (typeof r.path !== 'string') continue
      try {
        const reply = r.reply(new URL(`http://x${r.path}`), {headers: {}} as IncomingMessage, '')
        fixedBodies.set(r.place, `${fixedBodies.get(r.place) ?? ''}${reply.body ?? ''}`)
      } catch {
        // Routes that need a real request (the login POST) are checked by the run itself.
      }
    }
  }
  for (const c of p.canaries) {
    const body = fixedBodies.get(c.place)
    if (!body || c.place === 'readiness:pem-cut' || c.id === 'cookie.remember-me-long') continue
    for (const s of c.secrets) {
      const at = body.indexOf(s)
      if (at >= 0 && Buffer.byteLength(body.slice(0, at + s.length)) > SNIPPET_BYTES)
        throw new Error(`canary ${c.id} lies past the ${SNIPPET_BYTES} bytes doctor records of ${c.place}`)
    }
  }
  for (const v of p.survivors) {
    const body = fixedBodies.get(v.place)
    if (!body) continue
    const at = body.indexOf(v.value)
    if (at >= 0 && Buffer.byteLength(body.slice(0, at + v.value.length)) > SNIPPET_BYTES)
      throw new Error(`survivor ${v.id} lies past the ${SNIPPET_BYTES} bytes doctor records of ${v.place}`)
  }
}
