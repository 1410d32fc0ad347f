import {DEFAULT_TOLERANCES} from '../src/config/defaults.js'
import type {DoctorConfig} from '../src/config/schema.js'
import {
  type CauseRef,
  type CheckOutcome,
  defineCheck,
  type Item,
  skip,
  type Status,
  worst,
} from '../src/engine/check.js'
import {type ClockEstimate, serverClock} from '../src/facts/clock.js'
import type {ExchangeRecord} from '../src/http/types.js'

const DEFAULT_SAMPLES = 5
const LOCAL = 'this machine'
/**
 * Two clocks "agree" when their difference fits their combined uncertainty plus this much.
 * One second absorbs HTTP-date rounding and ordinary NTP jitter; a tighter tolerance (below
 * 2 s) shrinks it, so a clock that is a problem never counts as agreeing.
 */
const AGREEMENT_SLACK_S = 1

/** A server to read a clock from; several config entries on one origin share one clock reading. */
interface ClockSource {
  labels: string[]
  url: string
  host: string
}

interface Tolerance {
  name: string
  seconds: number
}

/** A clock whose offset from this machine is known: this machine itself (0 ± 0) or a sampled server. */
interface Clock {
  name: string
  /** Seconds ahead of this machine. */
  offset: number
  uncertainty: number
  source?: ClockSource
}

interface Comparison {
  /** `a` minus `b`; `b` is this machine for a server-vs-local comparison. */
  a: Clock
  b: Clock
  diff: number
  uncertainty: number
  status: Status
}

/** Who is likely wrong: the clocks outside the largest group that agrees, when there is one. */
interface Attribution {
  agreeing: Clock[]
  suspects: Clock[]
}

export default defineCheck({
  meta: {
    id: 'clock-skew',
    title: 'Clocks agree within tolerance',
    failureTitle: 'Clocks disagree by more than the tolerance',
    area: 'platform',
    slow: true,
    description: 'Estimates clock offsets of the app and the IdP from HTTP Date headers.',
    needs: [],
    kb: ['clock-skew#server-clock', 'clock-skew#local-clock', 'clock-skew'],
  },
  skipReason(config) {
    if (clockSources(config).length === 0)
      return 'no server to read a clock from: set target.baseUrl, oidc.issuer or clock.servers'
    return undefined
  },
  async run(ctx) {
    const sources = clockSources(ctx.config)
    if (sources.length === 0)
      return skip('no server to read a clock from: set target.baseUrl, oidc.issuer or clock.servers')
    const tolerance = tightestTolerance(ctx.config)
    const samples = ctx.config.clock?.samples ?? DEFAULT_SAMPLES
    const estimates = await Promise.all(sources.map((s) => serverClock(ctx.facts, s.url, samples)))
    return judgeClocks(sources, estimates, tolerance)
  },
})

/** target.baseUrl, oidc.issuer and clock.servers, one entry per origin (a server has one clock). */
export function clockSources(config: DoctorConfig): ClockSource[] {
  const wanted: Array<{label: string; url: string}> = []
  if (config.target?.baseUrl) wanted.push({label: 'app', url: config.target.baseUrl})
  if (config.oidc?.issuer) wanted.push({label: 'IdP', url: config.oidc.issuer})
  for (const server of config.clock?.servers ?? []) {
    const url = typeof server === 'string' ? server : server.url
    const name = typeof server === 'string' ? undefined : server.name
    wanted.push({label: name ?? new URL(url).host, url})
  }
  const byOrigin = new Map<string, ClockSource>()
  for (const {label, url} of wanted) {
    const parsed = new URL(url)
    const known = byOrigin.get(parsed.origin)
    if (!known) byOrigin.set(parsed.origin, {labels: [label], url, host: parsed.host})
    else if (!known.labels.includes(label)) known.labels.push(label)
  }
  return [...byOrigin.values()]
}

