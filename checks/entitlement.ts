import type {DoctorConfig} from '../src/config/schema.js'
import {
  type CauseRef,
  type CheckContext,
  type CheckOutcome,
  defineCheck,
  type Evidence,
  fail,
  type Item,
  pass,
  skip,
  warn,
} from '../src/engine/check.js'
import {
  allOf,
  compact,
  describeDate,
  evaluate,
  type ExpectationResult,
  type Field,
  findKeys,
  invalidExpectations,
  type JsonRead,
  lookup,
  normalise,
  normaliseKey,
  parseDate,
  readJson,
  relative,
  unreadable,
} from '../src/expect/expectations.js'
import type {ExchangeRecord} from '../src/http/types.js'

const E = 'entitlement-not-active'

export default defineCheck({
  meta: {
    id: 'entitlement',
    title: 'The license grants the expected entitlements',
    failureTitle: 'The license does not grant the expected entitlements',
    area: 'billing',
    description:
      'GETs the license status (entitlement.url), checks entitlement.expect, the expiry date, the workspace it belongs to and, when featureUrl is set, that the running runtime has loaded it.',
    needs: ['entitlement.url'],
    kb: [
      `${E}#license-not-active`,
      `${E}#license-expired`,
      `${E}#license-other-workspace`,
      `${E}#runtime-not-restarted`,
    ],
  },
  async run(ctx) {
    const cfg = ctx.config.entitlement
    if (!cfg)
      return skip(
        'no entitlement section in the config: set entitlement.url and entitlement.expect to check the license',
      )
    const invalid = [
      ...invalidExpectations(cfg.expect, 'entitlement.expect'),
      ...invalidExpectations(cfg.featureExpect ?? [], 'entitlement.featureExpect'),
    ]
    if (invalid.length > 0) return {status: 'error', message: `fix the config first: ${invalid.join('; ')}`}
    const url = ctx.facts.resolveUrl(cfg.url)
    const read = await readJson(ctx.facts, {url, headers: cfg.headers, purpose: 'entitlement'})
    if (read.kind !== 'json') return notRead(read, 'license status', 'entitlement.url')
    const now = ctx.now()
    const results = await evaluate(cfg.expect, read.json, now)
    const status = describeStatus(read.json, now)
    const subject: Subject = {
      cfg,
      now,
      url: read.url,
      curl: curl(read.url, cfg.headers),
      results,
      status,
      exchanges: [read.exchange],
      notes: [],
    }
    if (cfg.workspace !== undefined && status.workspace === undefined) {
      subject.notes.push(
        `The status names no workspace (looked for workspaceId, workspace_id, workspace.id, workspace), so doctor could not compare it with entitlement.workspace "${cfg.workspace}".`,
      )
    }
    const items: Item[] = results.map((r) => ({
      label: r.expectation.text,
      status: r.ok ? 'pass' : 'fail',
      message: r.message,
    }))

    // 1. A license for another workspace: whatever it grants, it is not this workspace's.
    if (
      cfg.workspace !== undefined &&
      status.workspace !== undefined &&
      String(status.workspace.value) !== cfg.workspace
    ) {
      return fail(otherWorkspaceMessage(subject, status.workspace), causes.otherWorkspace(subject, status.workspace), {
        evidence: evidence(subject),
        items,
      })
    }
    const failing = results.filter((r) => !r.ok)
    // A failing "in the future" expectation on a field with another name is an expiry too.
    const expiredByExpectation = failing.flatMap((r) => (r.expectation.op === 'future' ? pastDates(r, now) : []))
    // Dates inside one entitlement count only for an entitlement a failing expectation names: an old
    // trial entry that lapsed long ago says nothing about the production entitlement.
    const related = status.expired.filter(
      (f) => f.licenseLevel || (f.owner !== undefined && failing.some((r) => r.expectation.text.includes(f.owner!))),
    )
    const expired = dedupe([...related, ...expiredByExpectation])

    // 2. Expectations fail and a date says the license ran out: that is why.
    if (failing.length > 0 && expired.length > 0) {
      return fail(expiredMessage(subject, expired, failing, now), causes.expired(subject, expired, now), {
        evidence: evidence(subject),
        items,
      })
    }
    // 3. Not active, or the entitlement or feature is missing.
    if (failing.length > 0) {
      return fail(notActiveMessage(subject, failing), causes.notActive(subject, failing), {
        evidence: evidence(subject),
        items,
      })
    }
    // 4. Everything passes but the license's own expiry is behind us: a grace period at best.
    const lapsed = status.expired.filter((f) => f.licenseLevel)
    if (lapsed.length > 0) {
      const message = `the license status meets ${allOf(results.length)}, but ${lapsed.map((f) => `${f.path} is ${describeDate(f.value, f.at, now)}`).join(' and ')}: the license has expired and probably runs on a grace period that can end at any time`
      return warn(message, causes.expired(subject, lapsed, now), {evidence: evidence(subject), items})
    }
    // 5. The license says yes; does the running runtime agree?
    if (cfg.featureUrl !== undefined) {
      if (cfg.featureExpect === undefined) {
        subject.notes.push(
          'entitlement.featureUrl is set without featureExpect, so doctor does not know which flag to read there: add featureExpect (e.g. "$.features.production == true").',
        )
      } else {
        const runtime = await checkRuntime(ctx, subject, cfg.featureUrl, cfg.featureExpect)
        items.push(...runtime.items)
        if (runtime.outcome) return {...runtime.outcome, items}
      }
    }
    return pass(healthyMessage(subject), {evidence: evidence(subject), items})
  },
})

