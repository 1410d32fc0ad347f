import {type CauseRef, defineCheck, fail, type Finding, type Item, pass, skip, warn} from '../src/engine/check.js'
import {
  type KObject,
  type Kube,
  kubernetes,
  type KubeResult,
  nearest,
  PLURAL,
  type WorkloadKind,
} from '../src/facts/kubernetes.js'

const E = 'kubernetes-readiness-missing'
const NS = `${E}#wrong-namespace`
const SEL = `${E}#label-selector-mismatch`
const RBAC = `${E}#rbac-missing`
const READY = `${E}#workload-not-ready`

interface Perm {
  verb: string
  resource: string
  group?: string
  namespace?: string
}

type Workload = {kind?: WorkloadKind; name?: string; selector?: string; service?: string}

export default defineCheck({
  meta: {
    id: 'kubernetes-workload',
    title: "The release's Kubernetes workloads are found, readable and rolled out",
    failureTitle: 'A Kubernetes workload is missing, unreadable or not rolled out',
    area: 'evidence',
    slow: true,
    description:
      "Loads the kubeconfig (kubernetes.kubeconfig, $KUBECONFIG, ~/.kube/config, then in-cluster) without the client's silent localhost:8080 fallback, confirms the namespace exists, asks the API server with SelfSubjectAccessReview whether the identity may read what the evidence needs, then finds each workload by name or label selector and judges its rollout the way `kubectl rollout status` does. Names pods that are not ready and why, checks that a Service's selector matches ready pods, and suggests the nearest namespace, name or label set when something is not found.",
    needs: ['kubernetes.namespace'],
    kb: [NS, SEL, RBAC, READY, E],
  },
  async run(ctx) {
    const cfg = ctx.config.kubernetes
    if (!cfg) return skip('not configured: set kubernetes.namespace in doctor.yaml')
    const setup = await kubernetes(ctx.facts, {kubeconfig: cfg.kubeconfig, context: cfg.context})
    if (!setup.ok) {
      if (setup.reason === 'no-config')
        return skip(
          `no kubeconfig found: ${setup.message}; set kubernetes.kubeconfig or KUBECONFIG, or run doctor inside the cluster with a service account`,
        )
      return {status: 'error', message: setup.message}
    }
    const {kube} = setup
    const ns = cfg.namespace
    const where = `${setup.server} (context "${setup.context}", from ${setup.source})`
    const notes: string[] = [`cluster: ${where}`]
    const items: Item[] = []
    const findings: Finding[] = []
    const finish = () => conclude(findings, items, notes, ns)

    // The namespace.
    const nsRead = await kube.readNamespace(ns)
    if (!nsRead.ok && nsRead.code === undefined)
      return {
        status: 'error',
        message: `could not reach the Kubernetes API at ${where}: ${nsRead.message}`,
        evidence: {notes},
      }
    if (!nsRead.ok && nsRead.code === 401) {
      findings.push({
        status: 'fail',
        kb: E,
        message: `the API server at ${setup.server} rejects the credentials of the kubeconfig user "${setup.user}" (401 Unauthorized): the token or certificate is expired, revoked or for another cluster`,
        fix: [
          'Refresh the credential in the kubeconfig (or the service-account token) for this cluster, then run again.',
        ],
      })
      return finish()
    }
    if (!nsRead.ok && nsRead.code === 404) {
      const all = await kube.listNamespaces()
      const names = all.ok ? all.value.items.map((n) => n.metadata?.name ?? '') : []
      const close = nearest(ns, names)
      const elsewhere = await findElsewhere(kube, cfg.workloads ?? [], ns)
      findings.push({
        status: 'fail',
        kb: NS,
        message: `the namespace "${ns}" does not exist in ${setup.server}${close.length ? `; nearest: ${close.map((n) => `"${n}"`).join(', ')}` : ''}${elsewhere.length ? `; the workload is in ${elsewhere.join(', ')}` : ''}${all.ok ? '' : ' (listing namespaces is not allowed, so no suggestions)'}`,
        fix: [
          `Set kubernetes.namespace (and the connector's namespace) to the namespace the workload runs in${close[0] ? `, probably "${close[0]}"` : ''}, or select the kubeconfig context of the right cluster.`,
        ],
      })
      return finish()
    }
    if (!nsRead.ok)
      notes.push(
        `the namespace "${ns}" could not be read (${nsRead.code}: ${nsRead.message}); a namespaced Role cannot grant that, so its existence is judged from the reads below`,
      )

    // RBAC first: may this identity read what the evidence needs?
    const workloads: Workload[] = cfg.workloads ?? []
    const perms: Perm[] = cfg.permissions ?? defaultPermissions(workloads)
    const denied: Perm[] = []
    for (const p of perms) {
      const r = await kube.canI({
        verb: p.verb,
        resource: p.resource,
        group: p.group ?? '',
        namespace: p.namespace ?? ns,
      })
      if (!r.ok) {
        notes.push(
          `SelfSubjectAccessReview for ${p.verb} ${resourceName(p)} could not be sent (${r.code ?? ''} ${r.message}); judged from the reads instead`,
        )
        continue
      }
      if (r.value.evaluationError)
        notes.push(
          `SelfSubjectAccessReview for ${p.verb} ${resourceName(p)}: evaluationError ${r.value.evaluationError}`,
        )
      items.push({
        label: `can-i ${p.verb} ${resourceName(p)} -n ${p.namespace ?? ns}`,
        status: r.value.allowed ? 'pass' : 'fail',
        message: r.value.allowed
          ? r.value.reason || 'allowed'
          : r.value.reason || (r.value.denied ? 'denied' : 'no authorizer allows it'),
      })
      if (!r.value.allowed) denied.push(p)
    }
    if (denied.length > 0) {
      const who = (await kube.whoAmI()) ?? setup.user
      findings.push({
        status: 'fail',
        kb: RBAC,
        message: `the identity "${who}" may not ${denied.map((p) => `${p.verb} ${resourceName(p)}`).join(', ')} in the namespace "${ns}"${nsRead.ok ? '' : ' (or the namespace does not exist)'}`,
        fix: [
          'Grant read-only access in that namespace with a Role and RoleBinding such as (kubectl apply -f):',
          roleYaml(ns, denied, who),
        ],
      })
      return finish()
    }

    // Each workload (without any configured: every Deployment in the namespace).
    if (workloads.length === 0) {
      const all = await kube.listWorkloads('Deployment', ns)
      if (!all.ok) return readProblem(all, 'list deployments.apps')
      if (all.value.items.length === 0) {
        findings.push({
          status: 'warn',
          kb: NS,
          message: `there are no Deployments in the namespace "${ns}" (No resources found in ${ns} namespace)`,
          fix: [
            'Point kubernetes.namespace at the namespace the release runs in, or list the workloads under kubernetes.workloads.',
          ],
        })
      }
      for (const d of all.value.items) await judge(d, 'Deployment', {})
      return finish()
    }
    for (const w of workloads) {
      const kind = w.kind ?? 'Deployment'
      const label = `${kind} ${w.name ?? w.selector}`
      const found = await locate(kube, kind, ns, w)
      if ('problem' in found) {
        findings.push(found.problem)
        items.push({label, status: found.problem.status, message: found.problem.message})
        continue
      }
      if (found.objects.length > 1)
        notes.push(
          `${label}: the selector matches ${found.objects.length} ${PLURAL[kind]} (${found.objects.map((o) => o.metadata?.name).join(', ')}); the evidence should select exactly the release's workload`,
        )
      for (const o of found.objects) await judge(o, kind, w)
    }
    return finish()

    function readProblem(r: KubeResult<unknown>, what: string) {
      const message = r.ok ? '' : r.message
      if (!r.ok && r.code === 403) {
        findings.push({
          status: 'fail',
          kb: RBAC,
          message: `the API refuses to ${what} in "${ns}": ${message}`,
          fix: [
            'Grant read-only access with a Role and RoleBinding such as:',
            roleYaml(ns, [{verb: 'list', resource: 'deployments', group: 'apps'}], setup.ok ? setup.user : '<user>'),
          ],
        })
        return finish()
      }
      return {status: 'error' as const, message: `could not ${what} in "${ns}": ${message}`, evidence: {notes}}
    }

    async function judge(o: KObject, kind: WorkloadKind, w: Workload) {
      const name = o.metadata?.name ?? '?'
      const label = `${kind} ${name}`
      const verdict = rollout(kind, o)
      const podSelector = selectorString(o.spec?.selector)
      let podNote = ''
      if (verdict.status !== 'pass') {
        const pods = podSelector ? await kube.listPods(ns, podSelector) : undefined
        if (pods?.ok) {
          const bad = pods.value.items.map((p) => ({p, why: notReady(p)})).filter((x) => x.why)
          if (bad.length)
            podNote = `; pods not ready: ${bad
              .slice(0, 5)
              .map((x) => `${x.p.metadata?.name} (${x.why})`)
              .join(', ')}${bad.length > 5 ? `, and ${bad.length - 5} more` : ''}`
          else if (pods.value.items.length === 0) podNote = `; no pods match its selector ${podSelector}`
        } else if (pods && !pods.ok) podNote = `; its pods could not be listed (${pods.message})`
      }
      items.push({label, status: verdict.status, message: verdict.message + podNote})
      if (verdict.status !== 'pass') {
        findings.push({
          status: verdict.status,
          kb: READY,
          message: `${label} in "${ns}": ${verdict.message}${podNote}`,
          fix: fixFor(kind, name, ns, podSelector, podNote),
        })
      }
      if (w.service) await checkService(w.service, o, kind)
    }

    async function checkService(svcName: string, o: KObject, kind: WorkloadKind) {
      const label = `Service ${svcName}`
      const s = await kube.readService(ns, svcName)
      if (!s.ok) {
        if (s.code === 404) {
          findings.push({
            status: 'fail',
            kb: E,
            message: `the Service "${svcName}" does not exist in "${ns}"`,
            fix: [
              `Set kubernetes.workloads[].service to the Service in front of the workload (kubectl get services -n ${ns}).`,
            ],
          })
          items.push({label, status: 'fail', message: 'not found'})
        } else notes.push(`${label}: could not be read (${s.code ?? ''} ${s.message})`)
        return
      }
      const sel: Record<string, string> = s.value.spec?.selector ?? {}
      if (Object.keys(sel).length === 0) {
        notes.push(`${label} has no selector (its endpoints are managed by hand), so it is not compared with the pods`)
        return
      }
      const selText = Object.entries(sel)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
      const pods = await kube.listPods(ns, selText)
      if (!pods.ok) {
        notes.push(`${label}: pods could not be listed (${pods.message})`)
        return
      }
      const ready = pods.value.items.filter((p) => !notReady(p))
      if (ready.length > 0) {
        items.push({
          label,
          status: 'pass',
          message: `selector ${selText} matches ${ready.length} ready pod${ready.length === 1 ? '' : 's'}`,
        })
        return
      }
      const template: Record<string, string> = o.spec?.template?.metadata?.labels ?? {}
      const diff = labelDiff(sel, template)
      const name = o.metadata?.name
      if (diff.length > 0) {
        const message = `the Service "${svcName}" selects ${selText}, which matches ${pods.value.items.length ? 'no ready pod' : 'no pod'}; the ${kind} "${name}" labels its pods ${fmtLabels(template)}: ${diff.join('; ')}`
        findings.push({
          status: 'fail',
          kb: SEL,
          message,
          fix: [
            `Make the Service's spec.selector a subset of the pod template labels of ${kind.toLowerCase()}/${name} (or relabel the template), then check \`kubectl get endpointslices -n ${ns} -l kubernetes.io/service-name=${svcName}\` lists ready endpoints.`,
          ],
        })
        items.push({label, status: 'fail', message})
      } else {
        items.push({
          label,
          status: 'fail',
          message: `selector ${selText} matches the ${kind}'s pods, but none is ready`,
        })
      }
    }
  },
})