/** The defaults merged with clock.tolerances; the smallest one is what the deployment can bear. */
export function tightestTolerance(config: DoctorConfig): Tolerance {
  const merged: Record<string, number> = {...DEFAULT_TOLERANCES, ...config.clock?.tolerances}
  const [name, seconds] = Object.entries(merged).reduce((best, entry) => (entry[1] < best[1] ? entry : best))
  return {name, seconds}
}

/** fail when certainly beyond the tolerance, warn when over half of it or possibly beyond it. */
export function verdict(diff: number, uncertainty: number, toleranceSeconds: number): Status {
  const size = Math.abs(diff)
  if (size - uncertainty > toleranceSeconds) return 'fail'
  if (size > toleranceSeconds / 2 || size + uncertainty > toleranceSeconds) return 'warn'
  return 'pass'
}

function judgeClocks(sources: ClockSource[], estimates: ClockEstimate[], tolerance: Tolerance): CheckOutcome {
  const local: Clock = {name: LOCAL, offset: 0, uncertainty: 0}
  const clocks: Clock[] = []
  const sourceItems: Item[] = []
  const unread: string[] = []
  sources.forEach((source, i) => {
    const estimate = estimates[i]
    const clock = readable(estimate)
      ? {name: shortName(source), offset: estimate.offsetSeconds, uncertainty: estimate.uncertaintySeconds, source}
      : undefined
    if (clock) clocks.push(clock)
    else unread.push(`${shortName(source)} (${unreadableReason(estimate)})`)
    sourceItems.push(sourceItem(source, estimate, clock, tolerance))
  })
  const vsLocal = clocks.map((c) => compare(c, local, tolerance))
  const pairs = clocks.flatMap((a, i) => clocks.slice(i + 1).map((b) => compare(a, b, tolerance)))
  const items = [...sourceItems, ...pairs.map(pairItem)]
  const evidence = {
    observed: observedOffsets(sources, estimates, pairs),
    expected: {tolerance, warnAboveSeconds: tolerance.seconds / 2, failAboveSeconds: tolerance.seconds},
    notes: sources.flatMap((s, i) => estimates[i].notes.map((n) => `${shortName(s)}: ${n}`)),
    exchanges: estimates.flatMap((e): ExchangeRecord[] => e.exchanges),
  }
  const toleranceText = `tightest tolerance: ${tolerance.name} ${tolerance.seconds} s`
  if (clocks.length === 0) {
    return {status: 'error', message: `Could not read the clock of any server: ${unread.join('; ')}.`, items, evidence}
  }
  const status = worst(items.map((i) => i.status).filter((s) => s !== 'skip'))
  const unreadText = unread.length > 0 ? ` Could not read: ${unread.join('; ')}.` : ''
  const problems = [...vsLocal, ...pairs].filter((c) => c.status === 'warn' || c.status === 'fail')
  if (problems.length === 0) {
    return {status, message: `${agreementSummary(vsLocal)} (${toleranceText}).${unreadText}`, items, evidence}
  }
  const attribution = attribute([local, ...clocks], tolerance)
  const blame = blameSentence(attribution, clocks, problems)
  return {
    status,
    message: `${blame} (${toleranceText}).${unreadText}`,
    cause: causeFor(attribution, clocks, problems, pairs, tolerance),
    items,
    evidence,
  }
}

function readable(estimate: ClockEstimate): boolean {
  return estimate.samples > 0 && Number.isFinite(estimate.offsetSeconds)
}

function unreadableReason(estimate: ClockEstimate): string {
  if (estimate.error) return estimate.error.message
  const status = estimate.exchanges.at(-1)?.status
  return `answered${status ? ` HTTP ${status}` : ''} without a usable Date header`
}

function compare(a: Clock, b: Clock, tolerance: Tolerance): Comparison {
  const diff = a.offset - b.offset
  // Both offsets are intervals around this machine's clock; their difference is as wide as both.
  const uncertainty = a.uncertainty + b.uncertainty
  return {a, b, diff, uncertainty, status: verdict(diff, uncertainty, tolerance.seconds)}
}

