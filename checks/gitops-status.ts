import {
  type CauseRef,
  type CheckContext,
  defineCheck,
  fail,
  type Finding,
  type Item,
  pass,
  skip,
  warn,
} from '../src/engine/check.js'
import {type KObject, kubernetes, nearest} from '../src/facts/kubernetes.js'
import type {HttpResult} from '../src/http/client.js'
import type {ExchangeRecord} from '../src/http/types.js'

const E = 'gitops-status-unavailable'
const NAME = `${E}#app-name-wrong`
const PROJECT = `${E}#project-scope-mismatch`
const TOKEN = `${E}#token-permission-missing`
const FLUXRBAC = `${E}#flux-objects-not-readable`
const STATUS = `${E}#status-incomplete`

const FLUX = {
  Kustomization: {group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations'},
  HelmRelease: {group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases'},
} as const

export default defineCheck({
  meta: {
    id: 'gitops-status',
    title: 'The GitOps app is found, healthy, synced and at the expected revision',
    failureTitle: 'The GitOps app is missing, unreadable, unhealthy or at another revision',
    area: 'evidence',
    description:
      'Reads the Argo CD Application (GET /api/v1/applications/{app} with the API token, with the project when given, since Argo CD answers 403 rather than 404 for a missing app without it) and reports health, sync, the deployed revision against gitops.expectedRevision, the previous revision and degraded or out-of-sync resources. For Flux, reads the Kustomization or HelmRelease through the Kubernetes API and judges its Ready condition, observedGeneration, suspension and applied versus attempted revision.',
    needs: ['gitops'],
    kb: [NAME, PROJECT, TOKEN, FLUXRBAC, STATUS, E],
  },
  skipReason: (config) =>
    config.gitops && !config.gitops.argocd && !config.gitops.flux
      ? 'not configured: set gitops.argocd or gitops.flux in doctor.yaml'
      : undefined,
  async run(ctx) {
    const g = ctx.config.gitops
    if (!g || (!g.argocd && !g.flux)) return skip('not configured: set gitops.argocd or gitops.flux in doctor.yaml')
    const findings: Finding[] = []
    const items: Item[] = []
    const notes: string[] = []
    const exchanges: ExchangeRecord[] = []
    const observed: Record<string, unknown> = {}
    let errored: string | undefined
    if (g.argocd) errored = await argo(ctx, g.argocd, g.expectedRevision, {findings, items, notes, exchanges, observed})
    if (g.flux) errored ??= await flux(ctx, g.flux, g.expectedRevision, {findings, items, notes, exchanges, observed})
    const evidence = {observed, notes, exchanges}
    if (findings.length === 0) {
      if (errored) return {status: 'error', message: errored, evidence, items}
      return pass(items.map((i) => i.message).join('; '), {items, evidence})
    }
    const top = findings.find((f) => f.status === 'fail') ?? findings[0]!
    const cause: CauseRef = {kb: top.kb, summary: SUMMARY[top.kb] ?? top.message, fix: top.fix, verify: verify(ctx)}
    const extra = {
      items,
      evidence: {...evidence, notes: [...findings.filter((f) => f !== top).map((f) => `also: ${f.message}`), ...notes]},
    }
    return top.status === 'fail' ? fail(top.message, cause, extra) : warn(top.message, cause, extra)
  },
})

interface Acc {
  findings: Finding[]
  items: Item[]
  notes: string[]
  exchanges: ExchangeRecord[]
  observed: Record<string, unknown>
}

const SUMMARY: Record<string, string> = {
  [NAME]: 'The app name (or Flux namespace/name) does not match an existing Argo CD Application or Flux object.',
  [PROJECT]: "The token is scoped to another Argo CD project than the app's.",
  [TOKEN]: 'The token is missing, rejected, or not allowed to read the application.',
  [FLUXRBAC]: 'The identity may not read the Flux object.',
  [STATUS]: 'The app is found, but it is not healthy, not synced, or not at the expected revision.',
  [E]: 'GitOps status cannot be read.',
}

function verify(ctx: CheckContext): string[] {
  const a = ctx.config.gitops?.argocd
  const out: string[] = []
  if (a)
    out.push(
      `\`curl -sS -H "Authorization: Bearer $${a.tokenEnv}" '${a.url.replace(/\/+$/, '')}/api/v1/applications/${a.app}${a.project ? `?project=${a.project}` : ''}'\` answers 200 with sync Synced and health Healthy.`,
    )
  const f = ctx.config.gitops?.flux
  if (f)
    out.push(
      `\`kubectl wait ${f.kind.toLowerCase()}/${f.name} -n ${f.namespace} --for=condition=ready --timeout=5m\` prints "condition met".`,
    )
  out.push('`doctor run gitops-status` passes.')
  return out
}

/** Short SHAs match by prefix; Flux revisions ("main@sha1:abc…") match on their SHA part. */
export function sameRevision(actual: string | undefined, expected: string): boolean {
  if (!actual) return false
  const sha = (r: string) => (/(?:sha1|sha256):([0-9a-f]+)$/i.exec(r)?.[1] ?? r).toLowerCase()
  const a = sha(actual)
  const e = sha(expected)
  return a === e || (/^[0-9a-f]{7,}$/.test(e) && a.startsWith(e)) || (/^[0-9a-f]{7,}$/.test(a) && e.startsWith(a))
}

const short = (r: string | undefined) => (r && /^[0-9a-f]{40}$/i.test(r) ? r.slice(0, 12) : (r ?? '(none)'))

async function argo(
  ctx: CheckContext,
  a: NonNullable<NonNullable<CheckContext['config']['gitops']>['argocd']>,
  expected: string | undefined,
  acc: Acc,
): Promise<string | undefined> {
  const base = a.url.replace(/\/+$/, '')
  const label = `Argo CD ${a.app}`
  const token = ctx.facts.env[a.tokenEnv]
  if (token === undefined || token === '') {
    acc.findings.push({
      status: 'fail',
      kb: TOKEN,
      message: `the environment variable ${a.tokenEnv} (gitops.argocd.tokenEnv) is ${token === undefined ? 'not set' : 'empty'}, so there is no Argo CD token to send (Argo CD would answer "no session information")`,
      fix: [
        `Expose an Argo CD API token (a project-role or local-account token with get on ${a.project ?? '<project>'}/${a.app}) as ${a.tokenEnv} to the job that runs doctor.`,
      ],
    })
    acc.items.push({label, status: 'fail', message: `${a.tokenEnv} is not set`})
    return undefined
  }
  ctx.facts.http.redactor.addSecret(token, 'token', `env var ${a.tokenEnv} (gitops.argocd.tokenEnv)`)
  const headers = {Authorization: `Bearer ${token}`, Accept: 'application/json'}
  const url = `${base}/api/v1/applications/${encodeURIComponent(a.app)}${a.project ? `?project=${encodeURIComponent(a.project)}` : ''}`
  const r = await ctx.facts.fetch({url, headers, purpose: `Argo CD application ${a.app}`})
  acc.exchanges.push(r.exchange)
  if (!r.response) return `could not reach Argo CD at ${url}: ${r.error?.message ?? 'no response'}`
  const status = r.response.status
  const text = r.response.text()
  const body = parse(text) as {error?: string; message?: string} & KObject
  const said = body?.message ?? body?.error ?? text.slice(0, 120)
  const fail = (kb: string, message: string, fix: string[]) => {
    acc.findings.push({status: 'fail', kb, message, fix})
    acc.items.push({label, status: 'fail', message})
  }
  if (status === 401) {
    fail(
      TOKEN,
      `Argo CD rejects the token in ${a.tokenEnv} (401: "${said}"): it is expired, revoked or not an API token`,
      [
        `Issue a fresh API token (argocd proj role create-token ${a.project ?? '<project>'} <role>, or argocd account generate-token) and update ${a.tokenEnv}.`,
      ],
    )
    return undefined
  }
  if (status === 403 || status === 404) {
    const names = await visibleApps(ctx, base, headers)
    const close = names
      ? nearest(
          a.app,
          names.map((n) => n.name),
        )
      : []
    const elsewhere = names?.find((n) => n.name === a.app && a.project && n.project !== a.project)
    const dym = close.length
      ? `; apps the token can see with a similar name: ${close.map((c) => `"${c}"`).join(', ')}`
      : ''
    if (status === 404) {
      fail(NAME, `Argo CD has no application "${a.app}" in the project "${a.project}" (404: "${said}")${dym}`, [
        `Set gitops.argocd.app (and the connector's app name) to the exact application name${close[0] ? `, probably "${close[0]}"` : ''}.`,
      ])
    } else if (elsewhere) {
      fail(
        PROJECT,
        `the application "${a.app}" belongs to the project "${elsewhere.project}", not "${a.project}" (403: "${said}")`,
        [`Set gitops.argocd.project to "${elsewhere.project}" and use a token for a role in that project.`],
      )
    } else if (!a.project) {
      fail(
        close.length ? NAME : E,
        `Argo CD answers 403 ("${said}") for the application "${a.app}"; without gitops.argocd.project, Argo CD answers 403 rather than 404 for an application that does not exist, so this is either a wrong name or a token that may not read it${dym}`,
        [
          `Set gitops.argocd.project to the app's project: with it, a missing app answers 404 and a forbidden one 403.`,
          close[0]
            ? `If the app is "${close[0]}", set gitops.argocd.app to that.`
            : "Check the exact app name and the token's policy (argocd account can-i get applications '<project>/<app>').",
        ],
      )
    } else {
      fail(
        close.length && !names?.some((n) => n.name === a.app) ? NAME : TOKEN,
        `Argo CD answers 403 ("${said}") for "${a.app}" in the project "${a.project}": the app exists but the token may not read it, or the app is in another project${dym}`,
        [
          `Give the token's role a policy line such as \`p, proj:${a.project}:<role>, applications, get, ${a.project}/${a.app}, allow\`, or use a token from the app's project.`,
        ],
      )
    }
    return undefined
  }
  if (status !== 200 || !body || typeof body !== 'object') return `Argo CD answered ${status} for ${url}: ${said}`

  const st = body.status ?? {}
  const health: string = st.health?.status ?? 'Unknown'
  const sync: string = st.sync?.status ?? 'Unknown'
  const revision: string | undefined = st.sync?.revision ?? st.sync?.revisions?.[0]
  const history: {id?: number; revision?: string; revisions?: string[]; deployedAt?: string}[] = st.history ?? []
  const last = history.at(-1)
  const previous = history.at(-2)
  const resources: {
    kind?: string
    name?: string
    namespace?: string
    status?: string
    health?: {status?: string; message?: string}
  }[] = st.resources ?? []
  const degraded = resources
    .filter((r) => r.health?.status && !['Healthy', 'Progressing'].includes(r.health.status))
    .map((r) => `${r.kind}/${r.name} ${r.health!.status}${r.health!.message ? ` ("${r.health!.message}")` : ''}`)
  const outOfSync = resources.filter((r) => r.status === 'OutOfSync').map((r) => `${r.kind}/${r.name}`)
  acc.observed.argocd = {
    health,
    sync,
    revision,
    deployed: last?.revision ?? last?.revisions?.[0],
    previous: previous?.revision ?? previous?.revisions?.[0],
    reconciledAt: st.reconciledAt,
    degraded,
    outOfSync,
  }
  const summary = `health ${health}, sync ${sync} at ${short(revision)}, previous ${short(previous?.revision ?? previous?.revisions?.[0])}`
  const problems: Finding[] = []
  if (expected && !sameRevision(revision, expected)) {
    problems.push({
      status: 'fail',
      kb: STATUS,
      message: `Argo CD app "${a.app}" targets ${short(revision)}, not the expected ${expected} (${summary})`,
      fix: [
        'Push or merge the expected revision to the branch the app tracks (or point targetRevision at it), then sync the app.',
      ],
    })
  }
  if (['Degraded', 'Missing'].includes(health)) {
    problems.push({
      status: 'fail',
      kb: STATUS,
      message: `Argo CD app "${a.app}" is ${health}${degraded.length ? `: ${degraded.slice(0, 5).join(', ')}` : ''} (${summary})`,
      fix: ['Fix what the degraded resources report (kubectl describe and the pod logs), then sync the app.'],
    })
  } else if (health !== 'Healthy') {
    problems.push({
      status: 'warn',
      kb: STATUS,
      message: `Argo CD app "${a.app}" health is ${health}${degraded.length ? `: ${degraded.join(', ')}` : ''} (${summary})`,
      fix: ['Wait for the sync to finish, or read the resource tree for what is still progressing.'],
    })
  }
  if (sync !== 'Synced') {
    problems.push({
      status: 'warn',
      kb: STATUS,
      message: `Argo CD app "${a.app}" is ${sync}${outOfSync.length ? ` (out of sync: ${outOfSync.slice(0, 5).join(', ')})` : ''} (${summary})`,
      fix: ['Sync the app (argocd app sync <app>) or let auto-sync run, and read status.conditions if it fails.'],
    })
  }
  if (history.length === 0)
    acc.notes.push(`Argo CD app "${a.app}" has no deployment history (never synced), so there is no previous revision`)
  if (st.resourceHealthSource === 'appTree')
    acc.notes.push(
      'resourceHealthSource is appTree: per-resource health lives in the resource tree, not status.resources',
    )
  acc.findings.push(...problems)
  acc.items.push({
    label,
    status: problems.some((p) => p.status === 'fail') ? 'fail' : problems.length ? 'warn' : 'pass',
    message: problems[0]?.message ?? `Argo CD app "${a.app}": ${summary}${expected ? ` (expected ${expected})` : ''}`,
  })
  return undefined
}

async function visibleApps(
  ctx: CheckContext,
  base: string,
  headers: Record<string, string>,
): Promise<{name: string; project: string}[] | undefined> {
  const r: HttpResult = await ctx.facts.fetch({
    url: `${base}/api/v1/applications`,
    headers,
    purpose: 'Argo CD applications the token can see',
  })
  if (r.response?.status !== 200) return undefined
  const list = parse(r.response.text()) as {items?: {metadata?: {name?: string}; spec?: {project?: string}}[] | null}
  return (list?.items ?? []).map((i) => ({name: i.metadata?.name ?? '', project: i.spec?.project ?? ''}))
}

function parse(text: string): any {
  // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

async function flux(
  ctx: CheckContext,
  f: NonNullable<NonNullable<CheckContext['config']['gitops']>['flux']>,
  expected: string | undefined,
  acc: Acc,
): Promise<string | undefined> {
  const k = ctx.config.kubernetes
  const label = `Flux ${f.kind} ${f.namespace}/${f.name}`
  const setup = await kubernetes(ctx.facts, {kubeconfig: k?.kubeconfig, context: k?.context})
  if (!setup.ok)
    return setup.reason === 'no-config'
      ? `cannot read the Flux ${f.kind}: no kubeconfig found: ${setup.message}`
      : setup.message
  const {group, version, plural} = FLUX[f.kind]
  const r = await setup.kube.getCustom(group, version, f.namespace, plural, f.name)
  const failWith = (kb: string, message: string, fix: string[]) => {
    acc.findings.push({status: 'fail', kb, message, fix})
    acc.items.push({label, status: 'fail', message})
  }
  if (!r.ok) {
    if (r.code === undefined) return `could not reach the Kubernetes API at ${setup.server}: ${r.message}`
    if (r.code === 403) {
      failWith(FLUXRBAC, `the API refuses to read ${plural}.${group} in "${f.namespace}": ${r.message}`, [
        `Grant read-only access: kubectl create role flux-status-reader -n ${f.namespace} --verb=get,list,watch --resource=${plural}.${group}, bound to the identity doctor and the connector use.`,
      ])
      return undefined
    }
    if (r.code === 404) {
      const all = await setup.kube.listCustom(group, version, plural)
      const items = all.ok ? all.value.items : []
      const same = items.filter((o) => o.metadata?.name === f.name).map((o) => `"${o.metadata?.namespace}"`)
      const close = nearest(
        f.name,
        items.filter((o) => o.metadata?.namespace === f.namespace).map((o) => o.metadata?.name ?? ''),
      )
      const crdMissing = /could not find the requested resource/.test(r.message)
      failWith(
        NAME,
        crdMissing
          ? `the cluster has no ${plural}.${group}/${version} API: Flux (or this API version) is not installed there`
          : `there is no ${f.kind} "${f.name}" in "${f.namespace}"${same.length ? `; there is one in ${same.join(', ')}` : ''}${close.length ? `; did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''}${all.ok ? '' : ' (not allowed to list across namespaces)'}`,
        [
          same.length
            ? `Set gitops.flux.namespace to ${same[0]}.`
            : `Use the exact name from \`kubectl get ${plural} -A\`.`,
        ],
      )
      return undefined
    }
    return `could not read the ${f.kind} ${f.namespace}/${f.name}: ${r.code} ${r.message}`
  }
  const o = r.value
  const st = o.status ?? {}
  const conditions: {type: string; status: string; reason?: string; message?: string}[] = st.conditions ?? []
  const ready = conditions.find((c) => c.type === 'Ready')
  const applied: string | undefined = st.lastAppliedRevision ?? st.history?.[0]?.chartVersion
  const attempted: string | undefined = st.lastAttemptedRevision
  const generation = o.metadata?.generation ?? 0
  const observedGeneration = st.observedGeneration ?? -1
  acc.observed.flux = {
    ready: ready && {status: ready.status, reason: ready.reason, message: ready.message},
    lastAppliedRevision: applied,
    lastAttemptedRevision: attempted,
    generation,
    observedGeneration,
    suspended: Boolean(o.spec?.suspend),
  }
  const problems: Finding[] = []
  const why = ready
    ? `Ready=${ready.status}${ready.reason ? ` ${ready.reason}` : ''}${ready.message ? `: ${ready.message.slice(0, 200)}` : ''}`
    : 'no Ready condition'
  if (o.spec?.suspend)
    problems.push({
      status: 'warn',
      kb: STATUS,
      message: `${label} is suspended (spec.suspend: true): Flux does not reconcile it, so its status is stale (applied ${applied ?? '(none)'})`,
      fix: [`Resume it: flux resume ${f.kind.toLowerCase()} ${f.name} -n ${f.namespace}`],
    })
  if (observedGeneration < generation)
    problems.push({
      status: 'warn',
      kb: STATUS,
      message: `${label}: the controller has not observed the latest spec yet (generation ${generation}, observedGeneration ${observedGeneration}), so its Ready condition (${why}) is not current`,
      fix: [
        'Wait for the controller to reconcile, or check the controller is running (kubectl get pods -n flux-system).',
      ],
    })
  if (ready?.status === 'False')
    problems.push({
      status: 'fail',
      kb: STATUS,
      message: `${label} is not ready: ${why}`,
      fix: ['Fix what the Ready condition reports, then request a reconcile.'],
    })
  else if (!ready || ready.status !== 'True')
    problems.push({
      status: 'warn',
      kb: STATUS,
      message: `${label} is still reconciling: ${why}`,
      fix: ['Wait for the reconcile to finish (kubectl wait … --for=condition=ready).'],
    })
  if (attempted && applied && attempted !== applied)
    problems.push({
      status: 'fail',
      kb: STATUS,
      message: `${label} attempted ${attempted} but the last applied revision is still ${applied}: the newest revision failed to apply (${why})`,
      fix: ['Fix the error of the attempted revision (the Ready condition message), then request a reconcile.'],
    })
  if (expected && !sameRevision(applied, expected))
    problems.push({
      status: 'fail',
      kb: STATUS,
      message: `${label} last applied ${applied ?? '(nothing)'}, not the expected ${expected}`,
      fix: ['Make the source point at the expected revision and reconcile.'],
    })
  problems.sort((x, y) => (x.status === y.status ? 0 : x.status === 'fail' ? -1 : 1))
  acc.findings.push(...problems)
  acc.items.push({
    label,
    status: problems.some((p) => p.status === 'fail') ? 'fail' : problems.length ? 'warn' : 'pass',
    message: problems[0]?.message ?? `${label} is ready (${why}) at ${applied ?? '?'}`,
  })
  return undefined
}