// ---------------------------------------------------------------------------------------------
// What the status says besides the expectations

type EntitlementConfig = NonNullable<DoctorConfig['entitlement']>

interface DatedField extends Field {
  /** Epoch ms. */
  at: number
  /** At the top of the status or under "license", not inside one entitlement among several. */
  licenseLevel: boolean
  /** For a date inside one entitlement: that entitlement's name (its name, id or key field). */
  owner?: string
}

interface StatusFacts {
  workspace?: Field
  expiries: DatedField[]
  expired: DatedField[]
  activeSince?: DatedField
  entitlements: string[]
}

interface Subject {
  cfg: EntitlementConfig
  /** Epoch ms, ctx.now() when the status was read. */
  now: number
  url: string
  curl: string
  results: ExpectationResult[]
  status: StatusFacts
  exchanges: ExchangeRecord[]
  notes: string[]
  runtime?: {url: string; curl: string; results: ExpectationResult[]; startedAt?: DatedField}
}

/** Keys (normalised: lower case, no separators) that hold a license's expiry date. */
const EXPIRY_KEYS = new Set([
  'expiresat',
  'expires',
  'expireat',
  'expireson',
  'expiry',
  'expiryat',
  'expirydate',
  'expiration',
  'expirationat',
  'expirationdate',
  'validuntil',
  'validto',
  'validthrough',
  'notafter',
  'licenseexpiresat',
  'licenseexpiry',
  'endsat',
  'enddate',
])
const WORKSPACE_PATHS = [
  'workspaceid',
  'workspace.id',
  'workspace',
  'license.workspaceid',
  'license.workspace.id',
  'license.workspace',
  'tenantid',
]
const ACTIVE_SINCE_PATHS = [
  'activesince',
  'activatedat',
  'activefrom',
  'grantedat',
  'validfrom',
  'issuedat',
  'license.activatedat',
  'license.activesince',
  'license.issuedat',
  'updatedat',
  'license.updatedat',
]
const ENTITLEMENT_PATHS = ['entitlements', 'license.entitlements', 'features', 'license.features', 'flags']
const RUNTIME_START_PATHS = [
  'startedat',
  'bootedat',
  'starttime',
  'processstartedat',
  'runtime.startedat',
  'license.loadedat',
  'licenseloadedat',
  'loadedat',
]