/** Per-server item: its offset from this machine, or why it could not be read. */
function sourceItem(
  source: ClockSource,
  estimate: ClockEstimate,
  clock: Clock | undefined,
  tolerance: Tolerance,
): Item {
  const label = itemLabel(source)
  if (!clock) {
    const hint = estimate.error?.hint ? ` ${estimate.error.hint}` : ''
    const notes = estimate.notes.length > 0 ? ` (${estimate.notes.join('; ')})` : ''
    // A server that answers without a Date header cannot be judged, but it is not a clock problem.
    return {
      label,
      status: estimate.error ? 'error' : 'skip',
      message: `${unreadableReason(estimate)}${estimate.error ? '' : notes}.${hint}`,
    }
  }
  const status = verdict(clock.offset, clock.uncertainty, tolerance.seconds)
  const extras = [
    `${estimate.samples} sample${estimate.samples === 1 ? '' : 's'}`,
    ...(estimate.inconsistent ? ['Date headers inconsistent: several backends or a proxy stamping Date?'] : []),
    ...(estimate.error ? [`sampling stopped early: ${estimate.error.message}`] : []),
  ]
  return {
    label,
    status,
    message: `offset ${formatInterval(clock.offset, clock.uncertainty)} vs ${LOCAL}${severityText(status, tolerance)} (${extras.join('; ')})`,
  }
}

function pairItem(pair: Comparison): Item {
  return {
    label: `${pair.a.name} vs ${pair.b.name}`,
    status: pair.status,
    message: `${pair.a.name} − ${pair.b.name} = ${formatInterval(pair.diff, pair.uncertainty)}`,
  }
}

function severityText(status: Status, tolerance: Tolerance): string {
  if (status === 'fail') return `, beyond the ${tolerance.seconds} s tolerance`
  if (status === 'warn') return `, over half of (or possibly beyond) the ${tolerance.seconds} s tolerance`
  return ''
}

/**
 * Majority vote, with this machine as one voter: the largest set of clocks that agree with one
 * clock is taken as right. Ties (e.g. one server against this machine) leave nobody blamed.
 */
function attribute(clocks: Clock[], tolerance: Tolerance): Attribution {
  const slack = Math.min(AGREEMENT_SLACK_S, tolerance.seconds / 2)
  const agrees = (a: Clock, b: Clock) => Math.abs(a.offset - b.offset) <= a.uncertainty + b.uncertainty + slack
  const groups = clocks.map((center) => clocks.filter((c) => agrees(center, c)))
  const largest = Math.max(...groups.map((g) => g.length))
  const membership = (group: Clock[]) => group.map((c) => clocks.indexOf(c)).join(',')
  const distinct = new Set(groups.filter((g) => g.length === largest).map(membership))
  if (largest < 2 || distinct.size > 1) return {agreeing: [], suspects: []}
  const agreeing = groups.find((g) => g.length === largest)!
  return {agreeing, suspects: clocks.filter((c) => !agreeing.includes(c))}
}

