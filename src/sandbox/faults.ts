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

/** What the sandbox is, in the words the demo's banner and help use. */
export const SANDBOX_STORY =
  "a self-hosted Release Passport (its console behind an OIDC login through a real OpenID Provider, panva's oidc-provider; " +
  'its API and CI release gate; billing and license endpoints; evidence connectors to Prometheus, Kubernetes and Argo CD stand-ins; ' +
  'its docs pages), next to a Rack Gateway in front of a Convox API, the api-test portal and a secrets-bridge control plane'

export const FAULTS = [
  {
    id: 'redis-down',
    description: 'the Release Passport API is up but its Redis is not: /readyz answers 503 and names redis:connections',
    check: 'readiness',
  },
  {
    id: 'idp-clock-ahead',
    description:
      "the OpenID Provider's clock runs 95 s fast as its Date headers show it, beyond the 30 s leeway ID tokens get (only the headers are shifted, so signing in still works)",
    check: 'clock-skew',
  },
  {
    id: 'issuer-trailing-slash',
    description:
      'the OpenID Provider publishes its issuer with a trailing slash (…/realms/sandbox/) that the configured issuer lacks: the console copes (it reads the discovery URL), clients that compare the issuer exactly reject it',
    check: 'oidc-discovery',
  },
  {
    id: 'cli-callback-unregistered',
    description:
      "the CLI callback (/api/v1/auth/cli/callback) is missing from the console client's redirect URIs at the OpenID Provider (the web one is there), so CLI logins stop at its error page",
    check: 'oidc-redirect-uri',
  },
  {
    id: 'state-cookie-samesite-none',
    description:
      'the console sets its login-state cookie with SameSite=None but without Secure, so browsers drop it and the login loops between the callback and /login',
    check: 'session-cookie',
  },
  {
    id: 'token-under-scoped',
    description:
      'the CI release-gate token is valid but only has evidence:read, and listing gates needs gate:read (403 insufficient_scope)',
    check: 'api-token',
  },
  {
    id: 'token-trailing-newline',
    description: 'the CI release-gate token was pasted with a trailing newline',
    check: 'api-token',
  },
  {
    id: 'webhook-wrong-secret',
    description: 'the billing webhook receiver verifies with the test-mode Stripe secret, so live events are refused',
    check: 'webhook-signature',
  },
  {
    id: 'billing-pending',
    description: 'billing is stuck in "pending": the payment webhook never got through',
    check: 'billing-status',
  },
  {
    id: 'runtime-not-restarted',
    description:
      'the license says production is active, but the running runtime still has the old license (feature off)',
    check: 'entitlement',
  },
  {
    id: 'connector-stale',
    description:
      'the Prometheus evidence connector last synced 3 hours ago: its token was rotated and every sync gets 401',
    check: 'evidence-freshness',
  },
  {
    id: 'gitops-out-of-sync',
    description: 'Argo CD still runs the previous revision of sandbox-api: OutOfSync, with a Degraded deployment',
    check: 'gitops-status',
  },
  {
    id: 'prometheus-label-mismatch',
    description:
      'the evidence query asks Prometheus for service="sandbox", but the series are labelled service="sandbox-api"',
    check: 'prometheus-labels',
  },
  {
    id: 'kube-selector-mismatch',
    description:
      'the Kubernetes evidence connector selects app=sandbox-api, but the pods are labelled app.kubernetes.io/name=sandbox-api',
    check: 'kubernetes-workload',
  },
  {
    id: 'gateway-rack-host-wrong',
    description:
      'the Rack Gateway forwards to a RACK_HOST where nothing listens, so forwarded calls answer 502 Bad Gateway while the Convox API itself is up',
    check: 'upstream-proxy',
  },
  {
    id: 'portal-json-banner',
    description:
      'the api-test portal binary was built without its UI bundle: /portal/ answers the {"status":"banner"} JSON fallback',
    check: 'portal-spa',
  },
  {
    id: 'audit-disabled',
    description:
      'api-test runs with auditing off (the dev profile): its audit list stays empty even after an audited request',
    check: 'audit-log',
  },
  {
    id: 'agent-wrong-secret',
    description:
      'a secrets-bridge agent heartbeats with the wrong secret: it stays stale and the audit log fills with error_kind "unauthorized"',
    check: 'agent-heartbeat',
  },
  {
    id: 'pipeline-local-mode',
    description: 'the CI workflow runs releasepassport gate without --api-url, i.e. in local mode',
    check: 'pipeline-mode',
  },
  {
    id: 'docs-wide-table',
    description:
      'a Release Passport docs page has a wide evidence table with no scrolling wrapper, so it scrolls sideways on phones',
    check: 'viewport-overflow',
  },
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
