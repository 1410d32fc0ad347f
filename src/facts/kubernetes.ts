import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'
import type {Facts} from './facts.js'

/**
 * Cluster access for checks that read the Kubernetes API. `@kubernetes/client-node` is heavy
 * (about half a second to import), so it is imported here, lazily, the first time a check asks.
 * Config loading follows loadFromDefault() (kubeconfig, $KUBECONFIG, ~/.kube/config, in-cluster)
 * but never falls back to http://localhost:8080: when nothing is found, the setup says so.
 */

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'
const CALL_TIMEOUT_MS = 10_000

export interface KubeOptions {
  kubeconfig?: string
  context?: string
}

/** A Kubernetes Status object (the body of API errors). */
export interface KubeStatus {
  kind?: string
  status?: string
  message?: string
  reason?: string
  code?: number
}

export type KubeResult<T> = {ok: true; value: T} | {ok: false; code?: number; status?: KubeStatus; message: string}

export type KubeSetup =
  | {ok: true; kube: Kube; source: string; context: string; server: string; user: string}
  | {ok: false; reason: 'no-config' | 'no-context' | 'invalid'; message: string; contexts?: string[]}

/** A Kubernetes object as plain JSON (enough typing for the fields checks read). */
export interface KObject {
  apiVersion?: string
  kind?: string
  metadata?: {
    name?: string
    namespace?: string
    labels?: Record<string, string>
    generation?: number
    [k: string]: unknown
  }
  spec?: any // eslint-disable-line @typescript-eslint/no-explicit-any
  status?: any // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet'
export const PLURAL: Record<WorkloadKind, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
}

/** Memoised read-only access to one cluster. Every read is done at most once per run. */
export class Kube {
  constructor(
    private readonly facts: Facts,
    private readonly key: string,
    // The client library's KubeConfig and module, typed loosely so this file imports nothing heavy.
    private readonly kc: any, // eslint-disable-line @typescript-eslint/no-explicit-any
    private readonly k8s: any, // eslint-disable-line @typescript-eslint/no-explicit-any
  ) {}

  private api(name: 'CoreV1Api' | 'AppsV1Api' | 'AuthorizationV1Api' | 'AuthenticationV1Api' | 'CustomObjectsApi') {
    return this.kc.makeApiClient(this.k8s[name])
  }

  private call<T>(what: string, fn: () => Promise<T>, memo = true): Promise<KubeResult<T>> {
    // Objects from the API server (Secrets, env of pod specs, annotations) are redacted as they arrive.
    const run = async () => this.facts.http.redactor.redactDeep(await guard(fn, this.facts.signal))
    return memo ? this.facts.once(`kube ${this.key} ${what}`, run) : run()
  }

  readNamespace(name: string) {
    return this.call(`ns ${name}`, () => this.api('CoreV1Api').readNamespace({name}) as Promise<KObject>)
  }

  listNamespaces() {
    return this.call('ns *', () => this.api('CoreV1Api').listNamespace({}) as Promise<{items: KObject[]}>)
  }

  /** A workload by name. */
  readWorkload(kind: WorkloadKind, namespace: string, name: string) {
    return this.call(
      `get ${kind} ${namespace}/${name}`,
      () => this.api('AppsV1Api')[`readNamespaced${kind}`]({namespace, name}) as Promise<KObject>,
    )
  }

  /** Workloads of a kind in a namespace, or in all namespaces when namespace is undefined. */
  listWorkloads(
    kind: WorkloadKind,
    namespace: string | undefined,
    opts: {labelSelector?: string; fieldSelector?: string} = {},
  ) {
    const apps = this.api('AppsV1Api')
    return this.call(
      `list ${kind} ${namespace ?? '*'} ${opts.labelSelector ?? ''} ${opts.fieldSelector ?? ''}`,
      () =>
        (namespace === undefined
          ? apps[`list${kind}ForAllNamespaces`]({...opts})
          : apps[`listNamespaced${kind}`]({namespace, ...opts})) as Promise<{items: KObject[]}>,
    )
  }

  listPods(namespace: string, labelSelector?: string) {
    return this.call(
      `list pods ${namespace} ${labelSelector ?? ''}`,
      () => this.api('CoreV1Api').listNamespacedPod({namespace, labelSelector}) as Promise<{items: KObject[]}>,
    )
  }

  readService(namespace: string, name: string) {
    return this.call(
      `get svc ${namespace}/${name}`,
      () => this.api('CoreV1Api').readNamespacedService({namespace, name}) as Promise<KObject>,
    )
  }

