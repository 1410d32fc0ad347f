import {STATUS_CODES} from 'node:http'
import type {DoctorConfig} from '../src/config/schema.js'
import {type CauseRef, type CheckOutcome, defineCheck, type Item, pass, worst} from '../src/engine/check.js'
import type {Facts} from '../src/facts/facts.js'
import type {HttpResponse, HttpResult} from '../src/http/client.js'
import type {ExchangeRecord, NetError} from '../src/http/types.js'

export default defineCheck({
  meta: {
    id: 'readiness',
    title: 'Readiness endpoints report ready',
    failureTitle: 'A readiness endpoint reports a failure',
    area: 'platform',
    description: 'GETs each configured health/readiness URL and names the failing dependency.',
    needs: ['readiness.endpoints'],
    kb: [
      'service-not-ready#dependency-down',
      'service-not-ready#not-ready',
      'service-not-ready#app-error',
      'service-not-ready#proxy-upstream',
      'service-not-ready#ok-status-on-failure',
      'service-not-ready#degraded',
      'service-not-ready#wrong-path',
      'service-not-ready#auth-required',
      'service-not-ready#redirected',
      'service-not-ready#rate-limited',
      'service-not-ready#unexpected-status',
      'service-not-ready#unreachable',
      'service-not-ready#hung',
      'service-not-ready#tls',
    ],
  },
  async run(ctx) {
    const endpoints = configuredEndpoints(ctx.config, ctx.facts)
    const probes = await Promise.all(endpoints.map((endpoint) => probe(ctx.facts, endpoint)))
    return summarise(probes)
  },
})

// ---------------------------------------------------------------------------------------------
// Endpoints and probing

interface Endpoint {
  name?: string
  url: string
  headers?: Record<string, string>
  expectStatus?: number
}

type FindingStatus = 'pass' | 'warn' | 'fail' | 'timeout'

interface Finding {
  status: FindingStatus
  /** Without the endpoint label; summarise() prefixes it. */
  message: string
  cause?: CauseRef
  observed?: Record<string, unknown>
}

interface Probe {
  label: string
  /** The URL as recorded by the HTTP layer, i.e. already redacted: safe to print. */
  url: string
  endpoint: Endpoint
  exchange: ExchangeRecord
  finding: Finding
}

function configuredEndpoints(config: DoctorConfig, facts: Facts): Endpoint[] {
  return (config.readiness?.endpoints ?? []).map((entry) => {
    const endpoint: Endpoint = typeof entry === 'string' ? {url: entry} : {...entry}
    return {...endpoint, url: facts.resolveUrl(endpoint.url)}
  })
}

async function probe(facts: Facts, endpoint: Endpoint): Promise<Probe> {
  const result = await facts.fetch({url: endpoint.url, headers: endpoint.headers, purpose: 'readiness'})
  const url = result.exchange.url
  const subject = {label: endpoint.name ?? url, url, endpoint, exchange: result.exchange}
  return {...subject, finding: classify(subject, result)}
}

type Subject = Omit<Probe, 'finding'>

// ---------------------------------------------------------------------------------------------
// Classification: one endpoint's answer to a Finding

function classify(subject: Subject, result: HttpResult): Finding {
  if (!result.response)
    return connectionFailed(subject, result.error ?? {kind: 'other', message: 'no response and no error recorded'})
  const response = result.response
  const body = parseHealthBody(response)
  const expected = subject.endpoint.expectStatus
  const statusIsHealthy = expected === undefined ? isSuccess(response.status) : response.status === expected
  const finding = statusIsHealthy
    ? judgeBody(subject, response, body)
    : isSuccess(response.status)
      ? unexpectedStatus(subject, response)
      : judgeStatus(subject, response, body)
  const expectation =
    expected !== undefined && !statusIsHealthy && !isSuccess(response.status)
      ? ` (readiness.endpoints expects ${expected})`
      : ''
  const truncation = response.truncated ? truncationNote(response, body) : ''
  return {
    ...finding,
    message: `${finding.message}${expectation}${truncation}`,
    observed: {...observedAnswer(subject, response, body), ...finding.observed},
  }
}

const isSuccess = (status: number): boolean => status >= 200 && status <= 299

function statusLine(status: number): string {
  const text = STATUS_CODES[status]
  return text ? `${status} ${text}` : String(status)
}