function defaultPermissions(workloads: Workload[]): Perm[] {
  const kinds = [...new Set((workloads.length ? workloads : [{}]).map((w) => w.kind ?? 'Deployment'))]
  const perms: Perm[] = kinds.flatMap((k) =>
    ['get', 'list'].map((verb) => ({verb, resource: PLURAL[k], group: 'apps'})),
  )
  perms.push({verb: 'list', resource: 'pods'}, {verb: 'list', resource: 'services'})
  return perms
}

const resourceName = (p: Perm) => (p.group ? `${p.resource}.${p.group}` : p.resource)

/** A minimal read-only Role and RoleBinding granting exactly the denied rules. */
export function roleYaml(ns: string, denied: Perm[], who: string): string {
  const groups = new Map<string, Map<string, Set<string>>>()
  for (const p of denied) {
    const g = groups.get(p.group ?? '') ?? new Map<string, Set<string>>()
    const verbs = g.get(p.resource) ?? new Set<string>()
    verbs.add(p.verb)
    g.set(p.resource, verbs)
    groups.set(p.group ?? '', g)
  }
  const rules = [...groups].flatMap(([group, resources]) =>
    [...resources].map(
      ([resource, verbs]) =>
        `- apiGroups: ["${group}"]\n  resources: ["${resource}"]\n  verbs: [${[...verbs].map((v) => `"${v}"`).join(', ')}]`,
    ),
  )
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(who)
  const subject = sa
    ? `- kind: ServiceAccount\n  name: ${sa[2]}\n  namespace: ${sa[1]}`
    : `- kind: User\n  apiGroup: rbac.authorization.k8s.io\n  name: ${who}`
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: release-evidence-reader
  namespace: ${ns}
rules:
${rules.join('\n')}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: release-evidence-reader
  namespace: ${ns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: release-evidence-reader
subjects:
${subject}`
}

type Located = {objects: KObject[]} | {problem: Finding}

/** Find a workload by name or selector; when it is not there, say where it is or what is nearest. */
async function locate(kube: Kube, kind: WorkloadKind, ns: string, w: Workload): Promise<Located> {
  const plural = `${PLURAL[kind]}.apps`
  const denied = (r: KubeResult<unknown>): Located | undefined =>
    !r.ok && r.code === 403
      ? {
          problem: {
            status: 'fail',
            kb: RBAC,
            message: `the API refuses to read ${plural} in "${ns}": ${r.message}`,
            fix: [
              'Grant read-only access in that namespace:',
              roleYaml(
                ns,
                [
                  {verb: 'get', resource: PLURAL[kind], group: 'apps'},
                  {verb: 'list', resource: PLURAL[kind], group: 'apps'},
                ],
                '<user>',
              ),
            ],
          },
        }
      : undefined
  const failed = (r: KubeResult<unknown>): Located =>
    !r.ok
      ? {
          problem: {
            status: 'fail',
            kb: E,
            message: `could not read ${plural} in "${ns}": ${r.message}`,
            fix: ['Check the API server is reachable from where doctor runs.'],
          },
        }
      : {objects: []}

  if (w.name) {
    const r = await kube.readWorkload(kind, ns, w.name)
    if (r.ok) {
      if (w.selector && !matchesSelector(w.selector, r.value.metadata?.labels ?? {})) {
        const want = parseSelector(w.selector)
        const diff = want ? labelDiff(want, r.value.metadata?.labels ?? {}) : []
        return {
          problem: {
            status: 'fail',
            kb: SEL,
            message: `the ${kind} "${w.name}" exists in "${ns}", but the selector ${w.selector} does not match its labels ${fmtLabels(r.value.metadata?.labels ?? {})}${diff.length ? `: ${diff.join('; ')}` : ''}`,
            fix: [
              `Change the selector to labels ${kind.toLowerCase()}/${w.name} carries, or add the missing labels to it.`,
            ],
          },
        }
      }
      return {objects: [r.value]}
    }
    if (r.code !== 404) return denied(r) ?? failed(r)
    const all = await kube.listWorkloads(kind, ns)
    const close = all.ok
      ? nearest(
          w.name,
          all.value.items.map((o) => o.metadata?.name ?? ''),
        )
      : []
    const other = await kube.listWorkloads(kind, undefined, {fieldSelector: `metadata.name=${w.name}`})
    const elsewhere = other.ok ? other.value.items.map((o) => `"${o.metadata?.namespace}"`) : []
    if (elsewhere.length)
      return {
        problem: {
          status: 'fail',
          kb: NS,
          message: `there is no ${kind} "${w.name}" in "${ns}", but there is one in the namespace ${elsewhere.join(', ')}`,
          fix: [
            `Set kubernetes.namespace (and the connector's namespace) to ${elsewhere[0]}, or deploy the workload to "${ns}".`,
          ],
        },
      }
    return {
      problem: {
        status: 'fail',
        kb: SEL,
        message: `there is no ${kind} "${w.name}" in "${ns}"${close.length ? `; did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''}${other.ok ? '' : ' (not allowed to look in other namespaces)'}`,
        fix: [`Use the workload's exact name (kubectl get ${PLURAL[kind]} -n ${ns}).`],
      },
    }
  }

  const selector = w.selector!
  const r = await kube.listWorkloads(kind, ns, {labelSelector: selector})
  if (!r.ok) return denied(r) ?? failed(r)
  if (r.value.items.length > 0) return {objects: r.value.items}
  // Nothing: the nearest label sets here, and the same selector elsewhere.
  const all = await kube.listWorkloads(kind, ns)
  const want = parseSelector(selector)
  const ranked =
    all.ok && want
      ? all.value.items
          .map((o) => ({
            o,
            diff: labelDiff(want, o.metadata?.labels ?? {}),
            score: score(want, o.metadata?.labels ?? {}),
          }))
          .filter(
            (x) =>
              x.diff.length > 0 &&
              x.diff.length <= Math.max(1, Object.keys(want).length - 1 || 1) &&
              x.diff.length < Object.keys(want).length + 1,
          )
          .sort((a, b) => a.score - b.score)
          .slice(0, 3)
      : []
  const other = await kube.listWorkloads(kind, undefined, {labelSelector: selector})
  const elsewhere = other.ok ? [...new Set(other.value.items.map((o) => `"${o.metadata?.namespace}"`))] : []
  if (elsewhere.length) {
    return {
      problem: {
        status: 'fail',
        kb: NS,
        message: `no ${kind} in "${ns}" matches ${selector} (No resources found in ${ns} namespace), but the selector matches in the namespace ${elsewhere.join(', ')}`,
        fix: [
          `Set kubernetes.namespace (and the connector's namespace) to ${elsewhere[0]}, or check the kubeconfig context points at the right cluster.`,
        ],
      },
    }
  }
  const hint = ranked.map((x) => `${x.o.metadata?.name} (${x.diff.join('; ')})`).join(', ')
  return {
    problem: {
      status: 'fail',
      kb: SEL,
      message: `no ${kind} in "${ns}" matches the selector ${selector} (No resources found in ${ns} namespace)${hint ? `; nearest label sets: ${hint}` : ''}${other.ok ? '' : ' (not allowed to look in other namespaces)'}`,
      fix: [
        ranked[0]
          ? `Change the selector to ${fmtLabels(pick(ranked[0].o.metadata?.labels ?? {}, want!))} (the labels ${kind.toLowerCase()}/${ranked[0].o.metadata?.name} carries), or add the expected labels to the workload.`
          : `Read the labels the workloads carry (kubectl get ${PLURAL[kind]} -n ${ns} --show-labels) and select on those.`,
      ],
    },
  }
}

