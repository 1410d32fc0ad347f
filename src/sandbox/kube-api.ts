import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * A stand-in Kubernetes API server on 127.0.0.1 (HTTPS with a given CA, or plain HTTP for the
 * sandbox), requiring a bearer token and serving objects in the shapes of the Kubernetes API
 * reference, plus a real kubeconfig pointing at it, so checks go through
 * @kubernetes/client-node's own config loading, auth and TLS handling. The tests use it with TLS;
 * `doctor demo` uses it over HTTP.
 */

export interface KObj {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    generation?: number
    [k: string]: unknown
  }
  spec?: any // eslint-disable-line @typescript-eslint/no-explicit-any
  status?: any // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface KubeState {
  namespaces: string[]
  objects: KObj[]
  /** "verb resource group namespace" entries that are denied (namespace '*' = cluster-wide; '*' matches anything, '-' is the core group ""). */
  deny: string[]
  /** Cluster-scoped reads (namespaces, lists across namespaces) are forbidden, as for a namespaced service account. */
  namespacedOnly?: boolean
  username?: string
}

export interface FakeKube {
  url: string
  kubeconfig: string
  token: string
  state: KubeState
  seen: string[]
  close(): Promise<void>
}

const RESOURCES: Record<string, {group: string; version: string; kind: string}> = {
  namespaces: {group: '', version: 'v1', kind: 'Namespace'},
  pods: {group: '', version: 'v1', kind: 'Pod'},
  services: {group: '', version: 'v1', kind: 'Service'},
  deployments: {group: 'apps', version: 'v1', kind: 'Deployment'},
  statefulsets: {group: 'apps', version: 'v1', kind: 'StatefulSet'},
  daemonsets: {group: 'apps', version: 'v1', kind: 'DaemonSet'},
  kustomizations: {group: 'kustomize.toolkit.fluxcd.io', version: 'v1', kind: 'Kustomization'},
  helmreleases: {group: 'helm.toolkit.fluxcd.io', version: 'v2', kind: 'HelmRelease'},
}

export interface KubeTls {
  key: string
  cert: string
  caFile: string
}

