/**
 * Faults the sandbox can carry. Each check issue adds its own, so `npm run demo` always shows
 * every kind of finding doctor can make, and `--fixed` proves it makes none on a healthy setup.
 */
export interface FaultInfo {
  id: string
  description: string
  /** The check that should catch it. */
  check: string
}

export const FAULTS = [
  {id: 'redis-down', description: 'the API is up but its Redis dependency is not ready: /readyz answers 503 and names it', check: 'readiness'},
  {id: 'idp-clock-ahead', description: 'the identity provider\'s clock runs 95 s ahead (its Date header says so)', check: 'clock-skew'},
  {id: 'issuer-trailing-slash', description: 'the identity provider publishes its issuer with a trailing slash the app is not configured with', check: 'oidc-discovery'},
  {id: 'cli-callback-unregistered', description: 'the CLI callback is missing from the client\'s registered redirect URIs (the web one is there)', check: 'oidc-redirect-uri'},
  {id: 'state-cookie-samesite-none', description: 'the app sets its login-state cookie with SameSite=None but without Secure, so browsers drop it and the login loops', check: 'session-cookie'},
  {id: 'token-under-scoped', description: 'the CI token is valid but only has evidence:read, and listing gates needs gate:read (403 insufficient_scope)', check: 'api-token'},
  {id: 'token-trailing-newline', description: 'the CI token was pasted with a trailing newline', check: 'api-token'},
  {id: 'webhook-wrong-secret', description: 'the billing webhook receiver verifies with the test-mode secret, so live events are refused', check: 'webhook-signature'},
  {id: 'billing-pending', description: 'billing is stuck in "pending": the payment webhook never got through', check: 'billing-status'},
  {id: 'runtime-not-restarted', description: 'the license says production is active, but the running runtime still has the old license (feature off)', check: 'entitlement'},
  {id: 'connector-stale', description: 'the Prometheus connector last synced 3 hours ago: its token was rotated and every sync gets 401', check: 'evidence-freshness'},
  {id: 'gitops-out-of-sync', description: 'Argo CD still runs the previous revision of the app: OutOfSync, with a Degraded deployment', check: 'gitops-status'},
  {id: 'prometheus-label-mismatch', description: 'the evidence query asks for service="sandbox", but the series are labelled service="sandbox-api"', check: 'prometheus-labels'},
  {id: 'kube-selector-mismatch', description: 'the Kubernetes connector selects app=sandbox-api, but the pods are labelled app.kubernetes.io/name=sandbox-api', check: 'kubernetes-workload'},
  {id: 'gateway-rack-host-wrong', description: 'the Rack Gateway stand-in forwards to a RACK_HOST where nothing listens, so forwarded calls answer 502 Bad Gateway while the Convox API itself is up', check: 'upstream-proxy'},
  {id: 'portal-json-banner', description: 'the portal binary was built without its UI bundle: /portal/ answers the {"status":"banner"} JSON fallback', check: 'portal-spa'},
  {id: 'audit-disabled', description: 'the gateway runs with auditing off (the dev profile): its audit list stays empty even after an audited request', check: 'audit-log'},
  {id: 'agent-wrong-secret', description: 'an agent heartbeats with the wrong secret: it stays stale and the audit log fills with error_kind "unauthorized"', check: 'agent-heartbeat'},
  {id: 'pipeline-local-mode', description: 'the CI workflow runs releasepassport gate without --api-url, i.e. in local mode', check: 'pipeline-mode'},
  {id: 'docs-wide-table', description: 'a docs page has a wide evidence table with no scrolling wrapper, so it scrolls sideways on phones', check: 'viewport-overflow'},
] as const satisfies readonly FaultInfo[]

export type FaultId = (typeof FAULTS)[number]['id']

export const IDP_CLOCK_OFFSET_SECONDS = 95

/**
 * The sandbox's Stripe-style signing secret. A fixed, published value (it protects nothing), so
 * `demo --serve` users can export it; doctor still treats it as a secret and never prints it.
 */
export const SANDBOX_WEBHOOK_SECRET = 'whsec_sandbox_published_not_secret_0001'
export const SANDBOX_WEBHOOK_SECRET_ENV = 'SANDBOX_WEBHOOK_SECRET'

/** The sandbox's Argo CD API token: a published value, passed like real tokens through the environment. */
export const SANDBOX_ARGOCD_TOKEN = 'argocd-sandbox-published-token-0003'
export const SANDBOX_ARGOCD_TOKEN_ENV = 'SANDBOX_ARGOCD_TOKEN'
export const SANDBOX_REVISION = '4f2c9e1d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d'

