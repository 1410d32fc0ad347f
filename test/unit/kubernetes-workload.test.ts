import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import check from '../../checks/kubernetes-workload.js'
import {deployment, type FakeKube, pod, service, startKubeApi} from '../helpers/kube-api.js'
import {makeContext, runCheck} from '../helpers/context.js'

const NS = 'shop-prod'
const LABELS = {'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/instance': 'checkout-prod'}

let kube: FakeKube

function healthy() {
  kube.state.namespaces = ['default', 'kube-system', NS, 'shop-staging']
  kube.state.deny = []
  kube.state.namespacedOnly = false
  kube.state.username = 'system:serviceaccount:release-passport:connector'
  kube.state.objects = [
    deployment(NS, 'checkout', LABELS, {replicas: 2}),
    pod(NS, 'checkout-7d9f8b6c5d-abcde', LABELS),
    pod(NS, 'checkout-7d9f8b6c5d-fghij', LABELS),
    service(NS, 'checkout', {'app.kubernetes.io/name': 'checkout'}),
    deployment(NS, 'cart', {'app.kubernetes.io/name': 'cart'}, {replicas: 1}),
    pod(NS, 'cart-5c4b3a2d1e-xyz12', {'app.kubernetes.io/name': 'cart'}),
    deployment('shop-staging', 'payments', {app: 'payments'}, {replicas: 1}),
  ]
}

async function run(kubernetes: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const ctx = makeContext({kubernetes: {kubeconfig: kube.kubeconfig, ...kubernetes}}, {}, env)
  try {
    return await runCheck(check, ctx)
  } finally {
    await ctx.close()
  }
}

beforeAll(async () => {
  kube = await startKubeApi()
})
afterAll(() => kube.close())
beforeEach(() => healthy())