export async function startFakeKube(initial: Partial<KubeState> = {}, tls?: KubeTls): Promise<FakeKube> {
  const token = 'kube-test-token-7f3a9c'
  const state: KubeState = {namespaces: ['default', 'kube-system'], objects: [], deny: [], ...initial}
  const seen: string[] = []
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => handle(req, res, body))
  }
  const server: Server = tls
    ? (createHttpsServer({key: tls.key, cert: tls.cert}, onRequest) as unknown as Server)
    : createHttpServer(onRequest)

  function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    seen.push(`${req.method} ${url.pathname}${url.search}`)
    if (req.headers.authorization !== `Bearer ${token}`) return status(res, 401, 'Unauthorized', 'Unauthorized')
    const parts = url.pathname.split('/').filter(Boolean)
    // /api/v1/... or /apis/<group>/<version>/...
    const [group, rest] = parts[0] === 'api' ? ['', parts.slice(2)] : [parts[1]!, parts.slice(3)]
    if (req.method === 'POST' && rest[0] === 'selfsubjectaccessreviews') {
      const review = JSON.parse(body)
      const a = review.spec.resourceAttributes
      const denied = isDenied(a.verb, a.resource, a.group ?? '', a.namespace || '*')
      return json(res, 201, {
        ...review,
        status: denied
          ? {allowed: false, reason: ''}
          : {
              allowed: true,
              reason: `RBAC: allowed by RoleBinding "reader/${a.namespace}" of Role "reader" to User "${state.username ?? 'ci'}"`,
            },
      })
    }
    if (req.method === 'POST' && rest[0] === 'selfsubjectreviews') {
      return json(res, 201, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
        metadata: {creationTimestamp: null},
        status: {userInfo: {username: state.username ?? 'ci', groups: ['system:authenticated']}},
      })
    }
    if (req.method !== 'GET') return status(res, 405, 'MethodNotAllowed', 'method not allowed')
    let ns: string | undefined
    let r = rest
    if (r[0] === 'namespaces' && r.length >= 3) {
      ns = r[1]
      r = r.slice(2)
    }
    const [resource, name] = r as [string, string | undefined]
    const info = RESOURCES[resource]
    if (!info || info.group !== group)
      return status(res, 404, 'NotFound', 'the server could not find the requested resource')
    const verb = name ? 'get' : 'list'
    const gr = info.group ? `${resource}.${info.group}` : resource
    if (resource === 'namespaces') {
      if (state.namespacedOnly || isDenied(verb, 'namespaces', '', '*'))
        return forbidden(res, verb, resource, info.group, undefined, name)
      if (name)
        return state.namespaces.includes(name)
          ? json(res, 200, nsObj(name))
          : status(res, 404, 'NotFound', `namespaces "${name}" not found`, {name, kind: 'namespaces'})
      return json(res, 200, {
        apiVersion: 'v1',
        kind: 'NamespaceList',
        metadata: {resourceVersion: '100'},
        items: state.namespaces.map(nsObj),
      })
    }
    if (ns === undefined && (state.namespacedOnly || isDenied('list', resource, info.group, '*')))
      return forbidden(res, 'list', resource, info.group)
    if (ns !== undefined && isDenied(verb, resource, info.group, ns))
      return forbidden(res, verb, resource, info.group, ns, name)
    const objs = state.objects.filter((o) => o.kind === info.kind && (ns === undefined || o.metadata.namespace === ns))
    if (name) {
      const o = objs.find((x) => x.metadata.name === name)
      return o
        ? json(res, 200, o)
        : status(res, 404, 'NotFound', `${gr} "${name}" not found`, {name, group: info.group, kind: resource})
    }
    const ls = url.searchParams.get('labelSelector')
    const fs = url.searchParams.get('fieldSelector')
    const items = objs.filter((o) => (!ls || matches(ls, o.metadata.labels ?? {})) && (!fs || fieldMatches(fs, o)))
    return json(res, 200, {
      apiVersion: info.group ? `${info.group}/${info.version}` : 'v1',
      kind: `${info.kind}List`,
      metadata: {resourceVersion: '100'},
      items,
    })
  }

  function isDenied(verb: string, resource: string, group: string, namespace: string): boolean {
    return state.deny.some((d) => {
      const [v, r, g, n] = d.split(' ')
      const m = (p: string | undefined, x: string) => p === undefined || p === '*' || p === x || (p === '-' && x === '')
      return m(v, verb) && m(r, resource) && m(g, group) && m(n, namespace)
    })
  }

  function forbidden(res: ServerResponse, verb: string, resource: string, group: string, ns?: string, name?: string) {
    const who = state.username ?? 'ci'
    const what = `${resource}${name ? ` "${name}"` : ''}`
    const msg = `${what} is forbidden: User "${who}" cannot ${verb} resource "${resource}" in API group "${group}" ${ns ? `in the namespace "${ns}"` : 'at the cluster scope'}`
    return status(res, 403, 'Forbidden', msg, {name, group, kind: resource})
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`
  const dir = mkdtempSync(join(tmpdir(), 'doctor-kube-'))
  const kubeconfig = join(dir, 'config')
  writeFileSync(kubeconfig, kubeconfigYaml(url, tls?.caFile, token))
  return {
    url,
    kubeconfig,
    token,
    state,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export function kubeconfigYaml(server: string, caFile: string | undefined, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: test-cluster
  cluster:
    server: ${server}
${caFile ? `    certificate-authority: ${caFile}\n` : '    insecure-skip-tls-verify: true\n'}users:
- name: ci
  user:
    token: ${token}
contexts:
- name: test
  context:
    cluster: test-cluster
    user: ci
    namespace: default
- name: staging
  context:
    cluster: test-cluster
    user: ci
current-context: test
`
}

function json(res: ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(code, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
  res.end(text)
}

function status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>) {
  json(res, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? {details} : {}),
    code,
  })
}

function nsObj(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {name, uid: `uid-${name}`, labels: {'kubernetes.io/metadata.name': name}},
    spec: {finalizers: ['kubernetes']},
    status: {phase: 'Active'},
  }
}

/** Equality- and set-based label selectors, as the API server reads them. */
export function matches(selector: string, labels: Record<string, string>): boolean {
  const reqs = selector.match(/[^,(]+(\([^)]*\))?/g) ?? []
  return reqs.every((raw) => {
    const r = raw.trim()
    let m: RegExpMatchArray | null
    if ((m = /^([^!=\s]+)\s*(==|=)\s*(.*)$/.exec(r))) return labels[m[1]!] === m[3]
    if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(r))) return labels[m[1]!] !== m[2]
    if ((m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(r))) {
      const vals = m[3]!.split(',').map((v) => v.trim())
      return m[2] === 'in' ? vals.includes(labels[m[1]!] ?? '\0') : !vals.includes(labels[m[1]!] ?? '\0')
    }
    if (r.startsWith('!')) return !(r.slice(1) in labels)
    return r in labels
  })
}

function fieldMatches(selector: string, o: KObj): boolean {
  return selector.split(',').every((r) => {
    const [k, v] = r.split('=')
    if (k === 'metadata.name') return o.metadata.name === v
    if (k === 'metadata.namespace') return o.metadata.namespace === v
    return true
  })
}

// ---- realistic objects -------------------------------------------------------------------