async function findElsewhere(kube: Kube, workloads: Workload[], ns: string): Promise<string[]> {
  const found = new Set<string>()
  for (const w of workloads) {
    const kind = w.kind ?? 'Deployment'
    const r = await kube.listWorkloads(
      kind,
      undefined,
      w.name ? {fieldSelector: `metadata.name=${w.name}`} : {labelSelector: w.selector},
    )
    if (r.ok) for (const o of r.value.items) if (o.metadata?.namespace !== ns) found.add(`"${o.metadata?.namespace}"`)
  }
  return [...found]
}

/** Equality-based selectors as a map; undefined when the selector uses set-based requirements. */
export function parseSelector(selector: string): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const part of selector.split(',')) {
    const m = /^\s*([^!=\s]+)\s*(?:==|=)\s*([^\s]*)\s*$/.exec(part)
    if (!m) return undefined
    out[m[1]!] = m[2]!
  }
  return out
}

function matchesSelector(selector: string, labels: Record<string, string>): boolean {
  const want = parseSelector(selector)
  return want ? Object.entries(want).every(([k, v]) => labels[k] === v) : true
}

/** How labels fail a selector, one phrase per requirement. */
export function labelDiff(want: Record<string, string>, labels: Record<string, string>): string[] {
  const out: string[] = []
  for (const [k, v] of Object.entries(want)) {
    if (labels[k] === v) continue
    if (k in labels) out.push(`${k} is "${labels[k]}", not "${v}"`)
    else {
      const renamed = Object.entries(labels).find(([lk, lv]) => lv === v && !(lk in want))
      out.push(renamed ? `key ${k} is missing; ${renamed[0]}=${v} carries the value` : `key ${k} is missing`)
    }
  }
  return out
}