function truncationNote(response: HttpResponse, body: HealthBody): string {
  const judgedBy = body.format === 'unrecognised' ? 'judged by the status code alone' : 'parsed what arrived'
  return ` (the body was cut at ${response.size} bytes by http.maxBodyBytes; ${judgedBy})`
}

function observedAnswer(subject: Subject, response: HttpResponse, body: HealthBody): Record<string, unknown> {
  const notPassing = body.dependencies.filter((d) => d.health !== 'pass')
  return {
    url: subject.url,
    status: response.status,
    body: body.format,
    ...(body.overallStatus !== undefined ? {reportedStatus: body.overallStatus} : {}),
    ...(body.dependencies.length > 0 ? {dependencies: body.dependencies.length} : {}),
    ...(notPassing.length > 0
      ? {notPassing: notPassing.map(({name, status, detail}) => ({name, status, ...(detail ? {detail} : {})}))}
      : {}),
    ...(response.truncated ? {truncated: true} : {}),
  }
}

/** The status code says healthy; does the body agree? */
function judgeBody(subject: Subject, response: HttpResponse, body: HealthBody): Finding {
  const failing = mostSpecific(body.dependencies.filter((d) => d.health === 'fail'))
  const warning = mostSpecific(body.dependencies.filter((d) => d.health === 'warn'))
  const overall = body.overall ?? (failing.length > 0 ? 'fail' : warning.length > 0 ? 'warn' : undefined)
  const status = statusLine(response.status)
  const reported = body.overallStatus === undefined ? '' : ` "${body.overallStatus}"`
  if (body.format === 'html') {
    return {
      status: 'warn',
      message: `answered ${status} with an HTML page, not a health response: probably the web app's catch-all route, so the path is likely wrong`,
      cause: causes.wrongPath(subject),
    }
  }
  if (overall === 'fail') {
    const what =
      failing.length > 0
        ? `failing: ${describeAll(failing)}`
        : `it reports${reported}${body.detail ? ` (${body.detail})` : ''}`
    return {
      status: 'fail',
      message: `answers ${status} while its body reports failure; ${what}. Probes that read only the status code (Kubernetes, load balancers) think it is healthy`,
      cause: causes.okStatusOnFailure(subject, failing),
    }
  }
  const concerns = failing.length > 0 ? failing : warning
  if (concerns.length > 0 || overall === 'warn') {
    const what =
      concerns.length > 0
        ? `reports${reported} overall, but ${describeAll(concerns)} ${concerns.length === 1 ? 'is' : 'are'} ${failing.length > 0 ? 'failing' : 'degraded'}`
        : `reports${reported}${body.detail ? ` (${body.detail})` : ''}`
    return {status: 'warn', message: `answers ${status} and ${what}`, cause: causes.degraded(subject, concerns)}
  }
  return {status: 'pass', message: `answered ${status}${describeHealthy(body)}`}
}

function describeHealthy(body: HealthBody): string {
  const checks = body.dependencies.length
  const reported = body.overallStatus === undefined ? '' : `, "${body.overallStatus}"`
  if (checks > 0) return `${reported}, ${checks} check${checks === 1 ? '' : 's'} pass`
  if (body.format === 'empty') return ' with an empty body'
  return reported
}

/** The status code is not the healthy one: say what it means. */
function judgeStatus(subject: Subject, response: HttpResponse, body: HealthBody): Finding {
  const {status} = response
  if (status >= 300 && status <= 399) return redirected(subject, response)
  if (status === 401 || status === 403) return credentialsNeeded(subject, response)
  if (status === 404 || status === 410) return wrongPath(subject, response)
  if (status === 429) return rateLimited(subject, response)
  const fails = mostSpecific(body.dependencies.filter((d) => d.health === 'fail'))
  const failing = fails.length > 0 ? fails : mostSpecific(body.dependencies.filter((d) => d.health === 'warn'))
  if (failing.length > 0) {
    return {
      status: 'fail',
      message: `answered ${statusLine(status)}; failing: ${describeAll(failing)}`,
      cause: causes.dependencyDown(subject, failing),
    }
  }
  if (status >= 500) return serverError(subject, response, body)
  return unexpectedStatus(subject, response)
}