function blameSentence(attribution: Attribution, servers: Clock[], problems: Comparison[]): string {
  const {agreeing, suspects} = attribution
  const localSuspect = suspects.some((c) => c.name === LOCAL)
  const serverSuspects = suspects.filter((c) => c.name !== LOCAL)
  if (suspects.length === 0) {
    const worstProblem = [...problems].sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff))[0]
    const which =
      servers.length === 1
        ? `With one server doctor cannot tell which side is wrong, ${servers[0].name} or ${LOCAL}`
        : 'The clocks disagree and no majority shows which one is wrong'
    return `${which}: ${describe(worstProblem)}; check time sync (NTP/chrony) on ${listText([LOCAL, ...servers.map(hostName)])}`
  }
  const sentences: string[] = []
  if (localSuspect) {
    const common = agreeing.reduce((sum, c) => sum + c.offset, 0) / agreeing.length
    const direction = `${Math.abs(common).toFixed(1)} s ${common > 0 ? 'ahead of' : 'behind'} it`
    sentences.push(
      `${capitalise(LOCAL)}'s clock is likely wrong: ${listNames(agreeing)} agree with each other but are ${agreeing.length === 2 ? 'both' : 'all'} about ${direction}; check \`timedatectl status\` / chrony on the machine running doctor`,
    )
  }
  if (serverSuspects.length > 0) {
    const offsets = listText(serverSuspects.map((c) => formatInterval(c.offset, c.uncertainty)))
    const witnesses = `${listNames(agreeing)} agree${agreeing.length === 1 ? 's' : ''}`
    sentences.push(
      serverSuspects.length === 1
        ? `${serverSuspects[0].name}'s clock is likely wrong: it is ${offsets} off ${LOCAL}, while ${witnesses}`
        : `The clocks of ${listNames(serverSuspects)} are likely wrong: they are ${offsets} off ${LOCAL}, while ${witnesses}`,
    )
  }
  return sentences.join('. ')
}

function causeFor(
  attribution: Attribution,
  servers: Clock[],
  problems: Comparison[],
  pairs: Comparison[],
  tolerance: Tolerance,
): CauseRef {
  const serverSuspects = attribution.suspects.filter((c) => c.name !== LOCAL)
  const localSuspect = attribution.suspects.some((c) => c.name === LOCAL)
  const consequence = oidcConsequence(pairs, tolerance)
  const stopgap =
    "Raising a tolerance (the app's oidc clock_skew_seconds, an OIDC client's clockTolerance, a webhook tolerance) only hides the skew: use it as a stopgap until time sync is fixed."
  const totp =
    'TOTP codes are checked against the app server\'s clock in 30 s steps: once the clocks agree, a user whose authenticator still says "Invalid code" should resync the device\'s time (automatic date & time).'
  const verify = [
    `Re-run \`doctor run clock-skew\`: every offset, and the app vs IdP difference, should be under ${tolerance.seconds / 2} s.`,
  ]
  const localFix =
    'On the machine running doctor: `timedatectl status` should say "System clock synchronized: yes"; enable sync with `sudo timedatectl set-ntp true` or chrony (`chronyc tracking` shows the offset).'
  const serverFix = (hosts: string) =>
    `Enable NTP on ${hosts}: \`sudo timedatectl set-ntp true\` or install chrony and check \`chronyc tracking\`. Containers use their host's clock, so fix the host or VM.`
  if (serverSuspects.length > 0) {
    const hosts = listText(serverSuspects.map(hostName))
    const offsets = listText(serverSuspects.map((c) => formatSeconds(c.offset)))
    const one = serverSuspects.length === 1
    return {
      kb: 'clock-skew#server-clock',
      summary: `The clock${one ? '' : 's'} of ${hosts} ${one ? 'is' : 'are'} off by ${offsets} relative to ${listNames(attribution.agreeing)}.${consequence}`,
      fix: [serverFix(hosts), ...(localSuspect ? [localFix] : []), totp, stopgap],
      verify,
    }
  }
  if (localSuspect) {
    return {
      kb: 'clock-skew#local-clock',
      summary: `${capitalise(LOCAL)}'s clock differs from ${listNames(attribution.agreeing)}, which agree with each other, so doctor's own clock is likely off. Logins and TOTP codes made from this machine are affected too. (Servers on one host or VM share its clock, so their agreement proves less: if they do, check that host's NTP as well.)`,
      fix: [localFix, 'If this machine is also where you sign in or read TOTP codes, resync its time before retrying.'],
      verify: ['`timedatectl status` shows "System clock synchronized: yes".', ...verify],
    }
  }
  const hosts = listText([LOCAL, ...servers.map(hostName)])
  return {
    kb: 'clock-skew',
    summary: `${describe([...problems].sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff))[0])}, and doctor cannot tell which clock is wrong.${consequence}`,
    fix: [
      `Check time sync on ${hosts}: \`timedatectl status\`, \`chronyc tracking\`; enable NTP where it is off.`,
      totp,
      stopgap,
    ],
    verify,
  }
}

