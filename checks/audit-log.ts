import {type CauseRef, type CheckOutcome, defineCheck, fail, pass, skip, warn} from '../src/engine/check.js'
import type {RecordsRead} from '../src/facts/records.js'
import type {ExchangeRecord} from '../src/http/types.js'

const EMPTY = 'audit-log-empty'
const FORBIDDEN = 'audit-events-forbidden'
const TIME_KEYS = ['occurredat', 'timestamp', 'time', 'createdat', 'at', 'ts']
const DEFAULT_WITHIN = '15m'
/** The service writes audit rows asynchronously: look again after these pauses before concluding the probe is missing. */
const SETTLE_MS = [400, 1200]
/** Clocks differ: an event up to this much before the probe was sent may still be the probe's. */
const SKEW_MS = 60_000

export default defineCheck({
  meta: {
    id: 'audit-log',
    title: 'The audit log records recent requests',
    failureTitle: 'The audit log is empty, stale, or cannot be read',
    area: 'platform',
    description:
      'Optionally sends one read-only request that the service must audit (audit.probe), then lists the audit events (GET audit.url) and looks for that request, or, without a probe, for an event within audit.within. A 403 is a role without audit.read; an empty list means auditing is off; events that stop before the probe mean auditing stopped; newer events without the probe mean its path is not audited.',
    needs: ['audit.url'],
    kb: [
      `${EMPTY}#audit-disabled`,
      `${EMPTY}#path-not-audited`,
      `${FORBIDDEN}#missing-audit-read`,
      `${FORBIDDEN}#api-unreachable`,
    ],
  },
  async run(ctx) {
    const cfg = ctx.config.audit
    if (!cfg) return skip('no audit section in the config: set audit.url to the audit-event list')
    const {readRecords, rereadRecords, pick, curlLine} = await import('../src/facts/records.js')
    const {parseDate, relative, unreadable} = await import('../src/expect/expectations.js')
    const {parseDuration} = await import('../src/util/duration.js')
    const facts = ctx.facts
    const url = facts.resolveUrl(cfg.url)
    const req = {url, headers: cfg.headers, purpose: 'audit-log'}
    const curl = curlLine(url, cfg.headers)
    const exchanges: ExchangeRecord[] = []

    // 1. The probe, sent before the log is read.
    const probeCfg = typeof cfg.probe === 'string' ? {url: cfg.probe} : cfg.probe
    let probe: {path: string; label: string; sentAt: number; ok: boolean; text: string} | undefined
    if (probeCfg) {
      const sentAt = ctx.now()
      const result = await facts.fetch({
        url: facts.resolveUrl(probeCfg.url),
        headers: probeCfg.headers,
        purpose: 'audit-log probe',
      })
      exchanges.push(result.exchange)
      const status = result.response?.status
      const path = new URL(result.exchange.url).pathname
      probe = {
        path,
        label: `GET ${path}`,
        sentAt,
        ok: status !== undefined && status >= 200 && status <= 299,
        text: status !== undefined ? `answered ${status}` : (result.error?.message ?? 'no response'),
      }
    }

    // 2. The log.
    const first = await readRecords(facts, req, cfg.items)
    exchanges.push(first.exchange)
    if (first.kind !== 'list') return unreadableLog(first, exchanges, unreadable)
    const within = parseDuration(cfg.within ?? DEFAULT_WITHIN)!
    const windowText = cfg.within ?? DEFAULT_WITHIN
    const probeNote = probe && !probe.ok ? ` (the probe ${probe.label} ${probe.text}, so it proves nothing)` : ''

    const times = async (read: Extract<RecordsRead, {kind: 'list'}>) => {
      const out: Array<{at: number; record: unknown}> = []
      for (const record of read.records) {
        const field = await pick(record, cfg.time, TIME_KEYS)
        const at = field ? parseDate(field.value) : undefined
        if (at !== undefined) out.push({at, record})
      }
      return out
    }
    if (first.records.length === 0) {
      const how = probe?.ok
        ? `even right after ${probe.label} (${probe.text})`
        : probe
          ? probeNote
          : 'and no audit.probe was sent to tell whether anything audited reached the service'
      return fail(
        `the audit log at ${first.url} has no events at all (${first.path} is an empty list), ${how}: auditing is switched off`,
        causes.disabled(curl, probe?.label),
        {evidence: {observed: {url: first.url, events: 0}, exchanges}},
      )
    }
    let read = first
    let dated = await times(read)
    if (dated.length === 0) {
      return {
        status: 'error',
        message: `the ${read.records.length} events at ${read.url} (${read.path}) have no time doctor can read (looked for ${cfg.time ?? 'occurred_at, timestamp, time, created_at'}): set audit.time to the JSONPath of an event's time`,
        evidence: {exchanges},
      }
    }
    const now = ctx.now()
    const newest = () => Math.max(...dated.map((d) => d.at))

    if (probe?.ok) {
      const seen = (d: {at: number; record: unknown}) =>
        d.at >= probe!.sentAt - SKEW_MS && JSON.stringify(d.record).includes(probe!.path)
      for (let attempt = 0; !dated.some(seen) && attempt < SETTLE_MS.length; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS[attempt]))
        if (ctx.signal.aborted) break
        const again = await rereadRecords(facts, req, attempt + 1, cfg.items)
        exchanges.push(again.exchange)
        if (again.kind !== 'list') break
        read = again
        dated = await times(again)
      }
      const hit = dated.find(seen)
      const evidence = {
        observed: {
          url: read.url,
          events: read.records.length,
          newest: new Date(newest()).toISOString(),
          probe: probe.label,
        },
        exchanges,
      }
      if (hit)
        return pass(
          `the audit log recorded ${probe.label} (${relative(hit.at, now)}); ${read.records.length} event${read.records.length === 1 ? '' : 's'} listed`,
          {evidence},
        )
      const after = dated.filter((d) => d.at >= probe!.sentAt - SKEW_MS)
      if (after.length > 0) {
        return warn(
          `the audit log has ${after.length} event${after.length === 1 ? '' : 's'} from the last moments, but none for ${probe.label} (${probe.text}): requests on that path are not audited (api-test audits only /v1/*), or its event was dropped`,
          causes.pathNotAudited(curl, probe.label),
          {evidence},
        )
      }
      return fail(
        `the audit log did not record ${probe.label} (${probe.text}); its newest event is ${relative(newest(), now)} (${new Date(newest()).toISOString()}): auditing stopped at that point (restarted with auditing off), or events are being dropped`,
        causes.disabled(curl, probe.label),
        {evidence},
      )
    }

    const evidence = {
      observed: {url: read.url, events: read.records.length, newest: new Date(newest()).toISOString()},
      exchanges,
    }
    if (now - newest() <= within)
      return pass(
        `the audit log's newest event is ${relative(newest(), now)} (within ${windowText}); ${read.records.length} event${read.records.length === 1 ? '' : 's'} listed${probeNote}`,
        {evidence},
      )
    return warn(
      `the audit log's newest event is ${relative(newest(), now)} (${new Date(newest()).toISOString()}), older than ${windowText}${probeNote}: if audited requests reached the service since, auditing has stopped. Configure audit.probe to make sure`,
      causes.disabled(curl, undefined),
      {evidence},
    )
  },
})