function serverError(subject: Subject, response: HttpResponse, body: HealthBody): Finding {
  const {status} = response
  const server = response.header('server')
  const via = server ? ` (Server: ${server})` : ''
  if (status === 502 || status === 504) {
    const why =
      status === 502 ? 'could not get a valid answer from the app behind it' : 'gave up waiting for the app behind it'
    return {
      status: 'fail',
      message: `answered ${statusLine(status)}${via}: a proxy ${why}`,
      cause: causes.proxyUpstream(subject, status),
    }
  }
  const saysMore = body.detail && body.detail.toLowerCase() !== STATUS_CODES[status]?.toLowerCase()
  const said = saysMore ? `; it only says "${body.detail}"` : ''
  if (status === 503) {
    return {
      status: 'fail',
      message: `answered ${statusLine(status)}: not ready, but the body did not say which dependency failed${said}. Check the service logs`,
      cause: causes.notReady(subject),
    }
  }
  return {
    status: 'fail',
    message: `answered ${statusLine(status)}: the health handler errored or a check failed, and the body did not say which${said}. Check the service logs`,
    cause: causes.appError(subject, status),
  }
}

const LOGIN_PATH = /\/(log-?in|sign[-_]?in|auth|oauth2?|sso|saml|authorize|openid|oidc|sessions?)\b/i

function redirected(subject: Subject, response: HttpResponse): Finding {
  const location = response.header('location')
  // The recorded header is redacted (a redirect to an IdP carries state and nonce).
  const shownLocation = String(subject.exchange.responseHeaders['location'] ?? location ?? '')
  const target = location ? safeUrl(location, response.url) : undefined
  const kind = target ? redirectKind(new URL(response.url), target) : 'other'
  const explanation: Record<RedirectKind, string> = {
    login: ', a login page: the health path sits behind authentication',
    https: ', the same path over HTTPS: configure the https:// URL',
    other:
      ': a health endpoint should answer directly; load balancers usually count a redirect as unhealthy, and it hides the real state',
  }
  return {
    status: 'warn',
    message: target
      ? `redirected (${statusLine(response.status)}) to ${shownLocation}${explanation[kind]}`
      : `answered ${statusLine(response.status)} without a usable Location header`,
    cause: causes.redirected(subject, kind),
    ...(target ? {observed: {location: shownLocation}} : {}),
  }
}

function redirectKind(from: URL, to: URL): RedirectKind {
  if (LOGIN_PATH.test(to.pathname)) return 'login'
  if (from.protocol === 'http:' && to.protocol === 'https:' && to.pathname === from.pathname) return 'https'
  return 'other'
}

function credentialsNeeded(subject: Subject, response: HttpResponse): Finding {
  const sentHeaders = Object.keys(subject.endpoint.headers ?? {})
  const scheme = response.header('www-authenticate')?.split(/[\s,]/)[0]
  const challenge = scheme ? `, WWW-Authenticate: ${scheme}` : ''
  const message =
    sentHeaders.length === 0
      ? `requires credentials (${statusLine(response.status)}${challenge}); doctor cannot see whether it is ready`
      : `refused the configured ${sentHeaders.join(', ')} header${sentHeaders.length === 1 ? '' : 's'} (${statusLine(response.status)}${challenge}); doctor cannot see whether it is ready`
  return {status: 'warn', message, cause: causes.credentials(subject, sentHeaders.length > 0)}
}

/** Paths that common servers and frameworks serve health on; suggested after a 404. */
const COMMON_HEALTH_PATHS = [
  '/readyz',
  '/healthz',
  '/health',
  '/ready',
  '/-/ready',
  '/actuator/health',
  '/api/v1/health',
]

function wrongPath(subject: Subject, response: HttpResponse): Finding {
  return {
    status: 'fail',
    message: `answered ${statusLine(response.status)}: wrong path? Common health paths: ${otherHealthPaths(subject.url).join(', ')}`,
    cause: causes.wrongPath(subject),
  }
}

function otherHealthPaths(url: string): string[] {
  const current = safeUrl(url)?.pathname
  return COMMON_HEALTH_PATHS.filter((p) => p !== current)
}

function rateLimited(subject: Subject, response: HttpResponse): Finding {
  const retryAfter = response.header('retry-after')
  return {
    status: 'warn',
    message: `answered ${statusLine(response.status)}${retryAfter ? ` (Retry-After: ${retryAfter})` : ''}: rate limiting covers the health path, so probes can be refused while the service is fine`,
    cause: causes.rateLimited(subject),
  }
}

