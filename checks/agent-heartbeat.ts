import {type CauseRef, defineCheck, fail, type Item, pass, skip, warn} from '../src/engine/check.js'
import type {ExchangeRecord} from '../src/http/types.js'

const E = 'agent-stale'
const DEFAULT_MAX_AGE = '2m'
const NAME_KEYS = ['name', 'id', 'agentid', 'hostname']
const HEARTBEAT_KEYS = [
  'lastheartbeatat',
  'lastheartbeat',
  'lastseenat',
  'lastseen',
  'heartbeatat',
  'heartbeat.at',
  'heartbeat.lastat',
]
const STATUS_KEYS = ['status', 'state', 'health']
const TIME_KEYS = ['occurredat', 'timestamp', 'time', 'createdat']
const STALE_WORDS = new Set(['stale', 'offline', 'unhealthy', 'down', 'lost', 'disconnected', 'unreachable', 'dead'])
const ERROR_KIND = new Set(['errorkind'])

export default defineCheck({
  meta: {
    id: 'agent-heartbeat',
    title: 'Every agent heartbeats to the control plane',
    failureTitle: 'An agent is stale: its heartbeats are not accepted',
    area: 'platform',
    description:
      'Lists the agents (GET agents.url) and judges each by its last heartbeat (older than agents.maxAge, default 2m) and its status. For a stale agent, searches the audit events for heartbeats rejected with error_kind "unauthorized": found, the agent presents the wrong secret; absent, its heartbeats do not reach the control plane.',
    needs: ['agents.url'],
    kb: [E, `${E}#wrong-agent-secret`, `${E}#heartbeat-not-reaching`],
  },
  async run(ctx) {
    const cfg = ctx.config.agents
    if (!cfg) return skip('no agents section in the config: set agents.url to the agent list')
    const {readRecords, pick, curlLine} = await import('../src/facts/records.js')
    const {parseDate, relative, unreadable, findKeys} = await import('../src/expect/expectations.js')
    const {parseDuration} = await import('../src/util/duration.js')
    const facts = ctx.facts
    const url = facts.resolveUrl(cfg.url)
    const exchanges: ExchangeRecord[] = []
    const read = await readRecords(facts, {url, headers: cfg.headers, purpose: 'agent-heartbeat'}, cfg.items)
    exchanges.push(read.exchange)
    if (read.kind === 'no-list')
      return {
        status: 'error',
        message: `the agent API at ${read.url} answered JSON without an agent list doctor can find: set agents.items to the JSONPath of the list`,
        evidence: {exchanges},
      }
    if (read.kind !== 'list') {
      const {message, notes} = unreadable(read, 'agent list', 'agents.url')
      return {
        status: read.kind === 'unreachable' && read.error.kind === 'aborted' ? 'timeout' : 'error',
        message,
        evidence: {notes, exchanges},
      }
    }
    const maxAgeText = cfg.maxAge ?? DEFAULT_MAX_AGE
    const maxAge = parseDuration(maxAgeText)!
    const now = ctx.now()

    const agents = await Promise.all(
      read.records.map(async (record, i) => {
        const name = await pick(record, cfg.name, NAME_KEYS)
        const beat = await pick(record, cfg.lastHeartbeat, HEARTBEAT_KEYS)
        const state = await pick(record, cfg.status, STATUS_KEYS)
        const at = beat ? parseDate(beat.value) : undefined
        const word = typeof state?.value === 'string' ? state.value.trim().toLowerCase() : undefined
        const label =
          name && (typeof name.value === 'string' || typeof name.value === 'number')
            ? String(name.value)
            : `agent #${i + 1}`
        const said = word ? `status "${word}"` : ''
        const when =
          at !== undefined
            ? `last heartbeat ${relative(at, now)}`
            : beat
              ? `no heartbeat yet (${beat.path} is ${JSON.stringify(beat.value)})`
              : ''
        const over = at !== undefined && now - at > maxAge ? `, over the ${maxAgeText} limit` : ''
        const seen = [`${when}${over}`, said].filter(Boolean).join('; ')
        if (at === undefined && word === undefined)
          return {
            label,
            record,
            status: 'error' as const,
            message: `neither a heartbeat time nor a status found: set agents.lastHeartbeat`,
          }
        const stale =
          (at !== undefined && now - at > maxAge) ||
          (word !== undefined && STALE_WORDS.has(word)) ||
          (beat !== undefined && at === undefined)
        return {label, record, status: stale ? ('fail' as const) : ('pass' as const), message: seen}
      }),
    )
    const items: Item[] = agents.map(({label, status, message}) => ({label, status, message}))
    const evidence = {
      observed: {url: read.url, agents: items.map((i) => `${i.label}: ${i.message}`)},
      expected: `a heartbeat within ${maxAgeText} for every agent`,
      exchanges,
    }
    if (agents.length === 0) {
      return warn(
        `no agent is registered at ${read.url} (${read.path} is an empty list): nothing can run jobs`,
        {
          summary: 'The control plane lists no agents, so requests that need an agent wait forever.',
          fix: [
            'Register and start an agent with its secret from the control plane, pointing it at the control-plane URL.',
          ],
          verify: [`\`${curlLine(read.url, cfg.headers)}\` lists the agent with a recent heartbeat.`],
        },
        {items, evidence},
      )
    }
    const stale = agents.filter((a) => a.status === 'fail')
    const unjudged = agents.filter((a) => a.status === 'error')
    if (stale.length === 0) {
      if (unjudged.length === agents.length)
        return {
          status: 'error',
          message: `the ${agents.length} agents at ${read.url} show neither a heartbeat time nor a status doctor can read: set agents.lastHeartbeat (and agents.status)`,
          items,
          evidence,
        }
      return pass(
        `${agents.length === 1 ? 'the agent heartbeats' : `all ${agents.length - unjudged.length} agents heartbeat`} within ${maxAgeText}`,
        {items, evidence},
      )
    }
    const list = stale.map((s) => `${s.label} (${s.message})`).join(', ')
    const staleText =
      agents.length === 1
        ? `the agent ${list} is stale`
        : `${stale.length} of ${agents.length} agents are stale: ${list}`

    // Rejected heartbeats in the audit log tell a wrong secret from a network problem.
    const audit = cfg.auditUrl
      ? {url: facts.resolveUrl(cfg.auditUrl), headers: cfg.headers, key: 'agents.auditUrl'}
      : ctx.config.audit
        ? {url: facts.resolveUrl(ctx.config.audit.url), headers: ctx.config.audit.headers, key: 'audit.url'}
        : undefined
    if (!audit)
      return fail(
        `${staleText}. Set agents.auditUrl (or the audit section) so doctor can tell a wrong agent secret from heartbeats that never arrive`,
        causes.unknown(read.url, cfg.headers, curlLine),
        {items, evidence},
      )
    const events = await readRecords(
      facts,
      {url: audit.url, headers: audit.headers, purpose: 'agent-heartbeat'},
      ctx.config.audit && !cfg.auditUrl ? ctx.config.audit.items : undefined,
    )
    exchanges.push(events.exchange)
    if (events.kind !== 'list') {
      const why =
        events.kind === 'no-list'
          ? 'it has no event list doctor can find'
          : events.kind === 'unreachable'
            ? events.error.message
            : `it answered ${events.status}`
      return fail(
        `${staleText}. The audit events at ${events.url} (${audit.key}) could not be read (${why}), so doctor cannot tell a wrong secret from heartbeats that never arrive`,
        causes.unknown(read.url, cfg.headers, curlLine),
        {items, evidence},
      )
    }
    const window = Math.max(15 * 60_000, 5 * maxAge)
    const rejected: Array<{record: unknown; at?: number}> = []
    for (const record of events.records) {
      const unauthorized = findKeys(record, ERROR_KIND).some(
        (f) => typeof f.value === 'string' && f.value.toLowerCase() === 'unauthorized',
      )
      if (!unauthorized) continue
      const field = await pick(record, undefined, TIME_KEYS)
      const t = field ? parseDate(field.value) : undefined
      if (t === undefined || now - t <= window) rejected.push({record, at: t})
    }
    const windowText = `${Math.round(window / 60_000)} min`
    if (rejected.length > 0) {
      const named = stale.filter((s) => rejected.some((r) => JSON.stringify(r.record).includes(s.label)))
      const latest = Math.max(...rejected.map((r) => r.at ?? 0))
      const whose = named.length > 0 ? `, naming ${named.map((n) => n.label).join(', ')}` : ''
      return fail(
        `${staleText}. The audit log has ${rejected.length} request${rejected.length === 1 ? '' : 's'} rejected with error_kind "unauthorized" in the last ${windowText}${whose}${latest > 0 ? ` (latest ${relative(latest, now)})` : ''}: heartbeats arrive, but with the wrong agent secret`,
        causes.secret(audit.url),
        {items, evidence},
      )
    }
    return fail(
      `${staleText}. The audit log (${events.records.length} events read) shows no heartbeat rejected as unauthorized in the last ${windowText}: the heartbeats do not reach the control plane`,
      causes.network(read.url, cfg.headers, curlLine),
      {items, evidence},
    )
  },
})