function score(want: Record<string, string>, labels: Record<string, string>): number {
  let s = 0
  for (const [k, v] of Object.entries(want)) {
    if (labels[k] === v) continue
    if (k in labels) s += 1 + Math.min(1, nearest(v, [labels[k]!]).length ? 0.3 : 0.9)
    else s += Object.values(labels).includes(v) ? 1.1 : 2
  }
  return s
}

function pick(labels: Record<string, string>, want: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(want)) {
    if (k in labels) out[k] = labels[k]!
    else {
      const renamed = Object.entries(labels).find(([lk, lv]) => lv === v && !(lk in want))
      if (renamed) out[renamed[0]] = renamed[1]
    }
  }
  return Object.keys(out).length ? out : labels
}

const fmtLabels = (l: Record<string, string>) =>
  Object.keys(l).length
    ? Object.entries(l)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '(no labels)'

function selectorString(
  sel:
    | {matchLabels?: Record<string, string>; matchExpressions?: {key: string; operator: string; values?: string[]}[]}
    | undefined,
): string | undefined {
  if (!sel) return undefined
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`)
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`)
    else if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
  }
  return parts.length ? parts.join(',') : undefined
}

/** The rollout verdict, following kubectl's rollout status rules per kind. */
export function rollout(kind: WorkloadKind, o: KObject): {status: 'pass' | 'warn' | 'fail'; message: string} {
  const name = o.metadata?.name
  const st = o.status ?? {}
  const spec = o.spec ?? {}
  const generation = o.metadata?.generation ?? 0
  const observed = st.observedGeneration ?? 0
  if (generation > observed)
    return {
      status: 'warn',
      message: `Waiting for ${kind.toLowerCase()} spec update to be observed... (generation ${generation}, observed ${observed})`,
    }
  if (kind === 'Deployment') {
    const replicas: number = spec.replicas ?? 1
    const updated: number = st.updatedReplicas ?? 0
    const available: number = st.availableReplicas ?? 0
    const ready: number = st.readyReplicas ?? 0
    const total: number = st.replicas ?? 0
    const progressing = (st.conditions ?? []).find((c: {type: string}) => c.type === 'Progressing')
    if (progressing?.reason === 'ProgressDeadlineExceeded')
      return {
        status: 'fail',
        message: `deployment "${name}" exceeded its progress deadline (ProgressDeadlineExceeded: ${progressing.message ?? ''}); ${ready} of ${replicas} replicas ready`,
      }
    if (replicas === 0)
      return {
        status: 'warn',
        message: `deployment "${name}" is scaled to 0 replicas, so there is no readiness to report`,
      }
    const zero = ready === 0 ? 'fail' : 'warn'
    if (updated < replicas)
      return {
        status: zero,
        message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated... (${ready} ready)`,
      }
    if (total > updated)
      return {
        status: zero,
        message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`,
      }
    if (available < updated)
      return {
        status: zero,
        message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available... (${ready} ready)`,
      }
    return {status: 'pass', message: `deployment "${name}" successfully rolled out (${ready}/${replicas} ready)`}
  }
  if (kind === 'StatefulSet') {
    const replicas: number = spec.replicas ?? 1
    const ready: number = st.readyReplicas ?? 0
    const zero = ready === 0 && replicas > 0 ? 'fail' : 'warn'
    if (ready < replicas)
      return {status: zero, message: `Waiting for ${replicas - ready} pods to be ready... (${ready}/${replicas} ready)`}
    if (spec.updateStrategy?.type !== 'OnDelete' && st.updateRevision && st.currentRevision !== st.updateRevision)
      return {
        status: 'warn',
        message: `waiting for statefulset rolling update to complete: ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision} (current ${st.currentRevision})...`,
      }
    return {
      status: 'pass',
      message: `statefulset rolling update complete ${ready} pods at revision ${st.currentRevision ?? '?'}`,
    }
  }
  const desired: number = st.desiredNumberScheduled ?? 0
  const updated: number = st.updatedNumberScheduled ?? 0
  const available: number = st.numberAvailable ?? 0
  const ready: number = st.numberReady ?? 0
  const zero = ready === 0 && desired > 0 ? 'fail' : 'warn'
  if (updated < desired)
    return {
      status: zero,
      message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    }
  if (available < desired)
    return {
      status: zero,
      message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available... (${ready} ready)`,
    }
  return {status: 'pass', message: `daemon set "${name}" successfully rolled out (${ready}/${desired} ready)`}
}