// ---------------------------------------------------------------------------------------------

type Unreadable = Exclude<RecordsRead, {kind: 'list'}>

function unreadableLog(
  read: Unreadable,
  exchanges: ExchangeRecord[],
  unreadable: typeof import('../src/expect/expectations.js').unreadable,
): CheckOutcome {
  const evidence = {exchanges}
  if (read.kind === 'no-list') {
    return {
      status: 'error',
      message: `the audit API at ${read.url} answered JSON without an event list doctor can find: set audit.items to the JSONPath of the list`,
      evidence,
    }
  }
  if (read.kind === 'unreachable' && read.error.kind === 'aborted')
    return {status: 'timeout', message: read.error.message, evidence}
  if (read.kind === 'http-status' && read.status === 403) {
    return fail(
      `the audit API at ${read.url} answered 403 Forbidden${read.snippet ? ` (${read.snippet})` : ''}: the credential in audit.headers is valid, but its role lacks the permission to read audit events (secrets-bridge: audit.read)`,
      causes.forbidden(read.url),
      {evidence},
    )
  }
  if (read.kind === 'unreachable' || (read.kind === 'http-status' && read.status >= 500)) {
    const what =
      read.kind === 'unreachable'
        ? read.error.message
        : `answered ${read.status}${read.snippet ? ` (${read.snippet})` : ''}`
    return fail(
      `the audit API at ${read.url} ${what}: the API itself is down or not ready, not a permission problem`,
      causes.unreachable(read.url),
      {evidence},
    )
  }
  const {message, notes} = unreadable(read, 'audit log', 'audit.url')
  return {status: 'error', message, evidence: {...evidence, notes}}
}

const verifyProbe = (curl: string, probe: string | undefined): string[] => [
  `${probe ? `Send ${probe} again, then run` : 'Send a request on an audited path (api-test: /v1/*), then run'} \`${curl}\`: the request is listed.`,
  '`doctor run audit-log` passes.',
]

const causes = {
  disabled: (curl: string, probe: string | undefined): CauseRef => ({
    kb: `${EMPTY}#audit-disabled`,
    summary:
      'The service is not writing audit events: auditing is switched off in the configuration it runs with (api-test: audit.enabled is false in the *.dev.yaml profiles), or it was restarted with such a configuration.',
    fix: [
      'Read the startup log for the config file the binary loaded; start it with the *.live.yaml profile, or set `audit.enabled: true` with a `database.url`, and restart.',
      'If auditing is on, search its stderr for `audit buffer full; dropping events` and raise the buffer depth.',
    ],
    verify: verifyProbe(curl, probe),
  }),
  pathNotAudited: (curl: string, probe: string): CauseRef => ({
    kb: `${EMPTY}#path-not-audited`,
    summary: `Other requests are audited, but not ${probe}: the service skips that path by design (api-test audits only /v1/*; health, readiness, well-known and portal sign-in are never recorded).`,
    fix: [
      'Nothing to repair in the service. Test auditing with a request on an audited path, and set audit.probe to one (api-test: "/v1/whoami" with its API key).',
    ],
    verify: verifyProbe(curl, undefined),
  }),
  forbidden: (url: string): CauseRef => ({
    kb: `${FORBIDDEN}#missing-audit-read`,
    summary:
      'Reading audit events is a permission of its own; the user or token doctor used has a role without it, so the audit page reports "Failed to load audit events".',
    fix: [
      'As an admin, grant the user a role that carries `audit.read` (the seeded admin role has it), then sign in again.',
    ],
    verify: [
      `\`curl -fsS '${url}' -H 'Authorization: Bearer …'\` answers 200 with a JSON array.`,
      '`doctor run audit-log` passes.',
    ],
  }),
  unreachable: (url: string): CauseRef => ({
    kb: `${FORBIDDEN}#api-unreachable`,
    summary: 'The API does not answer or is not ready, so every page fails to load its data, the audit page included.',
    fix: [
      'Bring the API and its dependencies back first (`doctor run readiness`, `doctor explain service-not-ready`).',
    ],
    verify: [
      `\`curl -sS -o /dev/null -w '%{http_code}' '${url}'\` (with the credential) prints 200.`,
      '`doctor run audit-log` passes.',
    ],
  }),
}
