import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import check, {sameRevision} from '../../checks/gitops-status.js'
import {type FakeKube, type KObj, startKubeApi} from '../helpers/kube-api.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

const TOKEN = 'argocd-api-token-5b8e2d'
const SHA = '4f2c9e1a7b3d5e6f8091a2b3c4d5e6f708192a3b'
const PREV = '9d8c7b6a5f4e3d2c1b0a99887766554433221100'
const OTHER = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'

function app(
  name: string,
  project: string,
  opts: {health?: string; sync?: string; revision?: string; resources?: unknown[]} = {},
) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {name, namespace: 'argocd'},
    spec: {
      project,
      source: {repoURL: 'https://git.example.com/shop/deploy.git', path: 'checkout', targetRevision: 'main'},
      destination: {server: 'https://kubernetes.default.svc', namespace: 'shop-prod'},
    },
    status: {
      sync: {
        status: opts.sync ?? 'Synced',
        revision: opts.revision ?? SHA,
        comparedTo: {source: {repoURL: 'https://git.example.com/shop/deploy.git', targetRevision: 'main'}},
      },
      health: {status: opts.health ?? 'Healthy'},
      history: [
        {
          id: 11,
          revision: PREV,
          deployedAt: '2025-04-30T09:00:00Z',
          deployStartedAt: '2025-04-30T08:59:40Z',
          source: {repoURL: 'https://git.example.com/shop/deploy.git'},
        },
        {
          id: 12,
          revision: SHA,
          deployedAt: '2025-05-01T10:00:00Z',
          deployStartedAt: '2025-05-01T09:59:30Z',
          source: {repoURL: 'https://git.example.com/shop/deploy.git'},
        },
      ],
      reconciledAt: '2025-05-01T10:05:00Z',
      resources: opts.resources ?? [
        {
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          namespace: 'shop-prod',
          name: 'checkout',
          status: 'Synced',
          health: {status: 'Healthy'},
        },
        {
          version: 'v1',
          kind: 'Service',
          namespace: 'shop-prod',
          name: 'checkout',
          status: 'Synced',
          health: {status: 'Healthy'},
        },
      ],
    },
  }
}

const APPS = [
  app('checkout-prod', 'shop'),
  app('payments-prod', 'shop', {
    health: 'Degraded',
    resources: [
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: 'shop-prod',
        name: 'payments',
        status: 'Synced',
        health: {status: 'Degraded', message: 'Deployment "payments" exceeded its progress deadline'},
      },
    ],
  }),
  app('cart-prod', 'shop', {
    sync: 'OutOfSync',
    revision: OTHER,
    resources: [
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: 'shop-prod',
        name: 'cart',
        status: 'OutOfSync',
        health: {status: 'Healthy'},
      },
    ],
  }),
  app('billing-prod', 'finance'),
]

let argo: TestServer
let kube: FakeKube

beforeAll(async () => {
  argo = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return send(res, 401, {error: 'no session information', code: 16, message: 'no session information'})
    const denied = {error: 'permission denied', code: 7, message: 'permission denied'}
    if (url.pathname === '/api/v1/applications')
      return send(res, 200, {metadata: {}, items: APPS.filter((a) => a.spec.project === 'shop')})
    const m = /^\/api\/v1\/applications\/([^/]+)$/.exec(url.pathname)
    if (!m) return send(res, 404, 'Not Found', 'text/plain')
    const project = url.searchParams.get('project')
    const found = APPS.find((a) => a.metadata.name === decodeURIComponent(m[1]!))
    // The token is a project-role token for "shop".
    if (!found)
      return project
        ? send(res, 404, {
            error: `applications.argoproj.io "${m[1]}" not found`,
            code: 5,
            message: `applications.argoproj.io "${m[1]}" not found`,
          })
        : send(res, 403, denied)
    if (found.spec.project !== 'shop' || (project && project !== found.spec.project)) return send(res, 403, denied)
    return send(res, 200, found)
  })
  kube = await startKubeApi({namespaces: ['default', 'flux-system']})
})
afterAll(async () => {
  await argo.close()
  await kube.close()
})

async function run(
  gitops: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {ARGOCD_TOKEN: TOKEN},
  extra: Record<string, unknown> = {},
) {
  const ctx = makeContext({gitops, ...extra}, {}, env)
  try {
    return await runCheck(check, ctx)
  } finally {
    await ctx.close()
  }
}
const argocd = (appName: string, more: Record<string, unknown> = {}) => ({
  url: argo.url,
  tokenEnv: 'ARGOCD_TOKEN',
  app: appName,
  ...more,
})