/** Why a pod is not ready, or undefined when it is. */
export function notReady(p: KObject): string | undefined {
  const st = p.status ?? {}
  const readyCond = (st.conditions ?? []).find((c: {type: string}) => c.type === 'Ready')
  if (readyCond?.status === 'True') return undefined
  if (p.metadata?.deletionTimestamp) return 'terminating'
  const reasons: string[] = []
  for (const c of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])] as {
    name: string
    ready: boolean
    restartCount?: number
    state?: any
    lastState?: any
  }[]) {
    // eslint-disable-line @typescript-eslint/no-explicit-any
    if (c.ready) continue
    const w = c.state?.waiting
    const t = c.state?.terminated ?? c.lastState?.terminated
    if (w?.reason)
      reasons.push(
        `${c.name}: ${w.reason}${w.message ? ` "${String(w.message).slice(0, 120)}"` : ''}${c.restartCount ? `, ${c.restartCount} restarts` : ''}${t ? `, last exit ${t.exitCode}${t.reason ? ` ${t.reason}` : ''}` : ''}`,
      )
    else if (c.state?.running) reasons.push(`${c.name}: running but not ready (readiness probe failing)`)
    else if (t) reasons.push(`${c.name}: terminated ${t.reason ?? ''} exit ${t.exitCode}`)
  }
  if (reasons.length) return reasons.join('; ')
  const sched = (st.conditions ?? []).find((c: {type: string}) => c.type === 'PodScheduled')
  if (sched?.status === 'False') return `${sched.reason ?? 'not scheduled'}${sched.message ? `: ${sched.message}` : ''}`
  return `${st.phase ?? 'unknown phase'}${readyCond?.reason ? `, ${readyCond.reason}` : ''}`
}