function unexpectedStatus(subject: Subject, response: HttpResponse): Finding {
  const expected = subject.endpoint.expectStatus
  const wanted = expected === undefined ? 'a 2xx' : `${expected} (expectStatus)`
  return {
    status: 'fail',
    message: `answered ${statusLine(response.status)}, not ${wanted}`,
    cause: causes.unexpectedStatus(subject, response.status),
  }
}

function connectionFailed(subject: Subject, error: NetError): Finding {
  const observed = {
    url: subject.url,
    error: {kind: error.kind, ...(error.code ? {code: error.code} : {}), message: error.message},
  }
  const message = error.hint ? `${error.message}. ${error.hint}` : error.message
  if (error.kind === 'aborted') return {status: 'timeout', message, observed}
  const cause =
    error.kind === 'timeout'
      ? causes.hung(subject, error)
      : error.kind === 'tls'
        ? causes.tls(subject, error)
        : causes.unreachable(subject, error)
  return {status: 'fail', message, cause, observed}
}

function safeUrl(url: string, base?: string): URL | undefined {
  try {
    return new URL(url, base)
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Causes: what each finding means, how to fix it, how to confirm the fix

type RedirectKind = 'login' | 'https' | 'other'

const KB = 'service-not-ready'

/** The command that shows the fix worked. Header names only: their values may be credentials. */
function curlCommand(subject: Subject): string {
  const headers = Object.keys(subject.endpoint.headers ?? {}).map((name) => `-H '${name}: …' `)
  return `curl -i ${headers.join('')}'${subject.url}'`
}

function verifySteps(subject: Subject): string[] {
  const expected = subject.endpoint.expectStatus ?? '2xx'
  return [
    `\`${curlCommand(subject)}\` answers ${expected} and its body lists no failing check.`,
    '`doctor run readiness` passes.',
  ]
}

/** Component names for prose: IETF keys are "component:measurement", and one component can fail several measurements. */
const dependencyNames = (deps: Dependency[]): string =>
  [...new Set(deps.map((d) => d.name.replace(/:[^/]*$/, '')))].join(', ')

const causes = {
  dependencyDown: (subject: Subject, failing: Dependency[]): CauseRef => ({
    kb: `${KB}#dependency-down`,
    summary: `${subject.label} is running but reports ${dependencyNames(failing)} as not ready.`,
    fix: [
      `Check ${dependencyNames(failing)}: is it running, and can the service reach it (host, port, credentials, network policy, TLS)?`,
      'Read the service logs around the failing check for the full error; health bodies usually shorten it.',
      'Once the dependency is back, the service normally recovers on its own; restart it only if it does not reconnect.',
    ],
    verify: verifySteps(subject),
  }),
  notReady: (subject: Subject): CauseRef => ({
    kb: `${KB}#not-ready`,
    summary: `${subject.label} says it is not ready (503) without naming the dependency that fails.`,
    fix: [
      'Read the service logs for the check that fails: the database, cache or queue it needs, or migrations that have not run.',
      'Ask for a detailed body if the service supports it (Kubernetes-style `?verbose`; Spring Boot `management.endpoint.health.show-details`), so the response names the failing check.',
    ],
    verify: verifySteps(subject),
  }),
  appError: (subject: Subject, status: number): CauseRef => ({
    kb: `${KB}#app-error`,
    summary: `${subject.label} answers ${status}: the health handler itself errors, or a failing check is reported as a server error.`,
    fix: [
      'Read the service logs at the time of the request for the exception or the failing check.',
      "Check the service's dependencies (database, cache, queue) and its configuration after the last deploy.",
    ],
    verify: verifySteps(subject),
  }),
  proxyUpstream: (subject: Subject, status: number): CauseRef => ({
    kb: `${KB}#proxy-upstream`,
    summary:
      status === 502
        ? `A reverse proxy in front of ${subject.label} could not reach the app (it is down, crashing, or the proxy points at the wrong host or port).`
        : `A reverse proxy in front of ${subject.label} timed out waiting for the app (it is hung, overloaded, or blocked on a dependency).`,
    fix: [
      'Check that the app process or container is running and not restarting (its logs, `docker ps`, `kubectl get pods`).',
      "Compare the proxy's upstream address with the host and port the app really listens on.",
      status === 504
        ? "If the app is up, find what it waits on (a dependency, a lock) and compare with the proxy's read timeout."
        : "Read the proxy's error log: it names the upstream it could not reach and why.",
    ],
    verify: verifySteps(subject),
  }),
  okStatusOnFailure: (subject: Subject, failing: Dependency[]): CauseRef => ({
    kb: `${KB}#ok-status-on-failure`,
    summary: `${subject.label} answers 2xx while its body reports failure, so probes that read only the status code keep sending traffic to it.`,
    fix: [
      ...(failing.length > 0
        ? [
            `Bring ${dependencyNames(failing)} back: check it is running and reachable from the service, and read the service logs for the full error.`,
          ]
        : ['Read the service logs for the check that fails.']),
      'Make the endpoint answer 503 when it reports failure (the health-check draft requires 4xx/5xx for "fail"), or point probes at an endpoint that does.',
    ],
    verify: verifySteps(subject),
  }),
  degraded: (subject: Subject, deps: Dependency[]): CauseRef => ({
    kb: `${KB}#degraded`,
    summary: `${subject.label} still reports ready, but ${deps.length > 0 ? dependencyNames(deps) : 'something it depends on'} is degraded.`,
    fix: [
      deps.length > 0
        ? `Check ${dependencyNames(deps)}: the service works around it for now, but features that need it may fail.`
        : 'Read the body and the service logs for the concern it reports.',
    ],
    verify: verifySteps(subject),
  }),
  wrongPath: (subject: Subject): CauseRef => ({
    kb: `${KB}#wrong-path`,
    summary: `${subject.url} is not a health endpoint of the service.`,
    fix: [
      `Find the health path in the service's documentation (common ones: ${COMMON_HEALTH_PATHS.join(', ')}) and set it in readiness.endpoints.`,
      'If a reverse proxy sits in front, check that it forwards this path to the app rather than answering it itself.',
    ],
    verify: verifySteps(subject),
  }),
  credentials: (subject: Subject, sentHeaders: boolean): CauseRef => ({
    kb: `${KB}#auth-required`,
    summary: sentHeaders
      ? `${subject.label} rejects the credentials configured for it.`
      : `${subject.label} requires credentials, so doctor cannot read its state.`,
    fix: [
      sentHeaders
        ? "Check that the credential in the endpoint's headers (in readiness.endpoints) is current and allowed to read health."
        : 'Add the credential to this endpoint in readiness.endpoints, e.g. `headers: {Authorization: "Bearer ${HEALTH_TOKEN}"}` with the token in that environment variable.',
      'Or exempt the health path from authentication, since probes and load balancers do not log in.',
    ],
    verify: verifySteps(subject),
  }),
  redirected: (subject: Subject, kind: RedirectKind): CauseRef => ({
    kb: `${KB}#redirected`,
    summary: `${subject.label} redirects instead of answering${kind === 'login' ? ' (to a login page)' : kind === 'https' ? ' (to HTTPS)' : ''}.`,
    fix: [
      kind === 'https'
        ? 'Use the https:// URL in readiness.endpoints (and in probes).'
        : kind === 'login'
          ? 'Exempt the health path from the login requirement (or from the auth proxy in front), so probes reach it.'
          : 'Point readiness.endpoints (and probes) at the final URL, or stop the server redirecting the health path.',
    ],
    verify: verifySteps(subject),
  }),
  rateLimited: (subject: Subject): CauseRef => ({
    kb: `${KB}#rate-limited`,
    summary: `Rate limiting applies to ${subject.label}, so health probes can be refused.`,
    fix: ['Exempt the health path from rate limiting in the app or the proxy in front of it.'],
    verify: verifySteps(subject),
  }),
  unexpectedStatus: (subject: Subject, status: number): CauseRef => ({
    kb: `${KB}#unexpected-status`,
    summary: `${subject.label} answers ${status}, which is not what a healthy endpoint answers${subject.endpoint.expectStatus ? ` (expectStatus ${subject.endpoint.expectStatus})` : ''}.`,
    fix: [
      'Check the method and path the service expects for health requests, and the expectStatus in readiness.endpoints.',
      'Read the service logs for why it rejected the request.',
    ],
    verify: verifySteps(subject),
  }),
  unreachable: (subject: Subject, error: NetError): CauseRef => ({
    kb: `${KB}#unreachable`,
    summary: `doctor could not reach ${subject.url}: ${error.message}.`,
    fix: [
      ...(error.hint ? [error.hint] : []),
      'Check the URL in readiness.endpoints, and that this machine can reach that host and port.',
    ],
    verify: verifySteps(subject),
  }),
  hung: (subject: Subject, error: NetError): CauseRef => ({
    kb: `${KB}#hung`,
    summary: `${subject.label} accepts connections but does not answer.`,
    fix: [
      ...(error.hint ? [error.hint] : []),
      'A health handler that waits on a dependency without a timeout hangs with it: give each dependency check a short timeout.',
    ],
    verify: verifySteps(subject),
  }),
  tls: (subject: Subject, error: NetError): CauseRef => ({
    kb: `${KB}#tls`,
    summary: `The TLS certificate of ${subject.url} is not trusted: ${error.message}.`,
    fix: error.hint ? [error.hint] : ['Fix the server certificate, or pass the private CA with --ca FILE.'],
    verify: verifySteps(subject),
  }),
}

// ---------------------------------------------------------------------------------------------
// Overall outcome

const EXPECTED = 'each endpoint answers 2xx (or its expectStatus) with a body that lists no failing check'

function summarise(probes: Probe[]): CheckOutcome {
  const items: Item[] = probes.map((p) => ({label: p.label, status: p.finding.status, message: p.finding.message}))
  const evidence = {
    observed: probes.map((p) => ({endpoint: p.label, ...p.finding.observed})),
    expected: EXPECTED,
    exchanges: probes.map((p) => p.exchange),
  }
  const status = worst(items.map((i) => i.status))
  const lines = probes.map((p) => `${p.label}: ${p.finding.message}`)
  if (status === 'pass') {
    const message = probes.length === 1 ? lines[0] : `All ${probes.length} endpoints report ready. ${lines.join('; ')}`
    return pass(message, {evidence, items})
  }
  const flagged = probes.filter((p) => p.finding.status !== 'pass')
  const primary = flagged.find((p) => p.finding.status === status) ?? flagged[0]
  const others = flagged.filter((p) => p !== primary && p.finding.cause?.summary).map((p) => p.finding.cause!.summary!)
  const flaggedLines = flagged.map((p) => `${p.label}: ${p.finding.message}`)
  const message =
    probes.length === 1
      ? flaggedLines[0]
      : `${flagged.length} of ${probes.length} endpoints ${flagged.length === 1 ? 'is' : 'are'} not ready. ${flaggedLines.join('; ')}`
  return {
    status,
    message,
    ...(primary.finding.cause ? {cause: primary.finding.cause} : {}),
    evidence: {...evidence, ...(others.length > 0 ? {notes: others} : {})},
    items,
  }
}

// ---------------------------------------------------------------------------------------------
// Health bodies: IETF health+json, Spring Boot, MicroProfile, ad-hoc JSON, Kubernetes text

type Health = 'pass' | 'warn' | 'fail'

interface Dependency {
  /** Path-like for nested components: "db/primary". */
  name: string
  health: Health
  /** As the body wrote it: "DOWN", "fail", "failed". */
  status: string
  detail?: string
}

interface HealthBody {
  format: 'json' | 'kubernetes-text' | 'text' | 'html' | 'empty' | 'unrecognised'
  overall?: Health
  overallStatus?: string
  /** The body's own explanation of the overall state (output, message, error). */
  detail?: string
  dependencies: Dependency[]
}

type JsonObject = Record<string, unknown>

const HEALTH_WORDS: Record<string, Health> = Object.fromEntries([
  ...['pass', 'passed', 'passing', 'ok', 'up', 'healthy', 'ready', 'green', 'success', 'alive', 'serving'].map((w) => [
    w,
    'pass',
  ]),
  ...['warn', 'warning', 'degraded', 'yellow', 'partial'].map((w) => [w, 'warn']),
  ...[
    'fail',
    'failed',
    'failing',
    'failure',
    'error',
    'down',
    'out of service',
    'not ready',
    'unready',
    'unhealthy',
    'critical',
    'red',
    'unavailable',
    'not ok',
    'ko',
    'not serving',
    'dead',
  ].map((w) => [w, 'fail']),
])

/** Words that only mean something in a `status` field; as a bare value ("region": "unknown") they would be noise. */
const STATUS_FIELD_WORDS: Record<string, Health> = {unknown: 'warn'}

function healthOf(value: unknown, inStatusField = false): Health | undefined {
  if (typeof value === 'boolean') return value ? 'pass' : 'fail'
  if (typeof value !== 'string') return undefined
  const word = value
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
  return HEALTH_WORDS[word] ?? (inStatusField ? STATUS_FIELD_WORDS[word] : undefined)
}

function parseHealthBody(response: HttpResponse): HealthBody {
  const text = response.text()
  const contentType = response.header('content-type') ?? ''
  if (text.trim() === '') return {format: 'empty', dependencies: []}
  const json = /json/i.test(contentType) || /^\s*[{[]/.test(text) ? tryParseJson(text) : undefined
  if (Array.isArray(json)) return {format: 'json', dependencies: collectContainer(json, [], true)}
  if (isObject(json)) return parseHealthJson(json)
  if (/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(text)) return {format: 'html', dependencies: []}
  return parseHealthText(text)
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Keys that hold a list or map of checks: IETF and MicroProfile `checks`, Spring Boot `components` (and 1.x `details`). */
const CONTAINER_KEYS = new Set(['checks', 'components', 'details', 'dependencies', 'services'])
/** Nested containers inside one component (Spring Boot composite contributors). */
const NESTED_CONTAINER_KEYS = ['components', 'checks', 'dependencies']
/** Top-level fields that describe the response, never a dependency. */
const TOP_LEVEL_META = new Set([
  'status',
  'healthy',
  'ready',
  'ok',
  'up',
  'alive',
  'live',
  'version',
  'releaseid',
  'notes',
  'output',
  'serviceid',
  'description',
  'links',
  'message',
  'error',
  'reason',
  'time',
  'timestamp',
  'uptime',
  'name',
  'service',
])
/** Booleans that state the overall health when there is no `status`. */
const OVERALL_BOOLEANS = ['healthy', 'ready', 'ok', 'up', 'alive', 'live']
const MAX_DEPTH = 5

function parseHealthJson(body: JsonObject): HealthBody {
  const statusField = statusOf(body)
  const dependencies: Dependency[] = []
  for (const [key, value] of Object.entries(body)) {
    if (CONTAINER_KEYS.has(key) && typeof value === 'object' && value !== null)
      dependencies.push(...collectContainer(value, [], true))
    else if (!TOP_LEVEL_META.has(key.toLowerCase())) dependencies.push(...collectEntry(key, value, [], false))
  }
  return {
    format: 'json',
    overall: statusField?.health,
    overallStatus: statusField?.raw,
    detail: detailOf(body),
    dependencies,
  }
}

function statusOf(node: JsonObject): {health: Health; raw: string} | undefined {
  for (const key of ['status', 'state']) {
    const health = healthOf(node[key], true)
    if (health) return {health, raw: String(node[key])}
  }
  for (const key of OVERALL_BOOLEANS) {
    if (typeof node[key] === 'boolean') return {health: healthOf(node[key])!, raw: `${key}: ${node[key]}`}
  }
  return undefined
}

/**
 * The entries of a `checks`/`components` map or list. Inside a named container a boolean is a
 * verdict ("redis": false); elsewhere it is more likely a setting, so it is ignored.
 */
function collectContainer(container: object, path: string[], booleansAreHealth: boolean): Dependency[] {
  if (path.length > MAX_DEPTH) return []
  if (Array.isArray(container)) {
    return container
      .filter(isObject)
      .flatMap((entry, i) => collectEntry(entryName(entry) ?? `#${i + 1}`, entry, path, booleansAreHealth))
  }
  return Object.entries(container).flatMap(([key, value]) => collectEntry(key, value, path, booleansAreHealth))
}

function collectEntry(name: string, value: unknown, path: string[], booleansAreHealth: boolean): Dependency[] {
  const fullName = [...path, name].join('/')
  if (typeof value === 'string' || (booleansAreHealth && typeof value === 'boolean')) {
    const health = healthOf(value)
    return health ? [{name: fullName, health, status: String(value)}] : []
  }
  if (Array.isArray(value)) return ietfEntries(fullName, value)
  if (!isObject(value)) return []
  const status = statusOf(value)
  if (!status) return collectContainer(value, [...path, name], false)
  const self: Dependency = {name: fullName, health: status.health, status: status.raw, ...optionalDetail(value)}
  const nested = NESTED_CONTAINER_KEYS.filter((key) => typeof value[key] === 'object' && value[key] !== null).flatMap(
    (key) => collectContainer(value[key] as object, [...path, name], true),
  )
  return [self, ...nested]
}

/** IETF draft: "component:measurement": [{componentId, status, output}, ...], one object per instance. */
function ietfEntries(name: string, entries: unknown[]): Dependency[] {
  const objects = entries.filter(isObject)
  return objects.flatMap((entry) => {
    const status = statusOf(entry)
    if (!status) return []
    const instance = objects.length > 1 && typeof entry.componentId === 'string' ? ` (${entry.componentId})` : ''
    return [{name: `${name}${instance}`, health: status.health, status: status.raw, ...optionalDetail(entry)}]
  })
}

function entryName(entry: JsonObject): string | undefined {
  for (const key of ['name', 'componentId', 'component', 'id'])
    if (typeof entry[key] === 'string') return entry[key] as string
  return undefined
}

const optionalDetail = (node: JsonObject): {detail?: string} => {
  const detail = detailOf(node)
  return detail ? {detail} : {}
}

/** The human explanation a body gives: IETF `output`, Spring `details.error`, or the usual suspects. */
function detailOf(node: JsonObject): string | undefined {
  const candidates = [node.output, node.message, node.error, node.reason, node.details, node.data]
  for (const candidate of candidates) {
    const text =
      typeof candidate === 'string'
        ? candidate
        : isObject(candidate)
          ? firstString(candidate, ['error', 'message', 'reason', 'output'])
          : undefined
    if (text && text.trim()) return shorten(text)
  }
  return undefined
}

function firstString(node: JsonObject, keys: string[]): string | undefined {
  for (const key of keys) if (typeof node[key] === 'string') return node[key] as string
  return undefined
}

const MAX_DETAIL = 160

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length > MAX_DETAIL ? `${oneLine.slice(0, MAX_DETAIL - 1)}…` : oneLine
}

/** Kubernetes apiserver style: "[+]ping ok", "[-]etcd failed: reason withheld". */
const KUBERNETES_LINE = /^\[([+-])\](\S+)\s+(\S+?):?(?:\s+(.*))?$/

function parseHealthText(text: string): HealthBody {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
  const dependencies: Dependency[] = []
  for (const line of lines) {
    const match = KUBERNETES_LINE.exec(line)
    if (!match) continue
    const [, sign, name, status, detail] = match
    dependencies.push({
      name,
      health: sign === '+' ? 'pass' : 'fail',
      status,
      ...(detail ? {detail: shorten(detail)} : {}),
    })
  }
  if (dependencies.length > 0) {
    const failing = dependencies.some((d) => d.health === 'fail')
    return {
      format: 'kubernetes-text',
      overall: failing ? 'fail' : 'pass',
      overallStatus: lines.at(-1)?.startsWith('[') ? undefined : lines.at(-1),
      dependencies,
    }
  }
  const single = lines.length === 1 ? healthOf(lines[0]) : undefined
  if (single) return {format: 'text', overall: single, overallStatus: lines[0], dependencies: []}
  // A short sentence ("database unavailable") is worth quoting; a page or a cut-off JSON body is not.
  const sentence =
    lines.length === 1 && lines[0].length <= MAX_DETAIL && !/^[{[<]/.test(lines[0]) ? lines[0] : undefined
  return {format: 'unrecognised', ...(sentence ? {detail: sentence} : {}), dependencies: []}
}

/** Spring composites report "db" DOWN and "db/primary" DOWN: name the one that explains it. */
function mostSpecific(deps: Dependency[]): Dependency[] {
  return deps.filter((d) => !deps.some((other) => other !== d && other.name.startsWith(`${d.name}/`)))
}

function describe(dep: Dependency): string {
  return `${dep.name} (${dep.status}${dep.detail ? `: ${dep.detail}` : ''})`
}

const describeAll = (deps: Dependency[]): string => deps.map(describe).join(', ')