describe('gitops-status: Argo CD', () => {
  it('passes for a Healthy, Synced app at the expected (short) revision, naming the previous revision', async () => {
    const out = await run({argocd: argocd('checkout-prod', {project: 'shop'}), expectedRevision: SHA.slice(0, 7)})
    expect(out.status, out.message).toBe('pass')
    expect(out.message).toContain('health Healthy, sync Synced at 4f2c9e1a7b3d, previous 9d8c7b6a5f4e')
    expect(JSON.stringify(out.evidence)).not.toContain(TOKEN)
  })

  it('Degraded: names the degraded resource and its message', async () => {
    const out = await run({argocd: argocd('payments-prod', {project: 'shop'})})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('gitops-status-unavailable#status-incomplete')
    expect(out.message).toContain(
      'is Degraded: Deployment/payments Degraded ("Deployment "payments" exceeded its progress deadline")',
    )
  })

  it('OutOfSync at another revision: fails against expectedRevision and lists the out-of-sync resources', async () => {
    const out = await run({argocd: argocd('cart-prod', {project: 'shop'}), expectedRevision: SHA})
    expect(out.status).toBe('fail')
    expect(out.message).toContain(`targets a1b2c3d4e5f6, not the expected ${SHA}`)
    expect(out.evidence?.notes?.join('\n')).toContain('is OutOfSync (out of sync: Deployment/cart)')
    const warnOnly = await run({argocd: argocd('cart-prod', {project: 'shop'})})
    expect(warnOnly.status).toBe('warn')
  })

  it('403 without project: explains that Argo CD hides missing apps and suggests close names', async () => {
    const out = await run({argocd: argocd('checkout-prd')})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('gitops-status-unavailable#app-name-wrong')
    expect(out.message).toContain('without gitops.argocd.project, Argo CD answers 403 rather than 404')
    expect(out.message).toContain('"checkout-prod"')
  })

  it('404 with project: the app name is wrong', async () => {
    const out = await run({argocd: argocd('checkout-prd', {project: 'shop'})})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('gitops-status-unavailable#app-name-wrong')
    expect(out.message).toContain('Argo CD has no application "checkout-prd" in the project "shop" (404')
  })

  it('403 with project for an app the token cannot see: a permission or project problem', async () => {
    const out = await run({argocd: argocd('billing-prod', {project: 'finance'})})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('gitops-status-unavailable#token-permission-missing')
    expect(out.cause?.fix.join('\n')).toContain(
      'p, proj:finance:<role>, applications, get, finance/billing-prod, allow',
    )
  })

  it('unset token variable: a clear error naming it', async () => {
    const out = await run({argocd: argocd('checkout-prod')}, {})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('gitops-status-unavailable#token-permission-missing')
    expect(out.message).toContain('ARGOCD_TOKEN (gitops.argocd.tokenEnv) is not set')
  })

  it('rejected token (401)', async () => {
    const out = await run({argocd: argocd('checkout-prod')}, {ARGOCD_TOKEN: 'expired'})
    expect(out.status).toBe('fail')
    expect(out.message).toContain('Argo CD rejects the token in ARGOCD_TOKEN (401: "no session information")')
  })

  it('revision matching: prefix for short SHAs, Flux revision strings', () => {
    expect(sameRevision(SHA, '4f2c9e1')).toBe(true)
    expect(sameRevision(`main@sha1:${SHA}`, '4f2c9e1a')).toBe(true)
    expect(sameRevision(OTHER, '4f2c9e1')).toBe(false)
    expect(sameRevision('1.4.2', '1.4.20')).toBe(false)
  })
})

function kustomization(
  name: string,
  o: {
    ready?: 'True' | 'False' | 'Unknown'
    reason?: string
    message?: string
    applied?: string
    attempted?: string
    generation?: number
    observed?: number
    suspend?: boolean
  } = {},
): KObj {
  const applied = o.applied ?? `main@sha1:${SHA}`
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: {name, namespace: 'flux-system', generation: o.generation ?? 2},
    spec: {
      interval: '10m',
      path: './clusters/prod',
      prune: true,
      sourceRef: {kind: 'GitRepository', name: 'flux-system'},
      suspend: o.suspend ?? false,
    },
    status: {
      observedGeneration: o.observed ?? o.generation ?? 2,
      lastAppliedRevision: applied,
      lastAttemptedRevision: o.attempted ?? applied,
      conditions: [
        {
          type: 'Ready',
          status: o.ready ?? 'True',
          reason: o.reason ?? 'ReconciliationSucceeded',
          message: o.message ?? `Applied revision: ${applied}`,
          lastTransitionTime: '2025-05-01T10:00:00Z',
          observedGeneration: 2,
        },
      ],
    },
  }
}