function describeStatus(json: unknown, now: number): StatusFacts {
  let workspace: Field | undefined
  for (const candidate of WORKSPACE_PATHS) {
    const f = lookup(json, [candidate])
    if (f && (typeof f.value === 'string' || typeof f.value === 'number') && String(f.value) !== '') {
      workspace = f
      break
    }
  }
  const expiries = findKeys(json, EXPIRY_KEYS).flatMap(({parent, ...f}): DatedField[] => {
    const at = parseDate(f.value)
    if (at === undefined) return []
    const licenseLevel = /^\$(\.licen[cs]e)?\.[^.[]+$/i.test(f.path)
    const owner = licenseLevel ? undefined : ownerName(parent)
    return [{...f, at, licenseLevel, ...(owner ? {owner} : {})}]
  })
  // License-level dates first: they are the ones that lock everything.
  expiries.sort((a, b) => Number(b.licenseLevel) - Number(a.licenseLevel))
  return {
    workspace,
    expiries,
    expired: expiries.filter((f) => f.at <= now),
    activeSince: dated(lookup(json, ACTIVE_SINCE_PATHS)),
    entitlements: entitlementNames(json, now),
  }
}

function ownerName(o: Record<string, unknown> | undefined): string | undefined {
  const name = o?.name ?? o?.id ?? o?.key ?? o?.feature ?? o?.slug
  return typeof name === 'string' && name !== '' ? name : undefined
}

function dated(f: Field | undefined): DatedField | undefined {
  const at = f ? parseDate(f.value) : undefined
  return f && at !== undefined ? {...f, at, licenseLevel: true} : undefined
}

function pastDates(r: ExpectationResult, now: number): DatedField[] {
  const values =
    r.observed === undefined ? [] : Array.isArray(r.observed) && r.observed.length > 1 ? r.observed : [r.observed]
  return values.flatMap((value): DatedField[] => {
    const at = parseDate(value)
    return at !== undefined && at <= now ? [{path: r.expectation.path, value, at, licenseLevel: true}] : []
  })
}

function dedupe(fields: DatedField[]): DatedField[] {
  const seen = new Set<string>()
  return fields.filter((f) => {
    const key = `${f.path} ${f.at}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

const ON = new Set(['active', 'enabled', 'on', 'granted', 'true', 'yes', 'valid'])
const OFF = new Set([
  'inactive',
  'disabled',
  'off',
  'revoked',
  'expired',
  'false',
  'no',
  'suspended',
  'canceled',
  'cancelled',
])

/** Names of the entitlements and features the status grants: truthy keys of an object, or names in a list. */
function entitlementNames(json: unknown, now: number): string[] {
  const names: string[] = []
  const lapsed = (o: Record<string, unknown>): boolean =>
    Object.entries(o).some(([key, value]) => {
      const at = EXPIRY_KEYS.has(normaliseKey(key)) ? parseDate(value) : undefined
      return at !== undefined && at <= now
    })
  const isOn = (v: unknown): boolean | undefined => {
    if (typeof v === 'boolean') return v
    if (typeof v === 'string') return ON.has(v.toLowerCase()) ? true : OFF.has(v.toLowerCase()) ? false : undefined
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>
      for (const key of ['active', 'enabled', 'granted', 'status', 'state']) if (key in o) return isOn(o[key])
    }
    return undefined
  }
  for (const candidate of ENTITLEMENT_PATHS) {
    const f = lookup(json, [candidate])
    if (!f) continue
    if (Array.isArray(f.value)) {
      for (const item of f.value) {
        if (typeof item === 'string') names.push(item)
        else if (item && typeof item === 'object' && isOn(item) !== false && !lapsed(item as Record<string, unknown>)) {
          const o = item as Record<string, unknown>
          const name = o.name ?? o.id ?? o.key ?? o.feature ?? o.slug
          if (typeof name === 'string') names.push(name)
        }
      }
    } else if (f.value && typeof f.value === 'object') {
      for (const [key, value] of Object.entries(f.value as Record<string, unknown>)) if (isOn(value)) names.push(key)
    }
  }
  return [...new Set(names)]
}

// ---------------------------------------------------------------------------------------------
// The running runtime

async function checkRuntime(
  ctx: CheckContext,
  s: Subject,
  featureUrl: string,
  featureExpect: EntitlementConfig['expect'],
): Promise<{items: Item[]; outcome?: CheckOutcome}> {
  const url = ctx.facts.resolveUrl(featureUrl)
  // The license credential goes only to the origin it was configured for.
  const headers = s.cfg.headers && sameOrigin(url, ctx.facts.resolveUrl(s.cfg.url)) ? s.cfg.headers : undefined
  const read = await readJson(ctx.facts, {url, headers, purpose: 'entitlement:feature'})
  s.exchanges.push(read.exchange)
  if (read.kind !== 'json') {
    const problem = notRead(read, "runtime's feature flags", 'entitlement.featureUrl')
    const message = `the license status passes, but ${problem.message}`
    return {
      items: [{label: `featureUrl ${read.url}`, status: problem.status, message: problem.message}],
      outcome: {
        ...problem,
        message,
        evidence: {...evidence(s), notes: [...(problem.evidence?.notes ?? []), ...s.notes]},
      },
    }
  }
  const now = ctx.now()
  const results = await evaluate(featureExpect, read.json, now)
  s.runtime = {
    url: read.url,
    curl: curl(read.url, headers),
    results,
    startedAt: dated(lookup(read.json, RUNTIME_START_PATHS)),
  }
  const items: Item[] = results.map((r) => ({
    label: `runtime: ${r.expectation.text}`,
    status: r.ok ? 'pass' : 'fail',
    message: r.message,
  }))
  const failing = results.filter((r) => !r.ok)
  if (failing.length === 0) return {items}
  const since = s.status.activeSince
  const activeText = since ? `active since ${describeDate(since.value, since.at, now)} (${since.path})` : 'active'
  let when = ''
  const started = s.runtime.startedAt
  if (started) {
    const did = /loaded/i.test(started.path) ? 'loaded its license' : 'started'
    const at = `; the runtime ${did} ${relative(started.at, now)} (${started.path})`
    if (!since) when = at
    else if (started.at < since.at) when = `${at}, before the license became active`
    else
      when = `${at}, after the license became active, so check that it reads this license (the same workspace and license key) before restarting`
  }
  const message = `the license service says ${activeText} and meets ${allOf(s.results.length)}, but the running runtime's feature flag still says off (${failing.map((r) => r.message).join('; ')})${when}: restart it to load the new license`
  return {items, outcome: fail(message, causes.notRestarted(s, failing), {evidence: evidence(s)})}
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function otherWorkspaceMessage(s: Subject, ws: Field): string {
  const grants = s.results.every((r) => r.ok) ? ' (it meets the expectations, but for that workspace)' : ''
  return `the license status is for workspace ${compact(ws.value)} (${ws.path}), not ${JSON.stringify(s.cfg.workspace)} (entitlement.workspace)${grants}: the runtime holds another workspace's license, so ${JSON.stringify(s.cfg.workspace)} gets none of its entitlements`
}

function expiredMessage(s: Subject, expired: DatedField[], failing: ExpectationResult[], now: number): string {
  const dates = expired
    .map(
      (f) =>
        `${f.owner ? `the ${JSON.stringify(f.owner)} entitlement's ` : ''}${f.path} is ${describeDate(f.value, f.at, now)}`,
    )
    .join(', ')
  const also = failing.filter((r) => !expired.some((f) => f.path === r.expectation.path)).map((r) => r.message)
  return `the license expired: ${dates}${also.length > 0 ? `; and so ${also.join('; ')}` : ''}`
}

function notActiveMessage(s: Subject, failing: ExpectationResult[]): string {
  const missingFeature = failing.every((r) => r.expectation.op === 'contains')
  const what = missingFeature ? 'does not list the feature the workspace needs' : 'does not show an active entitlement'
  return `the license status ${what}: ${failing.map((r) => r.message).join('; ')}${s.status.entitlements.length > 0 ? ` (it grants: ${s.status.entitlements.join(', ')})` : ''}`
}

function healthyMessage(s: Subject): string {
  const st = s.status
  const parts: string[] = []
  parts.push(
    st.entitlements.length > 0
      ? `entitlements: ${st.entitlements.join(', ')}`
      : s.results.map((r) => r.message).join('; '),
  )
  if (st.workspace) parts.push(`workspace ${compact(st.workspace.value)}`)
  const expiry = st.expiries.find((f) => f.licenseLevel)
  if (expiry) parts.push(`expires ${relative(expiry.at, s.now)}`)
  const runtime = s.runtime ? '; the running runtime shows the feature on' : ''
  return `the license status meets ${allOf(s.results.length)} (${parts.join('; ')})${runtime}`
}

function notRead(read: Exclude<JsonRead, {kind: 'json'}>, what: string, key: string): CheckOutcome {
  const {message, notes} = unreadable(read, what, key)
  const status = read.kind === 'unreachable' && read.error.kind === 'aborted' ? 'timeout' : 'error'
  return {
    status,
    message,
    evidence: {
      observed: {
        url: read.url,
        ...(read.kind === 'unreachable' ? {error: read.error.message} : {status: read.status, body: read.snippet}),
      },
      notes,
      exchanges: [read.exchange],
    },
  }
}

function evidence(s: Subject): Evidence {
  return {
    observed: {
      url: s.url,
      expectations: s.results.map((r) => ({expectation: r.expectation.text, ok: r.ok, observed: r.observed})),
      ...(s.status.workspace ? {workspace: {path: s.status.workspace.path, value: s.status.workspace.value}} : {}),
      ...(s.status.expiries.length > 0 ? {expiry: s.status.expiries.map((f) => ({path: f.path, value: f.value}))} : {}),
      ...(s.status.entitlements.length > 0 ? {entitlements: s.status.entitlements} : {}),
      ...(s.runtime
        ? {
            runtime: {
              url: s.runtime.url,
              expectations: s.runtime.results.map((r) => ({
                expectation: r.expectation.text,
                ok: r.ok,
                observed: r.observed,
              })),
            },
          }
        : {}),
    },
    expected: [
      `entitlement.expect: ${s.cfg.expect.map(exprText).join(', ')}`,
      ...(s.cfg.workspace ? [`the workspace is ${JSON.stringify(s.cfg.workspace)}`] : []),
      'no expiry date in the past',
      ...(s.cfg.featureUrl && s.cfg.featureExpect
        ? [`featureExpect: ${s.cfg.featureExpect.map(exprText).join(', ')}`]
        : []),
    ].join('; '),
    ...(s.notes.length > 0 ? {notes: s.notes} : {}),
    exchanges: s.exchanges,
  }
}

function exprText(e: EntitlementConfig['expect'][number]): string {
  try {
    return normalise(e).text
  } catch {
    return typeof e === 'string' ? e : JSON.stringify(e)
  }
}

/** A curl line to read the URL again; header values are elided, they may be credentials. */
function curl(url: string, headers: Record<string, string> | undefined): string {
  const h = Object.keys(headers ?? {})
    .map((name) => ` -H '${name}: …'`)
    .join('')
  return `curl -sS${h} '${url}'`
}

// ---------------------------------------------------------------------------------------------
// Causes

const SUMMARY = {
  notActive: 'The license is not active or does not include the entitlement or feature the workspace needs.',
  expired: 'The license has expired, so the entitlements it carried are no longer granted.',
  otherWorkspace: 'The runtime holds the license of another workspace than the one that needs the feature.',
  notRestarted: 'The license is active, but the running runtime still uses the license it loaded before.',
}

const verifyAgain = (s: Subject, expect: string): string[] => [
  `\`${s.curl}\` ${expect}.`,
  '`doctor run entitlement` passes.',
]

const causes = {
  notActive: (s: Subject, failing: ExpectationResult[]): CauseRef => ({
    kb: `${E}#license-not-active`,
    summary: SUMMARY.notActive,
    fix: [
      `Compare what ${s.url} reports with the plan that was bought (failing: ${failing.map((r) => r.expectation.text).join(', ')}).`,
      'Check that billing is active for this workspace (`doctor run billing-status`): the entitlement is granted only after the payment is processed.',
      `If billing is active and the entitlement is still missing, ask the vendor to issue it, quoting the workspace id${s.cfg.workspace ? ` (${s.cfg.workspace})` : ''} and the payment reference.`,
    ],
    verify: verifyAgain(s, `shows ${failing.map((r) => r.expectation.text).join(' and ')}`),
  }),
  expired: (s: Subject, expired: DatedField[], now: number): CauseRef => ({
    kb: `${E}#license-expired`,
    summary: `${SUMMARY.expired} ${expired[0].path} is ${describeDate(expired[0].value, expired[0].at, now)}.`,
    fix: [
      'Renew the license (or the subscription behind it) with the vendor; if the renewal payment failed, `doctor run billing-status` says why.',
      'Load the renewed license into the runtime (its new license key or file), and restart the runtime if it reads the license only at start-up.',
    ],
    verify: verifyAgain(s, `shows ${expired[0].path} in the future`),
  }),
  otherWorkspace: (s: Subject, ws: Field): CauseRef => ({
    kb: `${E}#license-other-workspace`,
    summary: `${SUMMARY.otherWorkspace} The status names ${compact(ws.value)}; ${JSON.stringify(s.cfg.workspace)} needs it.`,
    fix: [
      `Install the license issued for workspace ${JSON.stringify(s.cfg.workspace)} in the runtime (its license key or file) instead of the one for ${compact(ws.value)}.`,
      `If the purchase was made for ${compact(ws.value)} by mistake, ask the vendor to move the entitlement to ${JSON.stringify(s.cfg.workspace)}; do not pay a second time before checking.`,
      `If ${JSON.stringify(s.cfg.workspace)} is not the workspace this runtime serves, correct entitlement.workspace in doctor.yaml.`,
    ],
    verify: verifyAgain(s, `shows ${ws.path} = ${JSON.stringify(s.cfg.workspace)}`),
  }),
  notRestarted: (s: Subject, failing: ExpectationResult[]): CauseRef => ({
    kb: `${E}#runtime-not-restarted`,
    summary: SUMMARY.notRestarted,
    fix: [
      'Restart the runtime so it loads the current license: on Kubernetes, `kubectl -n <namespace> rollout restart deployment/<api-deployment>`; with Docker Compose, `docker compose restart <api-service>`.',
      'If the feature is still off after the restart, check that the runtime reads the same license the license service reports (workspace and license key in its configuration).',
    ],
    verify: [
      `\`${s.runtime?.curl ?? 'curl'}\` shows ${failing.map((r) => r.expectation.text).join(' and ')}.`,
      '`doctor run entitlement` passes.',
    ],
  }),
}
