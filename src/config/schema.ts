import {isIP} from 'node:net'
import {z} from 'zod'
import {compilePattern} from '../redact/redactor.js'
import {WEBHOOK_SCHEMES} from '../webhooks/names.js'
import {DEFAULT_TOLERANCES} from './defaults.js'

export {DEFAULT_TOLERANCES} from './defaults.js'

/**
 * The doctor.yaml schema. Fields that hold credentials carry `writeOnly: true` (JSON Schema's
 * own annotation for values that are sent but never shown); the loader registers their values
 * with the redactor. Secrets are normally written as ${ENV_VAR} references, never inline.
 */
export const secret = <T extends z.ZodType>(schema: T, description: string) =>
  schema.meta({writeOnly: true, description})

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value)
    return u.protocol === 'http:' || u.protocol === 'https:'
  } catch {
    return false
  }
}

export const httpUrl = z
  .string()
  .refine(isHttpUrl, {error: (iss) => `"${String(iss.input)}" is not an absolute http:// or https:// URL`})

/** An absolute URL, or a path resolved against target.baseUrl. */
export const urlOrPath = z.string().refine((v) => (v.startsWith('/') && !v.startsWith('//')) || isHttpUrl(v), {
  error: (iss) => `"${String(iss.input)}" is neither an absolute http(s) URL nor a path starting with a single "/"`,
})

const headers = z
  .record(z.string(), secret(z.string(), 'Header value; may carry a credential, so it is redacted everywhere.'))
  .meta({description: 'Extra request headers, e.g. {Authorization: "Bearer ${TOKEN}"}.'})

/** A regular expression for redact.patterns: it must compile and must not match the empty string. */
const redactPattern = z.string().superRefine((value, ctx) => {
  try {
    compilePattern({pattern: value})
  } catch (error) {
    ctx.addIssue({code: 'custom', message: `not a usable regular expression: ${(error as Error).message}`})
  }
})

const jsonPath = z.string().startsWith('$', 'a JSONPath starting with "$"')

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 15m or 2h')

const endpoint = z.union([
  urlOrPath,
  z.strictObject({
    url: urlOrPath.meta({description: 'Absolute URL, or a path relative to target.baseUrl.'}),
    name: z.string().optional().meta({description: 'Label used in output, e.g. "api".'}),
    headers: headers.optional(),
    expectStatus: z
      .number()
      .int()
      .min(100)
      .max(599)
      .optional()
      .meta({description: 'Status a healthy endpoint returns (default: any 2xx).'}),
  }),
])

const server = z.union([
  httpUrl,
  z.strictObject({
    url: httpUrl.meta({description: 'Any URL on that server; its origin is sampled.'}),
    name: z.string().optional().meta({description: 'Label used in output.'}),
  }),
])

export {WEBHOOK_SCHEMES}

/**
 * One JSONPath expectation. The short form is a string: "<path> == <json>", "<path> != <json>",
 * "<path> contains <json>", "<path> exists", "<path> in the future" (a date or epoch seconds).
 */
export const expectation = z.union([
  z
    .string()
    .regex(
      /^\$\S*\s+(==|!=|contains|exists|in the future|in the past)/,
      'a JSONPath then ==, !=, contains, exists, "in the future" or "in the past", e.g. "$.entitlements.production == true"',
    ),
  z.strictObject({
    path: z
      .string()
      .startsWith('$', 'a JSONPath starting with "$"')
      .meta({description: 'JSONPath (jsonpath-plus syntax).'}),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    notEquals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    contains: z.union([z.string(), z.number(), z.boolean()]).optional(),
    exists: z.boolean().optional(),
    future: z
      .boolean()
      .optional()
      .meta({description: 'true: a date (ISO or epoch seconds) after now; false: before now.'}),
    label: z
      .string()
      .optional()
      .meta({description: 'What this expectation means, for output ("production entitlement").'}),
  }),
])

const checkSettings = z.strictObject({
  enabled: z.boolean().optional().meta({description: 'false skips the check in `doctor all`.'}),
  severity: z
    .enum(['warn', 'fail'])
    .optional()
    .meta({description: 'Cap the severity of this check\'s findings, e.g. "warn" to report without failing CI.'}),
  timeout: z
    .string()
    .regex(/^\d+(ms|s|m)$/, 'a duration such as 30s or 2m')
    .optional()
    .meta({
      description:
        'Time limit for this check, e.g. "45s" (default 10s, or what the check needs when that is more; wins over --check-timeout).',
    }),
})