  listServicesAllNamespaces(fieldSelector?: string) {
    return this.call(
      `list svc * ${fieldSelector ?? ''}`,
      () => this.api('CoreV1Api').listServiceForAllNamespaces({fieldSelector}) as Promise<{items: KObject[]}>,
    )
  }

  /** SelfSubjectAccessReview: may the current identity do this? (A create that changes nothing.) */
  canI(attrs: {verb: string; resource: string; group?: string; namespace?: string; name?: string}) {
    const body = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {resourceAttributes: {group: attrs.group ?? '', ...attrs}},
    }
    return this.call(`ssar ${JSON.stringify(body.spec)}`, async () => {
      const r = (await this.api('AuthorizationV1Api').createSelfSubjectAccessReview({body})) as KObject
      return (r.status ?? {}) as {allowed: boolean; denied?: boolean; reason?: string; evaluationError?: string}
    })
  }

  /** Who the API server thinks we are (SelfSubjectReview, Kubernetes 1.28+); undefined when unavailable. */
  async whoAmI(): Promise<string | undefined> {
    const r = await this.call('whoami', async () => {
      const res = (await this.api('AuthenticationV1Api').createSelfSubjectReview({
        body: {apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview'},
      })) as KObject
      return res.status?.userInfo?.username as string | undefined
    })
    return r.ok ? r.value : undefined
  }

  getCustom(group: string, version: string, namespace: string, plural: string, name: string) {
    return this.call(
      `get ${plural}.${group} ${namespace}/${name}`,
      () =>
        this.api('CustomObjectsApi').getNamespacedCustomObject({
          group,
          version,
          namespace,
          plural,
          name,
        }) as Promise<KObject>,
    )
  }

  listCustom(group: string, version: string, plural: string, namespace?: string) {
    const api = this.api('CustomObjectsApi')
    return this.call(
      `list ${plural}.${group} ${namespace ?? '*'}`,
      () =>
        (namespace === undefined
          ? api.listClusterCustomObject({group, version, plural})
          : api.listNamespacedCustomObject({group, version, namespace, plural})) as Promise<{items: KObject[]}>,
    )
  }
}

/** Load the cluster configuration once per run (per kubeconfig/context pair). */
export function kubernetes(facts: Facts, opts: KubeOptions = {}): Promise<KubeSetup> {
  const key = `${opts.kubeconfig ?? ''}|${opts.context ?? ''}`
  return facts.once(`kube setup ${key}`, () => setup(facts, opts, key))
}