describe('gitops-status: Flux through the Kubernetes API', () => {
  beforeEach(() => {
    kube.state.deny = []
    kube.state.objects = [
      kustomization('apps'),
      kustomization('infra', {
        ready: 'False',
        reason: 'HealthCheckFailed',
        message:
          "health check failed after 5m0s: timeout waiting for: [Deployment/shop-prod/checkout status: 'InProgress']",
        applied: `main@sha1:${PREV}`,
        attempted: `main@sha1:${SHA}`,
      }),
      kustomization('paused', {suspend: true}),
      kustomization('lagging', {generation: 4, observed: 3}),
      {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: {name: 'checkout', namespace: 'flux-system', generation: 1},
        spec: {interval: '5m', chart: {spec: {chart: 'checkout', version: '1.4.x'}}},
        status: {
          observedGeneration: 1,
          lastAttemptedRevision: '1.4.3',
          history: [{chartVersion: '1.4.2', status: 'deployed'}],
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'UpgradeFailed',
              message:
                'Helm upgrade failed for release shop-prod/checkout with chart checkout@1.4.3: context deadline exceeded',
            },
            {type: 'Released', status: 'False', reason: 'UpgradeFailed', message: 'Helm upgrade failed'},
          ],
        },
      },
    ]
  })
  const fluxRun = (flux: Record<string, unknown>, expectedRevision?: string) =>
    run(
      {flux, ...(expectedRevision ? {expectedRevision} : {})},
      {},
      {kubernetes: {kubeconfig: kube.kubeconfig, namespace: 'flux-system'}},
    )

  it('passes for a Ready Kustomization at the expected revision', async () => {
    const out = await fluxRun({kind: 'Kustomization', name: 'apps', namespace: 'flux-system'}, SHA.slice(0, 8))
    expect(out.status, out.message).toBe('pass')
    expect(out.message).toContain('is ready (Ready=True ReconciliationSucceeded')
  })

  it('Ready=False with attempted but not applied revision fails with the reason and message', async () => {
    const out = await fluxRun({kind: 'Kustomization', name: 'infra', namespace: 'flux-system'})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('gitops-status-unavailable#status-incomplete')
    expect(out.message).toContain('Ready=False HealthCheckFailed: health check failed')
    expect(out.evidence?.notes?.join('\n')).toContain(
      `attempted main@sha1:${SHA} but the last applied revision is still main@sha1:${PREV}`,
    )
  })

  it('HelmRelease UpgradeFailed', async () => {
    const out = await fluxRun({kind: 'HelmRelease', name: 'checkout', namespace: 'flux-system'})
    expect(out.status).toBe('fail')
    expect(out.message).toContain('Ready=False UpgradeFailed')
    expect(out.evidence?.notes?.join('\n')).toContain('attempted 1.4.3 but the last applied revision is still 1.4.2')
  })

  it('suspended and not-yet-observed objects warn', async () => {
    expect((await fluxRun({kind: 'Kustomization', name: 'paused', namespace: 'flux-system'})).message).toContain(
      'is suspended',
    )
    const lag = await fluxRun({kind: 'Kustomization', name: 'lagging', namespace: 'flux-system'})
    expect(lag.status).toBe('warn')
    expect(lag.message).toContain('generation 4, observedGeneration 3')
  })

  it('wrong namespace or name: says where it is', async () => {
    const out = await fluxRun({kind: 'Kustomization', name: 'apps', namespace: 'default'})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('gitops-status-unavailable#app-name-wrong')
    expect(out.message).toContain('there is one in "flux-system"')
    expect((await fluxRun({kind: 'Kustomization', name: 'app', namespace: 'flux-system'})).message).toContain(
      'did you mean "apps"',
    )
  })

  it('forbidden Flux objects: flux-objects-not-readable', async () => {
    kube.state.deny = ['get kustomizations kustomize.toolkit.fluxcd.io flux-system']
    const out = await fluxRun({kind: 'Kustomization', name: 'apps', namespace: 'flux-system'})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('gitops-status-unavailable#flux-objects-not-readable')
    expect(out.message).toContain('cannot get resource "kustomizations" in API group "kustomize.toolkit.fluxcd.io"')
  })
})