function fixFor(kind: WorkloadKind, name: string, ns: string, selector: string | undefined, podNote: string): string[] {
  const fix = [`Read the conditions and events: kubectl describe ${kind.toLowerCase()} ${name} -n ${ns}`]
  if (/CrashLoopBackOff|Error/.test(podNote))
    fix.push(
      `Read the crashing container's previous log: kubectl logs -n ${ns} -l ${selector ?? '<selector>'} --previous, and fix the configuration or image it fails on.`,
    )
  if (/ImagePullBackOff|ErrImagePull/.test(podNote))
    fix.push('Fix the image reference or the registry pull secret (kubectl describe pod shows the pull error).')
  if (/readiness probe/.test(podNote))
    fix.push(
      "The containers run but fail the readiness probe: check the probe path and port and what the app's readiness endpoint reports.",
    )
  fix.push(
    `When fixed, let the rollout finish: kubectl rollout status ${kind.toLowerCase()}/${name} -n ${ns} --watch=false`,
  )
  return fix
}

const SUMMARY: Record<string, string> = {
  [NS]: 'The workload is looked for in a namespace (or cluster) other than the one it runs in.',
  [SEL]: 'The label selector (or name) matches no workload or no ready pod.',
  [RBAC]: 'The identity may not read the workload, its pods or services in that namespace.',
  [READY]: 'The workload is found, but its rollout has not finished or its pods are not ready.',
  [E]: 'Kubernetes readiness evidence cannot be read.',
}