type Curl = (url: string, headers: Record<string, string> | undefined) => string

const verifyList = (url: string, headers: Record<string, string> | undefined, curlLine: Curl): string[] => [
  `Watch \`${curlLine(url, headers)}\` for a minute after restarting the agent: its last heartbeat keeps moving.`,
  '`doctor run agent-heartbeat` passes.',
]

const causes = {
  secret: (auditUrl: string): CauseRef => ({
    kb: `${E}#wrong-agent-secret`,
    summary:
      "The agent reaches the control plane, but presents a secret the control plane does not accept (copied wrongly, rotated on one side only, or another agent's), so every heartbeat gets a generic 401.",
    fix: [
      "Put the secret the control plane issued for this agent into the agent's configuration and restart the agent.",
    ],
    verify: [
      `No new error_kind "unauthorized" events at ${auditUrl} after the restart.`,
      '`doctor run agent-heartbeat` passes.',
    ],
  }),
  network: (url: string, headers: Record<string, string> | undefined, curlLine: Curl): CauseRef => ({
    kb: `${E}#heartbeat-not-reaching`,
    summary:
      'Nothing from the agent reaches the control plane, not even a rejected heartbeat: the control-plane URL the agent uses does not resolve or route from its network, or a firewall, egress rule or proxy blocks it.',
    fix: [
      "From the agent's host or container, request the control-plane URL it is configured with (`curl -sS -o /dev/null -w '%{http_code}' <control-plane-url>`): any HTTP status proves the path, a timeout, refusal or DNS error does not. `localhost` inside a container is the container itself.",
      'Give the agent a URL that works from there, open the network path, and restart the agent.',
    ],
    verify: verifyList(url, headers, curlLine),
  }),
  unknown: (url: string, headers: Record<string, string> | undefined, curlLine: Curl): CauseRef => ({
    kb: E,
    summary:
      'The control plane has not accepted a heartbeat from the agent recently: either its heartbeats do not arrive, or they arrive with the wrong secret.',
    fix: [
      "Read the agent's log: connection errors point at the network, 401 answers at the agent secret.",
      'Search the audit log for error_kind "unauthorized" events (`doctor explain agent-stale`).',
    ],
    verify: verifyList(url, headers, curlLine),
  }),
}