describe('kubernetes-workload', () => {
  it('passes for a rolled-out Deployment whose Service selects ready pods (through a real kubeconfig, CA and bearer token)', async () => {
    const out = await run({
      namespace: NS,
      workloads: [{selector: 'app.kubernetes.io/name=checkout', service: 'checkout'}],
    })
    expect(out.status, out.message).toBe('pass')
    expect(out.message).toContain('deployment "checkout" successfully rolled out (2/2 ready)')
    expect(out.items?.find((i) => i.label === 'Service checkout')?.status).toBe('pass')
    expect(kube.seen.some((s) => s.startsWith('POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews'))).toBe(
      true,
    )
    expect(out.items?.filter((i) => i.label.startsWith('can-i')).map((i) => i.label)).toEqual([
      `can-i get deployments.apps -n ${NS}`,
      `can-i list deployments.apps -n ${NS}`,
      `can-i list pods -n ${NS}`,
      `can-i list services -n ${NS}`,
    ])
  })

  it('passes by name, and judges every Deployment when no workloads are listed', async () => {
    expect((await run({namespace: NS, workloads: [{name: 'checkout'}]})).status).toBe('pass')
    const all = await run({namespace: NS})
    expect(all.status, all.message).toBe('pass')
    expect(all.message).toContain('"cart" successfully rolled out')
  })

  it('wrong selector: suggests the nearest label set and the key that differs', async () => {
    const out = await run({namespace: NS, workloads: [{selector: 'app=checkout'}]})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('kubernetes-readiness-missing#label-selector-mismatch')
    expect(out.message).toContain('No resources found in shop-prod namespace')
    expect(out.message).toContain(
      'nearest label sets: checkout (key app is missing; app.kubernetes.io/name=checkout carries the value)',
    )
    expect(out.cause?.fix.join('\n')).toContain('app.kubernetes.io/name=checkout')
  })

  it('wrong name: did you mean', async () => {
    const out = await run({namespace: NS, workloads: [{name: 'chekout'}]})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('kubernetes-readiness-missing#label-selector-mismatch')
    expect(out.message).toContain('did you mean "checkout"')
  })

  it('wrong namespace: the namespace does not exist, nearest names and where the workload runs', async () => {
    const out = await run({namespace: 'shop-prd', workloads: [{selector: 'app.kubernetes.io/name=checkout'}]})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('kubernetes-readiness-missing#wrong-namespace')
    expect(out.message).toContain('the namespace "shop-prd" does not exist')
    expect(out.message).toContain('nearest: "shop-prod"')
    expect(out.message).toContain('the workload is in "shop-prod"')
  })

  it('wrong namespace: the namespace exists but the workload runs in another one', async () => {
    const out = await run({namespace: NS, workloads: [{selector: 'app=payments'}]})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('kubernetes-readiness-missing#wrong-namespace')
    expect(out.message).toContain('matches in the namespace "shop-staging"')
  })

  it("rollout stuck: ProgressDeadlineExceeded fails with kubectl's words and names the pods", async () => {
    kube.state.objects = [
      deployment(NS, 'checkout', LABELS, {replicas: 2, ready: 1, updated: 1, deadlineExceeded: true}),
      pod(NS, 'checkout-old-aaaaa', LABELS),
      pod(NS, 'checkout-7d9f8b6c5d-new01', LABELS, {
        ready: false,
        waiting: {reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example.com/checkout:1.4.3"'},
      }),
    ]
    const out = await run({namespace: NS, workloads: [{name: 'checkout'}]})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('kubernetes-readiness-missing#workload-not-ready')
    expect(out.message).toContain('deployment "checkout" exceeded its progress deadline')
    expect(out.message).toContain('checkout-7d9f8b6c5d-new01 (app: ImagePullBackOff')
    expect(out.cause?.fix.join('\n')).toContain('registry pull secret')
  })

  it('rollout waiting for the new generation to be observed warns', async () => {
    kube.state.objects = [
      deployment(NS, 'checkout', LABELS, {generation: 5, observedGeneration: 4}),
      pod(NS, 'checkout-a', LABELS),
    ]
    const out = await run({namespace: NS, workloads: [{name: 'checkout'}]})
    expect(out.status).toBe('warn')
    expect(out.message).toContain('Waiting for deployment spec update to be observed')
  })

  it('zero ready replicas: names the pods in CrashLoopBackOff', async () => {
    kube.state.objects = [
      deployment(NS, 'checkout', LABELS, {replicas: 2, ready: 0, available: 0}),
      pod(NS, 'checkout-7d9f8b6c5d-abcde', LABELS, {
        ready: false,
        waiting: {
          reason: 'CrashLoopBackOff',
          message: 'back-off 5m0s restarting failed container=app pod=checkout-7d9f8b6c5d-abcde',
        },
        restarts: 7,
      }),
      pod(NS, 'checkout-7d9f8b6c5d-fghij', LABELS, {ready: false, waiting: {reason: 'CrashLoopBackOff'}, restarts: 6}),
    ]
    const out = await run({namespace: NS, workloads: [{selector: 'app.kubernetes.io/name=checkout'}]})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('kubernetes-readiness-missing#workload-not-ready')
    expect(out.message).toContain('0 of 2 updated replicas are available')
    expect(out.message).toContain('checkout-7d9f8b6c5d-abcde (app: CrashLoopBackOff')
    expect(out.message).toContain('7 restarts, last exit 1 Error')
    expect(out.cause?.fix.join('\n')).toContain('--previous')
  })

  it('Service selector mismatch: says which key differs from the pod template', async () => {
    kube.state.objects.push(service(NS, 'checkout-web', {app: 'checkout', tier: 'web'}))
    const out = await run({namespace: NS, workloads: [{name: 'checkout', service: 'checkout-web'}]})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('kubernetes-readiness-missing#label-selector-mismatch')
    expect(out.message).toContain('the Service "checkout-web" selects app=checkout,tier=web, which matches no pod')
    expect(out.message).toContain('key app is missing; app.kubernetes.io/name=checkout carries the value')
    expect(out.message).toContain('key tier is missing')
  })

  it('RBAC denial: names the missing verb/resource and prints a read-only Role and RoleBinding', async () => {
    kube.state.deny = [`list pods - ${NS}`, `get deployments apps ${NS}`]
    const out = await run({namespace: NS, workloads: [{name: 'checkout'}]})
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('kubernetes-readiness-missing#rbac-missing')
    expect(out.message).toBe(
      `the identity "system:serviceaccount:release-passport:connector" may not get deployments.apps, list pods in the namespace "${NS}"`,
    )
    const yaml = out.cause!.fix.join('\n')
    expect(yaml).toContain('kind: Role\n')
    expect(yaml).toContain('- apiGroups: ["apps"]\n  resources: ["deployments"]\n  verbs: ["get"]')
    expect(yaml).toContain('- apiGroups: [""]\n  resources: ["pods"]\n  verbs: ["list"]')
    expect(yaml).toContain('- kind: ServiceAccount\n  name: connector\n  namespace: release-passport')
    expect(yaml).not.toContain(kube.token)
    expect(yaml).not.toMatch(/create|delete|patch|update/)
  })

  it('a namespaced service account (no cluster-scope reads) still gets a verdict', async () => {
    kube.state.namespacedOnly = true
    const out = await run({namespace: NS, workloads: [{selector: 'app.kubernetes.io/name=checkout'}]})
    expect(out.status, out.message).toBe('pass')
    expect(out.evidence?.notes?.join('\n')).toContain('could not be read (403')
  })

  it('no kubeconfig anywhere: skips and says so instead of falling back to localhost:8080', async () => {
    const home = mkdtempSync(join(tmpdir(), 'doctor-home-'))
    const ctx = makeContext({kubernetes: {namespace: NS}}, {}, {HOME: home, KUBECONFIG: join(home, 'missing.yaml')})
    const out = await runCheck(check, ctx)
    await ctx.close()
    expect(out.status).toBe('skip')
    expect(out.message).toMatch(/^no kubeconfig found: /)
    expect(out.message).toContain('missing.yaml')
    expect(out.message).toContain('localhost:8080')
  })

  it('$KUBECONFIG from the environment is used when kubernetes.kubeconfig is not set', async () => {
    const ctx = makeContext(
      {kubernetes: {namespace: NS, workloads: [{name: 'checkout'}]}},
      {},
      {HOME: '/nonexistent', KUBECONFIG: kube.kubeconfig},
    )
    const out = await runCheck(check, ctx)
    await ctx.close()
    expect(out.status, out.message).toBe('pass')
  })

  it('a missing context is an error naming the available ones', async () => {
    const out = await run({namespace: NS, context: 'prod'})
    expect(out.status).toBe('error')
    expect(out.message).toContain('has no context "prod"; it has "test", "staging"')
  })

  it('rejected credentials (401) fail clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-kube-bad-'))
    const file = join(dir, 'config')
    writeFileSync(file, readFileSync(kube.kubeconfig, 'utf8').replace(kube.token, 'revoked-token'))
    const out = await run({namespace: NS, kubeconfig: file})
    expect(out.status).toBe('fail')
    expect(out.message).toContain('401 Unauthorized')
    expect(out.cause?.kb).toBe('kubernetes-readiness-missing')
  })
})