function conclude(findings: Finding[], items: Item[], notes: string[], ns: string) {
  const evidence = {observed: {namespace: ns}, notes}
  if (findings.length === 0) {
    const ok = items.filter(
      (i) =>
        i.label.startsWith('Deployment') ||
        i.label.startsWith('StatefulSet') ||
        i.label.startsWith('DaemonSet') ||
        i.label.startsWith('Service'),
    )
    return pass(`${ok.length ? ok.map((i) => i.message).join('; ') : 'the workloads are rolled out'} in "${ns}"`, {
      items,
      evidence,
    })
  }
  const worstFinding = findings.find((f) => f.status === 'fail') ?? findings[0]!
  const others = findings.filter((f) => f !== worstFinding).map((f) => `also: ${f.message}`)
  const cause: CauseRef = {
    kb: worstFinding.kb,
    summary: SUMMARY[worstFinding.kb] ?? worstFinding.message,
    fix: worstFinding.fix,
    verify: [
      `\`kubectl get deployments,pods -n ${ns} --show-labels\` lists the workload with ready pods, and \`kubectl rollout status\` says "successfully rolled out".`,
      '`doctor run kubernetes-workload` passes.',
    ],
  }
  const extra = {items, evidence: {...evidence, notes: [...others, ...notes]}}
  return worstFinding.status === 'fail'
    ? fail(worstFinding.message, cause, extra)
    : warn(worstFinding.message, cause, extra)
}