export function buildConfigSchema(checkIds: readonly string[]) {
  return z
    .strictObject({
      $schema: z.string().optional(),
      target: z
        .strictObject({
          name: z.string().optional().meta({description: 'A label for reports, e.g. "release-passport staging".'}),
          baseUrl: httpUrl.meta({description: 'The public URL of the app, as users reach it.'}),
        })
        .optional()
        .meta({description: 'The deployment under diagnosis.'}),
      oidc: z
        .strictObject({
          issuer: httpUrl.meta({description: 'The issuer exactly as configured in the app (trailing slash matters).'}),
          clientId: z.string().optional().meta({description: 'The OIDC client id the app uses.'}),
          redirectUris: z.array(httpUrl).min(1).optional().meta({
            description:
              'The callback URLs registered for the client, exactly as registered; list every one the app uses (Rack Gateway: the web and the CLI callback).',
          }),
          scopes: z
            .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope is one word without spaces or quotes'))
            .min(1)
            .optional()
            .meta({description: 'Scopes the app requests (default ["openid"]).'}),
        })
        .optional()
        .meta({
          description:
            'The OpenID Provider the app signs users in with (checks `oidc-discovery`, `oidc-redirect-uri`).',
        }),
      login: z
        .strictObject({
          path: urlOrPath.optional().meta({
            description:
              'Where the app starts a sign-in (e.g. "/login", "/api/v1/auth/web/login"). Default: follow consolePath until it leaves for the IdP.',
          }),
          consolePath: urlOrPath
            .optional()
            .meta({description: 'A page that needs a session, where users land after signing in (default "/").'}),
          sessionCookie: z
            .string()
            .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "a cookie name is a token: letters, digits and !#$%&'*+.^_`|~-")
            .optional()
            .meta({description: "Name of the app's session cookie, to single it out among the others."}),
          testUser: z
            .strictObject({
              username: z.string().min(1).meta({description: "User name or email the IdP's login form expects."}),
              password: secret(z.string().min(1), 'Password of the test user; write it as ${ENV_VAR}. Never printed.'),
              email: z
                .email()
                .optional()
                .meta({description: "The user's email, when the username is not one (for the allowed-domain check)."}),
            })
            .optional()
            .meta({
              description:
                "A test account. With it, doctor signs in through the IdP and the app's callback (this creates a session at the IdP and in the app); without it, the walk stops at the IdP's login form.",
            }),
          allowedEmailDomains: z
            .array(z.string().regex(/^[a-z0-9.-]+$/i, 'a domain such as example.com'))
            .min(1)
            .optional()
            .meta({
              description:
                "Email domains the app admits (Rack Gateway: GOOGLE_ALLOWED_DOMAIN); the test user's domain is checked against them.",
            }),
          maxHops: z.number().int().min(2).max(50).optional().meta({
            description:
              'Give up after this many browser moves (redirects, refreshes, form posts). Default 20, as browsers do.',
          }),
        })
        .optional()
        .meta({description: 'How a person signs in to the console (checks `session-cookie`, `login-redirect-loop`).'}),
      api: z
        .strictObject({
          url: urlOrPath.meta({
            description:
              'A protected GET the token may call, best an identity endpoint ("/api/v1/whoami"); absolute or relative to target.baseUrl. Only GET is sent.',
          }),
          tokenEnv: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as RACK_GATEWAY_API_TOKEN')
            .optional()
            .meta({
              description:
                'Name of the environment variable that holds the token (e.g. RACK_GATEWAY_API_TOKEN); doctor reports it unset or empty as a finding.',
            }),
          token: secret(
            z.string(),
            'The token itself, usually as ${ENV_VAR}; prefer tokenEnv. Never printed.',
          ).optional(),
          header: z
            .string()
            .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name such as Authorization or X-API-Key')
            .optional()
            .meta({
              description: 'Header the API reads the credential from (default Authorization; api-test: X-API-Key).',
            }),
          scheme: z.string().optional().meta({
            description:
              'Auth scheme before the token (default "Bearer" in Authorization, none in other headers; "" sends the bare value).',
          }),
          prefix: z
            .string()
            .min(1)
            .optional()
            .meta({description: 'How every valid token starts (Rack Gateway: "rgw_").'}),
          requiredScopes: z.array(z.string().min(1)).min(1).optional().meta({
            description:
              "Scopes the caller needs; compared with the JWT's scope/scp/scopes and with insufficient_scope hints.",
          }),
          audience: z
            .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
            .optional()
            .meta({description: 'The aud a JWT must carry for this API.'}),
          issuer: httpUrl
            .optional()
            .meta({description: 'The iss a JWT must carry (default oidc.issuer); its key set verifies the signature.'}),
          anonymous: z
            .boolean()
            .optional()
            .meta({description: 'The API serves requests with no credential at all (api-test auth.allow_anonymous).'}),
          expect: z
            .record(
              z.string().startsWith('$', 'a JSONPath starting with "$"'),
              z.union([z.string(), z.number(), z.boolean()]),
            )
            .optional()
            .meta({
              description:
                'What the identity response must show for this pipeline, as JSONPath -> value (e.g. {"$.workspace": "acme", "$.scope.environments": "production"}); a list matches when it contains the value.',
            }),
        })
        .optional()
        .meta({description: 'An API token and the endpoint to try it on (check `api-token`).'}),
      webhooks: z
        .array(
          z.strictObject({
            name: z.string().min(1).optional().meta({description: 'Label used in output, e.g. "stripe".'}),
            url: urlOrPath.meta({
              description: 'The receiver: where the provider posts events; absolute or relative to target.baseUrl.',
            }),
            scheme: z.enum(WEBHOOK_SCHEMES).meta({
              description:
                'How the provider signs: stripe, github, standard (Standard Webhooks), svix, slack, shopify or paddle.',
            }),
            secretEnv: z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as STRIPE_WEBHOOK_SECRET')
              .meta({
                description: 'Name of the environment variable holding the signing secret the receiver should use.',
              }),
            allowWrites: z.boolean().optional().meta({
              description:
                'Let `webhook-signature` POST three marked test events to this receiver (signed, wrongly signed, unsigned). Off by default: it changes state. Same as --allow-writes.',
            }),
            toleranceSeconds: z.number().int().positive().optional().meta({
              description: "The receiver's timestamp tolerance (default: the scheme's, e.g. 300 s for Stripe).",
            }),
          }),
        )
        .min(1)
        .optional()
        .meta({
          description:
            'Webhook receivers and how their provider signs (check `webhook-signature`; offline: `doctor webhook verify`).',
        }),
      billing: z
        .strictObject({
          statusUrl: urlOrPath.meta({description: 'GET that reports the billing state, e.g. "/billing/status".'}),
          headers: headers.optional(),
          expect: z
            .array(expectation)
            .min(1)
            .optional()
            .meta({description: 'When billing counts as healthy (default: a status/state field equal to "active").'}),
        })
        .optional()
        .meta({description: 'The billing status endpoint (check `billing-status`).'}),
      entitlement: z
        .strictObject({
          url: urlOrPath.meta({description: 'GET that reports the license or entitlement status.'}),
          headers: headers.optional(),
          workspace: z
            .string()
            .min(1)
            .optional()
            .meta({description: "The workspace that needs the entitlement; compared with the status's workspace id."}),
          expect: z.array(expectation).min(1).meta({
            description:
              'What the status must show, e.g. "$.entitlements.production == true", "$.features[*] contains sso", "$.expiresAt in the future".',
          }),
          featureUrl: urlOrPath.optional().meta({
            description:
              'A feature-flag endpoint of the running runtime; when the license says active but this does not, the runtime needs a restart.',
          }),
          featureExpect: z
            .array(expectation)
            .min(1)
            .optional()
            .meta({description: 'What featureUrl must show when the feature is unlocked.'}),
        })
        .optional()
        .meta({description: 'License entitlement (check `entitlement`).'}),
      prometheus: z
        .strictObject({
          url: httpUrl.meta({description: 'Prometheus base URL, e.g. http://prometheus:9090.'}),
          headers: headers.optional(),
          queries: z
            .array(
              z.strictObject({
                name: z
                  .string()
                  .min(1)
                  .optional()
                  .meta({description: 'Label used in output, e.g. "checkout error rate".'}),
                query: z
                  .string()
                  .min(1)
                  .meta({description: 'The PromQL the connector runs; it should return at least one series.'}),
              }),
            )
            .min(1)
            .meta({description: 'Queries the evidence connector runs (check `prometheus-labels`).'}),
        })
        .optional()
        .meta({description: 'Prometheus evidence (check `prometheus-labels`).'}),
      kubernetes: z
        .strictObject({
          kubeconfig: z.string().optional().meta({
            description:
              'Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster service account).',
          }),
          context: z.string().optional().meta({description: 'Kubeconfig context (default: the current one).'}),
          namespace: z
            .string()
            .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name')
            .meta({description: 'Namespace the connector reads.'}),
          workloads: z
            .array(
              z.strictObject({
                kind: z
                  .enum(['Deployment', 'StatefulSet', 'DaemonSet'])
                  .optional()
                  .meta({description: 'Default Deployment.'}),
                name: z.string().optional().meta({description: "The workload's name, when known."}),
                selector: z
                  .string()
                  .min(1)
                  .optional()
                  .meta({description: 'Label selector the connector uses, e.g. "app=checkout,tier=web".'}),
                service: z
                  .string()
                  .optional()
                  .meta({description: "A Service whose selector should match this workload's ready pods."}),
              }),
            )
            .min(1)
            .optional()
            .meta({description: 'Workloads whose readiness is evidence.'}),
          permissions: z
            .array(
              z.strictObject({
                verb: z.string().min(1),
                resource: z.string().min(1),
                group: z.string().optional(),
                namespace: z.string().optional(),
              }),
            )
            .optional()
            .meta({
              description:
                'What the connector must be allowed to do (default: get and list deployments and pods, list services, in the namespace); checked with SelfSubjectAccessReview.',
            }),
        })
        .optional()
        .meta({description: 'Kubernetes evidence (check `kubernetes-workload`).'}),
      gitops: z
        .strictObject({
          argocd: z
            .strictObject({
              url: httpUrl.meta({description: 'Argo CD server URL.'}),
              tokenEnv: z
                .string()
                .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
                .meta({description: 'Environment variable with an Argo CD API token.'}),
              app: z.string().min(1).meta({description: 'Application name.'}),
              project: z.string().min(1).optional().meta({
                description: "The app's project; without it, Argo CD answers 403 for an app that does not exist.",
              }),
            })
            .optional(),
          flux: z
            .strictObject({
              kind: z.enum(['Kustomization', 'HelmRelease']),
              name: z.string().min(1),
              namespace: z.string().min(1).meta({description: 'Namespace of the Flux object (often flux-system).'}),
            })
            .optional()
            .meta({description: "A Flux object, read through the kubernetes section's cluster access."}),
          expectedRevision: z
            .string()
            .min(7)
            .optional()
            .meta({description: 'The source SHA (or chart version) the gate expects deployed.'}),
        })
        .optional()
        .meta({description: 'GitOps status (check `gitops-status`).'}),
      evidence: z
        .strictObject({
          connectors: z
            .array(
              z.strictObject({
                name: z.string().min(1).meta({description: 'Label used in output, e.g. "prometheus connector".'}),
                url: urlOrPath.meta({description: 'Status endpoint of the connector or integration.'}),
                headers: headers.optional(),
                lastSync: z
                  .string()
                  .startsWith('$', 'a JSONPath starting with "$"')
                  .meta({description: 'JSONPath of the last successful sync time (ISO date or epoch seconds).'}),
                maxAge: z
                  .string()
                  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 15m or 2h')
                  .meta({description: 'Oldest acceptable last sync, e.g. "15m".'}),
              }),
            )
            .min(1)
            .optional(),
          scope: z
            .strictObject({
              url: urlOrPath.meta({description: 'Where the gate or connector reports the evidence scope it used.'}),
              headers: headers.optional(),
              expect: z.array(expectation).min(1).meta({
                description:
                  'Field by field, e.g. "$.service == checkout", "$.namespace == prod", "$.sourceSha == 4f2c9e1".',
              }),
            })
            .optional(),
        })
        .optional()
        .meta({description: 'Evidence freshness and scope (check `evidence-freshness`).'}),
      mobile: z
        .strictObject({
          pages: z
            .array(
              z.union([
                urlOrPath,
                z.strictObject({
                  url: urlOrPath,
                  name: z.string().optional().meta({description: 'Label used in output, e.g. "console".'}),
                  cookieEnv: z
                    .string()
                    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
                    .optional()
                    .meta({
                      description:
                        'Environment variable with a Cookie header value (name=value; …) for pages behind a login.',
                    }),
                }),
              ]),
            )
            .min(1)
            .meta({description: 'Docs and console pages to open at phone widths.'}),
          viewports: z
            .array(
              z.strictObject({width: z.number().int().min(200).max(1200), height: z.number().int().min(200).max(3000)}),
            )
            .min(1)
            .optional()
            .meta({description: 'Default: 390x844 (a current phone) and 320x640 (the WCAG reflow width).'}),
          browser: z
            .string()
            .optional()
            .meta({description: 'Chromium executable (default: $CHROMIUM_PATH, then chromium on PATH).'}),
          screenshots: z.string().optional().meta({
            description:
              'Folder for screenshots of failing pages (default: a temporary folder, named in the evidence).',
          }),
        })
        .optional()
        .meta({description: 'Pages to check for horizontal overflow on phones (check `viewport-overflow`).'}),
      gateway: z
        .strictObject({
          health: urlOrPath.optional().meta({
            description:
              'The gateway\'s own health endpoint (Rack Gateway: "/api/v1/health"); tells a gateway that is down apart from an upstream that fails.',
          }),
          upstreamProbe: urlOrPath.meta({
            description:
              'A read-only GET that the gateway forwards to its upstream (Rack Gateway: a Convox API path such as "/system"); absolute or relative to target.baseUrl. Only GET is sent.',
          }),
          headers: headers.optional(),
          upstreamUrl: httpUrl.optional().meta({
            description:
              'The upstream itself (Rack Gateway: the Convox API URL, as RACK_HOST should name it), requested without credentials to see whether it answers from where doctor runs.',
          }),
        })
        .optional()
        .meta({
          description:
            'A gateway that forwards requests to an upstream API, such as Rack Gateway in front of a Convox rack (check `upstream-proxy`).',
        }),
      portal: z
        .strictObject({
          path: urlOrPath
            .optional()
            .meta({description: 'Where the web UI (a single-page app) is served (default "/portal/").'}),
          headers: headers.optional(),
          assets: z.boolean().optional().meta({
            description:
              'Also GET the scripts and stylesheets the page links to, on the same origin, at most 10 (default true).',
          }),
        })
        .optional()
        .meta({description: 'An embedded single-page web UI, such as the api-test portal (check `portal-spa`).'}),
      audit: z
        .strictObject({
          url: urlOrPath.meta({
            description: 'GET that lists recent audit events, newest first (secrets-bridge: "/api/v1/audit-events").',
          }),
          headers: headers.optional(),
          items: jsonPath.optional().meta({
            description:
              'JSONPath of the event list in the response (default: the response itself when it is a list, else $.events, $.items, $.data, $.results).',
          }),
          time: jsonPath.optional().meta({
            description:
              'JSONPath of the event time within one event (default: occurred_at, timestamp, time, created_at).',
          }),
          probe: z
            .union([
              urlOrPath,
              z.strictObject({
                url: urlOrPath.meta({description: 'Absolute URL, or a path relative to target.baseUrl.'}),
                headers: headers.optional(),
              }),
            ])
            .optional()
            .meta({
              description:
                'A read-only GET that the service must audit (api-test: "/v1/whoami" with its API key), sent first; the check then looks for it in the log.',
            }),
          within: duration
            .optional()
            .meta({description: 'How recent the newest event must be when no probe is configured (default "15m").'}),
        })
        .optional()
        .meta({description: 'The audit-event API (check `audit-log`).'}),
      agents: z
        .strictObject({
          url: urlOrPath.meta({
            description: 'GET that lists the agents and their last heartbeat (secrets-bridge: "/api/v1/agents").',
          }),
          headers: headers.optional(),
          items: jsonPath.optional().meta({
            description:
              'JSONPath of the agent list (default: the response itself when it is a list, else $.agents, $.items, $.data).',
          }),
          name: jsonPath
            .optional()
            .meta({description: "JSONPath of an agent's name within one agent (default: name, then id)."}),
          lastHeartbeat: jsonPath.optional().meta({
            description:
              "JSONPath of an agent's last heartbeat time (default: last_heartbeat_at, last_seen_at, heartbeat_at and their camelCase forms).",
          }),
          status: jsonPath.optional().meta({
            description:
              'JSONPath of an agent\'s status (default: status, then state); "stale", "offline" or "unhealthy" count as stale.',
          }),
          maxAge: duration.optional().meta({description: 'Oldest acceptable heartbeat (default "2m").'}),
          auditUrl: urlOrPath.optional().meta({
            description:
              'Audit events to search for rejected heartbeats (metadata.error_kind "unauthorized"), requested with agents.headers; default: audit.url with audit.headers when the audit section is set.',
          }),
        })
        .optional()
        .meta({
          description:
            'Agents that heartbeat to a control plane, such as secrets-bridge agents (check `agent-heartbeat`).',
        }),
      pipeline: z
        .strictObject({
          files: z.array(z.string().min(1)).min(1).meta({
            description:
              'CI definitions to read, as globs (*, **, ?, {a,b}), e.g. ".github/workflows/*.yml", ".gitlab-ci.yml". Only read, never run.',
          }),
          root: z.string().min(1).optional().meta({
            description:
              'The folder relative globs start from (default: the current directory; in CI, the repository checkout).',
          }),
          command: z
            .string()
            .min(1)
            .optional()
            .meta({description: 'The gate command to look for (default "releasepassport gate").'}),
          flag: z
            .string()
            .regex(/^--?[A-Za-z0-9][\w-]*$/, 'a flag such as --api-url')
            .optional()
            .meta({description: 'The flag that selects server mode (default "--api-url").'}),
        })
        .optional()
        .meta({description: 'Pipeline definitions that run the release gate (check `pipeline-mode`).'}),
      readiness: z
        .strictObject({
          endpoints: z
            .array(endpoint)
            .min(1)
            .meta({description: 'Health/readiness URLs, absolute or relative to target.baseUrl.'}),
        })
        .optional()
        .meta({description: 'Health and readiness endpoints (check `readiness`).'}),
      clock: z
        .strictObject({
          servers: z.array(server).optional().meta({
            description: 'Extra servers whose clocks to compare (target.baseUrl and oidc.issuer are included).',
          }),
          samples: z
            .number()
            .int()
            .min(1)
            .max(20)
            .optional()
            .meta({description: 'HEAD requests per server (default 5).'}),
          tolerances: z
            .record(z.string(), z.number().positive())
            .optional()
            .meta({
              description: `Clock tolerances in seconds that this deployment depends on; merged with the defaults ${JSON.stringify(DEFAULT_TOLERANCES)}. The tightest one decides.`,
            }),
        })
        .optional()
        .meta({description: 'Clock comparison (check `clock-skew`).'}),
      http: z
        .strictObject({
          connectTimeoutMs: z
            .number()
            .int()
            .positive()
            .optional()
            .meta({description: 'TCP and TLS connect timeout (default 3000).'}),
          timeoutMs: z
            .number()
            .int()
            .positive()
            .optional()
            .meta({description: 'Whole-request timeout (default 8000).'}),
          maxBodyBytes: z
            .number()
            .int()
            .positive()
            .optional()
            .meta({description: 'Stop reading a body after this many bytes (default 1 MiB).'}),
          ca: z.string().optional().meta({description: 'PEM file with extra CA certificates (same as --ca).'}),
          insecure: z
            .boolean()
            .optional()
            .meta({description: 'Skip TLS verification (same as --insecure); recorded in the report.'}),
          headers: headers.optional(),
          resolve: z
            .record(
              z.string().regex(/^[a-z0-9.-]+$/i, 'a host name'),
              z.string().refine((v) => isIP(v) !== 0, {
                error: (iss) => `"${String(iss.input)}" is not an IPv4 or IPv6 address`,
              }),
            )
            .optional()
            .meta({
              description:
                'Connect to these host names at these addresses, like curl --resolve (e.g. {"console.example.com": "10.0.0.5"}); URLs, Host headers, TLS names and cookies keep the name.',
            }),
        })
        .optional()
        .meta({description: 'How doctor talks HTTP to the deployment.'}),
      redact: z
        .strictObject({
          names: z
            .array(
              z
                .string()
                .regex(
                  /^[A-Za-z0-9_.[\]-]{2,80}$/,
                  'a member, parameter, header or variable name (letters, digits, _ . - [ ])',
                ),
            )
            .optional()
            .meta({
              description:
                'Extra credential names for this deployment (e.g. ["rp_internal", "X-Customer-Auth"]): JSON, YAML, form, query, header and env members with these names (or containing them as a word) are redacted in everything doctor records.',
            }),
          patterns: z
            .array(
              z.union([
                redactPattern,
                z.strictObject({
                  pattern: redactPattern.meta({description: 'A JavaScript regular expression.'}),
                  kind: z
                    .string()
                    .regex(/^[a-z][a-z0-9-]{0,30}$/, 'a short lowercase word such as "ticket"')
                    .optional()
                    .meta({description: 'What the marker calls it (default "custom").'}),
                }),
              ]),
            )
            .optional()
            .meta({
              description:
                'Extra secret shapes as regular expressions (e.g. "ACME-[A-Z0-9]{20}"); a named group (?<secret>…) or the first group limits what is replaced, else the whole match.',
            }),
        })
        .optional()
        .meta({
          description: 'Deployment-specific secrets, on top of what doctor always redacts (see README "Secrets").',
        }),
      checks: z
        .strictObject(Object.fromEntries(checkIds.map((id) => [id, checkSettings.optional()])))
        .optional()
        .meta({description: 'Per-check settings, keyed by check id.'}),
    })
    .superRefine((cfg, ctx) => {
      const relative = (cfg.readiness?.endpoints ?? []).some((e) => (typeof e === 'string' ? e : e.url).startsWith('/'))
      if (relative && !cfg.target?.baseUrl) {
        ctx.addIssue({
          code: 'custom',
          path: ['readiness', 'endpoints'],
          message: 'a path like "/readyz" needs target.baseUrl to resolve against',
        })
      }
      if (cfg.api && cfg.api.token === undefined && cfg.api.tokenEnv === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['api'],
          message: "say where the token is: tokenEnv (the environment variable's name) or token",
        })
      }
      const relativeKeys: Array<[string[], string | undefined]> = [
        ...(cfg.webhooks ?? []).map((w, i): [string[], string | undefined] => [['webhooks', String(i), 'url'], w.url]),
        [['billing', 'statusUrl'], cfg.billing?.statusUrl],
        [['entitlement', 'url'], cfg.entitlement?.url],
        [['entitlement', 'featureUrl'], cfg.entitlement?.featureUrl],
        ...(cfg.evidence?.connectors ?? []).map((c, i): [string[], string | undefined] => [
          ['evidence', 'connectors', String(i), 'url'],
          c.url,
        ]),
        [['evidence', 'scope', 'url'], cfg.evidence?.scope?.url],
        [['gateway', 'health'], cfg.gateway?.health],
        [['gateway', 'upstreamProbe'], cfg.gateway?.upstreamProbe],
        [['portal', 'path'], cfg.portal?.path ?? (cfg.portal ? '/portal/' : undefined)],
        [['audit', 'url'], cfg.audit?.url],
        [['audit', 'probe'], typeof cfg.audit?.probe === 'string' ? cfg.audit.probe : cfg.audit?.probe?.url],
        [['agents', 'url'], cfg.agents?.url],
        [['agents', 'auditUrl'], cfg.agents?.auditUrl],
        ...(cfg.mobile?.pages ?? []).map((pg, i): [string[], string | undefined] => [
          ['mobile', 'pages', String(i)],
          typeof pg === 'string' ? pg : pg.url,
        ]),
      ]
      for (const [path, value] of relativeKeys) {
        if (value?.startsWith('/') && !cfg.target?.baseUrl)
          ctx.addIssue({
            code: 'custom',
            path: path.map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
            message: `a path like "${value}" needs target.baseUrl to resolve against`,
          })
      }
      if (cfg.api?.url.startsWith('/') && !cfg.target?.baseUrl) {
        ctx.addIssue({
          code: 'custom',
          path: ['api', 'url'],
          message: `a path like "${cfg.api.url}" needs target.baseUrl to resolve against`,
        })
      }
      for (const key of ['path', 'consolePath'] as const) {
        if (cfg.login?.[key]?.startsWith('/') && !cfg.target?.baseUrl) {
          ctx.addIssue({
            code: 'custom',
            path: ['login', key],
            message: `a path like "${cfg.login[key]}" needs target.baseUrl to resolve against`,
          })
        }
      }
    })
}

export type DoctorConfig = z.output<ReturnType<typeof buildConfigSchema>>

export function configJsonSchema(checkIds: readonly string[]): Record<string, unknown> {
  const schema = z.toJSONSchema(buildConfigSchema(checkIds), {io: 'input', unrepresentable: 'any'}) as Record<
    string,
    unknown
  >
  return {
    ...schema,
    $id: 'https://doctor.invalid/schema/doctor.schema.json',
    title: 'doctor.yaml',
    description:
      'Configuration for doctor: what the deployment is believed to be. Strings may use ${VAR} and ${VAR:-default}.',
  }
}