/** The app validates exp/nbf/iat of the IdP's tokens with its own clock: say which way it breaks. */
function oidcConsequence(pairs: Comparison[], tolerance: Tolerance): string {
  const appVsIdp = pairs.find((p) => p.a.source?.labels.includes('app') && p.b.source?.labels.includes('IdP'))
  if (!appVsIdp || appVsIdp.status === 'pass') return ''
  const gap = `${Math.abs(appVsIdp.diff).toFixed(1)} s`
  return appVsIdp.diff > 0
    ? ` The app runs ${gap} ahead of the IdP: tokens look expired early (exp errors, login loops) once that exceeds the leeway (${tolerance.seconds} s here).`
    : ` The app runs ${gap} behind the IdP: fresh tokens look issued in the future (iat/nbf errors) once that exceeds the leeway (${tolerance.seconds} s here).`
}

function agreementSummary(vsLocal: Comparison[]): string {
  const largest = [...vsLocal].sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff))[0]
  if (vsLocal.length === 1)
    return `${largest.a.name}'s clock agrees with ${LOCAL}: ${formatInterval(largest.diff, largest.uncertainty)}`
  return `All ${vsLocal.length} server clocks agree with ${LOCAL} and each other; largest offset ${formatInterval(largest.diff, largest.uncertainty)} (${largest.a.name})`
}

function describe(c: Comparison): string {
  return c.b.name === LOCAL
    ? `${c.a.name} is ${formatInterval(c.diff, c.uncertainty)} off ${LOCAL}`
    : `${c.a.name} − ${c.b.name} = ${formatInterval(c.diff, c.uncertainty)}`
}

function observedOffsets(sources: ClockSource[], estimates: ClockEstimate[], pairs: Comparison[]) {
  const round = (x: number) => Math.round(x * 1000) / 1000
  const servers = Object.fromEntries(
    sources.map((s, i) => {
      const e = estimates[i]
      const reading = readable(e)
        ? {
            offsetSeconds: round(e.offsetSeconds),
            uncertaintySeconds: round(e.uncertaintySeconds),
            samples: e.samples,
            inconsistent: e.inconsistent,
          }
        : {unreadable: unreadableReason(e)}
      return [shortName(s), {url: s.url, ...reading}]
    }),
  )
  const differences = Object.fromEntries(
    pairs.map((p) => [`${p.a.name} - ${p.b.name}`, {seconds: round(p.diff), uncertaintySeconds: round(p.uncertainty)}]),
  )
  return {offsetsFromThisMachine: servers, differences}
}

function shortName(source: ClockSource): string {
  // An unnamed clock.servers entry is labelled by its host; a real name for that origin says more.
  const named = source.labels.filter((l) => l !== source.host)
  return (named.length > 0 ? named : source.labels).join('/')
}

function itemLabel(source: ClockSource): string {
  const name = shortName(source)
  return name === source.host ? name : `${name} (${source.host})`
}

function hostName(clock: Clock): string {
  return clock.source ? itemLabel(clock.source) : LOCAL
}

function listNames(clocks: Clock[]): string {
  return listText(clocks.map((c) => c.name))
}

/** "a", "a and b", "a, b and c". */
function listText(parts: string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** "+95.2 s": positive means ahead of the clock compared with. */
function formatSeconds(seconds: number): string {
  const rounded = Math.round(seconds * 10) / 10
  return `${rounded < 0 ? '-' : '+'}${Math.abs(rounded).toFixed(1)} s`
}

/** "+95.2 s ± 0.3 s"; the uncertainty is rounded up, never down. */
function formatInterval(offset: number, uncertainty: number): string {
  return `${formatSeconds(offset)} ± ${(Math.ceil(uncertainty * 10) / 10).toFixed(1)} s`
}