export function deployment(
  ns: string,
  name: string,
  labels: Record<string, string>,
  opts: {
    replicas?: number
    ready?: number
    updated?: number
    available?: number
    generation?: number
    observedGeneration?: number
    deadlineExceeded?: boolean
    podLabels?: Record<string, string>
  } = {},
): KObj {
  const replicas = opts.replicas ?? 2
  const ready = opts.ready ?? replicas
  const available = opts.available ?? ready
  const updated = opts.updated ?? replicas
  const generation = opts.generation ?? 3
  const podLabels = opts.podLabels ?? labels
  const conditions = [
    available >= replicas
      ? {
          type: 'Available',
          status: 'True',
          lastUpdateTime: '2025-05-01T10:00:00Z',
          lastTransitionTime: '2025-05-01T10:00:00Z',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }
      : {
          type: 'Available',
          status: 'False',
          lastUpdateTime: '2025-05-01T10:00:00Z',
          lastTransitionTime: '2025-05-01T10:00:00Z',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
    opts.deadlineExceeded
      ? {
          type: 'Progressing',
          status: 'False',
          lastUpdateTime: '2025-05-01T10:10:00Z',
          lastTransitionTime: '2025-05-01T10:10:00Z',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${name}-7d9f8b6c5d" has timed out progressing.`,
        }
      : {
          type: 'Progressing',
          status: 'True',
          lastUpdateTime: '2025-05-01T10:00:00Z',
          lastTransitionTime: '2025-05-01T09:58:00Z',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${name}-7d9f8b6c5d" has successfully progressed.`,
        },
  ]
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${name}`,
      generation,
      labels,
      annotations: {'deployment.kubernetes.io/revision': '4'},
    },
    spec: {
      replicas,
      selector: {matchLabels: podLabels},
      template: {
        metadata: {labels: podLabels},
        spec: {containers: [{name: 'app', image: `registry.example.com/${name}:1.4.2`}]},
      },
      strategy: {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: '25%', maxSurge: '25%'}},
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: opts.observedGeneration ?? generation,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready || undefined,
      availableReplicas: available || undefined,
      unavailableReplicas: replicas - available || undefined,
      conditions,
    },
  }
}

export function pod(
  ns: string,
  name: string,
  labels: Record<string, string>,
  opts: {ready?: boolean; waiting?: {reason: string; message?: string}; restarts?: number} = {},
): KObj {
  const ready = opts.ready ?? true
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name, namespace: ns, uid: `uid-${name}`, labels},
    spec: {containers: [{name: 'app', image: 'registry.example.com/app:1.4.2'}], nodeName: 'node-1'},
    status: {
      phase: opts.waiting?.reason === 'ImagePullBackOff' ? 'Pending' : 'Running',
      conditions: [
        {type: 'Initialized', status: 'True', lastTransitionTime: '2025-05-01T10:00:00Z'},
        ready
          ? {type: 'Ready', status: 'True', lastTransitionTime: '2025-05-01T10:00:00Z'}
          : {
              type: 'Ready',
              status: 'False',
              lastTransitionTime: '2025-05-01T10:00:00Z',
              reason: 'ContainersNotReady',
              message: 'containers with unready status: [app]',
            },
        ready
          ? {type: 'ContainersReady', status: 'True', lastTransitionTime: '2025-05-01T10:00:00Z'}
          : {
              type: 'ContainersReady',
              status: 'False',
              lastTransitionTime: '2025-05-01T10:00:00Z',
              reason: 'ContainersNotReady',
              message: 'containers with unready status: [app]',
            },
        {type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-05-01T10:00:00Z'},
      ],
      containerStatuses: [
        {
          name: 'app',
          ready,
          started: ready,
          restartCount: opts.restarts ?? 0,
          image: 'registry.example.com/app:1.4.2',
          imageID: '',
          state: opts.waiting
            ? {waiting: {reason: opts.waiting.reason, message: opts.waiting.message}}
            : {running: {startedAt: '2025-05-01T10:00:00Z'}},
          ...(opts.waiting?.reason === 'CrashLoopBackOff'
            ? {
                lastState: {
                  terminated: {
                    exitCode: 1,
                    reason: 'Error',
                    startedAt: '2025-05-01T10:01:00Z',
                    finishedAt: '2025-05-01T10:01:02Z',
                  },
                },
              }
            : {}),
        },
      ],
    },
  }
}

export function service(ns: string, name: string, selector: Record<string, string>): KObj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name, namespace: ns, uid: `uid-svc-${name}`},
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.12.34',
      selector,
      ports: [{name: 'http', port: 80, targetPort: 8080, protocol: 'TCP'}],
    },
    status: {loadBalancer: {}},
  }
}