async function setup(facts: Facts, opts: KubeOptions, key: string): Promise<KubeSetup> {
  const env = facts.env
  const tried: string[] = []
  let file: string | undefined
  let source = ''
  if (opts.kubeconfig) {
    tried.push(`kubernetes.kubeconfig ${opts.kubeconfig}`)
    if (existsSync(opts.kubeconfig)) [file, source] = [opts.kubeconfig, `kubernetes.kubeconfig (${opts.kubeconfig})`]
  } else {
    const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean)
    if (fromEnv.length > 0) {
      tried.push(`$KUBECONFIG ${fromEnv.join(delimiter)}`)
      const hit = fromEnv.find((f) => existsSync(f))
      if (hit) [file, source] = [hit, `$KUBECONFIG (${hit})`]
    }
    if (!file) {
      const home = join(env.HOME || env.USERPROFILE || homedir(), '.kube', 'config')
      tried.push(home)
      if (existsSync(home)) [file, source] = [home, home]
    }
  }
  const inCluster =
    !file && !opts.kubeconfig && Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(join(SA_DIR, 'token'))
  if (!file && !opts.kubeconfig)
    tried.push(
      `in-cluster service account (${env.KUBERNETES_SERVICE_HOST ? `${SA_DIR}/token` : 'KUBERNETES_SERVICE_HOST is not set'})`,
    )
  if (!file && !inCluster) {
    return {
      ok: false,
      reason: 'no-config',
      message: `tried ${tried.join(', ')}; none exists (the client library would silently fall back to http://localhost:8080)`,
    }
  }

  const k8s = await import('@kubernetes/client-node')
  const kc = new k8s.KubeConfig()
  try {
    if (file) kc.loadFromFile(file)
    else {
      const port = env.KUBERNETES_SERVICE_PORT ?? '443'
      const host = env.KUBERNETES_SERVICE_HOST!.includes(':')
        ? `[${env.KUBERNETES_SERVICE_HOST}]`
        : env.KUBERNETES_SERVICE_HOST
      const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https'
      source = `in-cluster service account (${SA_DIR})`
      kc.loadFromOptions({
        clusters: [
          {
            name: 'inCluster',
            server: `${scheme}://${host}:${port}`,
            caFile: join(SA_DIR, 'ca.crt'),
            skipTLSVerify: false,
          },
        ],
        users: [{name: 'inClusterUser', authProvider: {name: 'tokenFile', config: {tokenFile: join(SA_DIR, 'token')}}}],
        contexts: [{name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser'}],
        currentContext: 'inClusterContext',
      })
    }
  } catch (error) {
    return {ok: false, reason: 'invalid', message: `${source} cannot be loaded: ${(error as Error).message}`}
  }
  const contexts = kc.getContexts().map((c) => c.name)
  if (opts.context) {
    if (!contexts.includes(opts.context)) {
      return {
        ok: false,
        reason: 'no-context',
        contexts,
        message: `${source} has no context "${opts.context}"; it has ${contexts.length ? contexts.map((c) => `"${c}"`).join(', ') : 'none'}`,
      }
    }
    kc.setCurrentContext(opts.context)
  }
  const current = kc.getCurrentContext()
  const ctxObj = kc.getContextObject(current)
  const cluster = kc.getCurrentCluster()
  if (!ctxObj || !cluster) {
    return {
      ok: false,
      reason: current ? 'invalid' : 'no-context',
      contexts,
      message: current
        ? `${source}: the context "${current}" names a cluster that is not defined`
        : `${source} has no current-context; set kubernetes.context to one of ${contexts.map((c) => `"${c}"`).join(', ') || '(none)'}`,
    }
  }
  const user = kc.getCurrentUser()
  const redactor = facts.http.redactor
  if (user?.token) redactor.addSecret(user.token, 'token', `the token of kubeconfig user ${ctxObj.user}`)
  if (user?.password) redactor.addSecret(user.password, 'password', `the password of kubeconfig user ${ctxObj.user}`)
  if (user?.keyData) redactor.addSecret(user.keyData, 'private-key', `the client key of kubeconfig user ${ctxObj.user}`)
  for (const [k, v] of Object.entries(user?.authProvider?.config ?? {}))
    if (typeof v === 'string' && redactor.isSecretName(k))
      redactor.addSecret(v, 'token', `${k} of kubeconfig user ${ctxObj.user}`)
  return {
    ok: true,
    kube: new Kube(facts, key, kc, k8s),
    source,
    context: current,
    server: cluster.server,
    user: ctxObj.user,
  }
}

/** Run a client call with a timeout and the run's signal; turn ApiException and network errors into a result. */
async function guard<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<KubeResult<T>> {
  let timer: NodeJS.Timeout | undefined
  try {
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS)
      signal.addEventListener('abort', () => reject(new Error('aborted')), {once: true})
    })
    return {ok: true, value: await Promise.race([fn(), stop])}
  } catch (error) {
    const e = error as {code?: unknown; body?: unknown; message?: string; cause?: {code?: string; message?: string}}
    if (typeof e.code === 'number') {
      const status = parseStatus(e.body)
      const message = status?.message ?? (e.code === 401 ? 'Unauthorized' : `HTTP ${e.code}`)
      return {ok: false, code: e.code, status, message}
    }
    const net = typeof e.code === 'string' ? e.code : e.cause?.code
    return {
      ok: false,
      message: `${e.message ?? String(error)}${net && !(e.message ?? '').includes(net) ? ` (${net})` : ''}`,
    }
  } finally {
    clearTimeout(timer)
  }
}

function parseStatus(body: unknown): KubeStatus | undefined {
  if (body && typeof body === 'object') return body as KubeStatus
  if (typeof body !== 'string') return undefined
  try {
    return JSON.parse(body) as KubeStatus
  } catch {
    return body ? {message: body.slice(0, 300)} : undefined
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}

/** The names closest to `name`, best first (at most `n`, and only reasonably close ones). */
export function nearest(name: string, names: string[], n = 3): string[] {
  return [...new Set(names)]
    .map((c) => ({c, d: editDistance(name, c)}))
    .filter(
      ({c, d}) =>
        c !== '' &&
        c !== name &&
        (d <= Math.max(2, Math.floor(Math.max(name.length, c.length) / 3)) ||
          (name.length >= 3 && c.includes(name)) ||
          (c.length >= 3 && name.includes(c))),
    )
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, n)
    .map(({c}) => c)
}
