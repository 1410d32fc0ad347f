import type {DoctorConfig} from '../src/config/schema.js'
import {concluded, defineCheck, type Finding, type Item, leading, pass, skip} from '../src/engine/check.js'
import type {ExchangeRecord} from '../src/http/types.js'
import {parseDuration} from '../src/util/duration.js'

type Connector = NonNullable<NonNullable<DoctorConfig['evidence']>['connectors']>[number]

const STALE = 'connector-stale'
const HOLD = 'gate-hold-missing-evidence'

export default defineCheck({
  meta: {
    id: 'evidence-freshness',
    title: 'Evidence connectors are fresh and scoped to this release',
    failureTitle: 'A connector is stale, or the evidence scope does not match the release',
    area: 'evidence',
    description:
      "Reads each connector's status endpoint and the last-sync time at its JSONPath; older than the maximum age fails, says how old, and reads the connector's last error to tell authentication, scope, allowlist and provider-URL problems apart. Compares the evidence scope the gate reports (service, namespace, release id, source SHA, image digest, manifest path) with the expected values, field by field.",
    needs: ['evidence'],
    kb: [
      `${STALE}#worker-cannot-authenticate`,
      `${STALE}#scope-too-narrow`,
      `${STALE}#query-not-allowlisted`,
      `${STALE}#provider-url-wrong`,
      `${HOLD}#evidence-stale`,
      `${HOLD}#service-or-namespace-mismatch`,
      `${HOLD}#release-identity-mismatch`,
      `${HOLD}#manifest-path-wrong`,
    ],
  },
  async run(ctx) {
    const ev = ctx.config.evidence
    if (!ev?.connectors && !ev?.scope)
      return skip('not configured: set evidence.connectors or evidence.scope in doctor.yaml')
    const {readJson, unreadable, evaluate, parseDate, relative, compact} = await import('../src/expect/expectations.js')
    const items: Item[] = []
    const findings: Finding[] = []
    const errors: string[] = []
    const exchanges: ExchangeRecord[] = []
    const now = ctx.now()

    for (const c of ev.connectors ?? []) {
      const read = await readJson(ctx.facts, {
        url: ctx.facts.resolveUrl(c.url),
        headers: c.headers,
        purpose: 'evidence-freshness',
      })
      exchanges.push(read.exchange)
      if (read.kind !== 'json') {
        const why = unreadable(read, `${c.name} status`, 'evidence.connectors[].url')
        items.push({label: c.name, status: 'error', message: why.message})
        errors.push(why.message)
        continue
      }
      const [found] = (await evaluate([{path: c.lastSync, exists: true}], read.json, now)) ?? []
      const raw = found?.observed
      const at = parseDate(Array.isArray(raw) ? raw[0] : raw)
      const maxMs = parseDuration(c.maxAge)!
      if (at === undefined) {
        const message = `${c.name}: ${c.lastSync} ${raw === undefined ? 'matches nothing' : `is ${compact(raw)}, not a date`} in the status: the connector has never synced, or the path is wrong`
        items.push({label: c.name, status: 'fail', message})
        findings.push(staleFinding(c, message, read.json))
        continue
      }
      const age = now - at
      if (age > maxMs) {
        const message = `${c.name} last synced ${relative(at, now)} (${new Date(at).toISOString()}), longer ago than the ${c.maxAge} allowed`
        items.push({label: c.name, status: 'fail', message})
        findings.push(staleFinding(c, message, read.json))
      } else items.push({label: c.name, status: 'pass', message: `synced ${relative(at, now)} (limit ${c.maxAge})`})
    }

    if (ev.scope) {
      const read = await readJson(ctx.facts, {
        url: ctx.facts.resolveUrl(ev.scope.url),
        headers: ev.scope.headers,
        purpose: 'evidence-freshness',
      })
      exchanges.push(read.exchange)
      if (read.kind !== 'json') {
        const why = unreadable(read, 'evidence scope', 'evidence.scope.url')
        items.push({label: 'evidence scope', status: 'error', message: why.message})
        errors.push(why.message)
      } else {
        const results = await evaluate(ev.scope.expect, read.json, now)
        for (const r of results)
          items.push({
            label: r.expectation.label ?? r.expectation.path,
            status: r.ok ? 'pass' : 'fail',
            message: r.message,
          })
        const failed = results.filter((r) => !r.ok)
        if (failed.length > 0)
          findings.push(
            scopeFinding(
              failed.map((r) => ({path: r.expectation.path, label: r.expectation.label, message: r.message})),
            ),
          )
      }
    }

    const evidence = {observed: Object.fromEntries(items.map((i) => [i.label, i.message])), exchanges}
    if (findings.length === 0) {
      if (errors.length > 0) return {status: 'error', message: errors.join('; '), evidence, items}
      return pass(
        `${items.length} evidence item(s) fresh and in scope: ${items.map((i) => `${i.label} ${i.message}`).join('; ')}`,
        {evidence, items},
      )
    }
    const top = leading(findings)
    const verify = [
      "The connector's status shows a last sync within the allowed age (Integrations page or its status endpoint), and the gate reports the expected scope.",
      '`doctor run evidence-freshness` passes.',
    ]
    return concluded(
      {...top, message: findings.map((f) => f.message).join('; ')},
      SUMMARY[top.kb] ?? top.message,
      verify,
      {evidence: {...evidence, notes: errors}, items},
    )
  },
})

const SUMMARY: Record<string, string> = {
  [`${STALE}#worker-cannot-authenticate`]:
    "The connector's worker cannot authenticate to the provider, so it stopped syncing.",
  [`${STALE}#scope-too-narrow`]: "The connector's credential may not read what the connector asks for.",
  [`${STALE}#query-not-allowlisted`]: 'The query the connector needs is not on the allowlist.',
  [`${STALE}#provider-url-wrong`]: 'The connector cannot reach the provider at its configured URL.',
  [`${HOLD}#evidence-stale`]: 'The evidence exists but is too old: the connector stopped syncing.',
  [`${HOLD}#service-or-namespace-mismatch`]: 'The gate looks for evidence under another service name or namespace.',
  [`${HOLD}#release-identity-mismatch`]: 'The release id, source SHA or image digest is not the one deployed.',
  [`${HOLD}#manifest-path-wrong`]: 'The rendered manifest path does not point at the rendered output.',
}

/** The connector's own last error, when its status has one, tells why it stopped. */
function staleFinding(c: Connector, message: string, json: unknown): Finding {
  const error = lastError(json)
  const rules: Array<[RegExp, string, string]> = [
    [
      /\b(401|unauthori[sz]ed|unauthenticated|invalid[_ ]token|token (?:has )?expired|expired token|authentication failed|bad credentials)\b/i,
      'worker-cannot-authenticate',
      "Rotate or re-enter the connector's credential (scoped token or service account) in Settings or the Helm values, then restart the worker's sync.",
    ],
    [
      /\b(403|forbidden|permission denied|not allowed to (?:read|list|get)|is forbidden|access denied)\b/i,
      'scope-too-narrow',
      "Widen the credential's scope to the service, namespace, project or app the connector reads (read-only), or narrow the connector to what the credential may read.",
    ],
    [
      /allow-?list|not (?:on|in) the allow|query (?:is )?not allowed|refused to run/i,
      'query-not-allowlisted',
      "Add the query the connector needs to the query allowlist, then restart the worker's sync.",
    ],
    [
      /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|no such host|connection refused|timed? ?out|x509|certificate|tls|dial tcp|404 not found|unsupported protocol/i,
      'provider-url-wrong',
      "Fix the provider base URL the worker uses (host, scheme, port, path prefix, proxy) and check it from the worker's network.",
    ],
  ]
  if (error) {
    for (const [re, cause, fix] of rules) {
      if (re.test(error))
        return {
          status: 'fail',
          kb: `${STALE}#${cause}`,
          message: `${message}; its last error: "${error.slice(0, 200)}"`,
          fix: [fix],
        }
    }
  }
  return {
    status: 'fail',
    kb: `${HOLD}#evidence-stale`,
    message: `${message}${error ? `; its last error: "${error.slice(0, 200)}"` : ''}`,
    fix: [
      `Read the ${c.name} worker's log around the last successful sync: a 401/403 is a credential or scope problem, a DNS/TLS/connection error a provider URL problem; fix it and restart the sync.`,
    ],
  }
}

const ERROR_KEYS = ['lasterror', 'error', 'lastsyncerror', 'syncerror', 'message', 'lastfailure', 'failure', 'reason']

function lastError(json: unknown): string | undefined {
  const visit = (v: unknown, depth: number): string | undefined => {
    if (!v || typeof v !== 'object' || depth > 3) return undefined
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      const key = k.toLowerCase().replace(/[_\s-]/g, '')
      if (ERROR_KEYS.includes(key) && typeof val === 'string' && val.trim()) return val.trim()
      if (ERROR_KEYS.includes(key) && val && typeof val === 'object') {
        const m = (val as Record<string, unknown>).message
        if (typeof m === 'string' && m.trim()) return m.trim()
      }
    }
    for (const val of Object.values(v as Record<string, unknown>)) {
      const found = visit(val, depth + 1)
      if (found) return found
    }
    return undefined
  }
  return visit(json, 0)
}

function scopeFinding(failed: Array<{path: string; label?: string; message: string}>): Finding {
  const text = (f: {path: string; label?: string}) => `${f.label ?? ''} ${f.path}`
  const identity = failed.find((f) => /sha|revision|commit|release|digest|image|version/i.test(text(f)))
  const naming = failed.find((f) => /service|namespace|app\b|component/i.test(text(f)))
  const manifest = failed.find((f) => /manifest|render|path/i.test(text(f)))
  const message = `the evidence scope does not match this release: ${failed.map((f) => f.message).join('; ')}`
  if (naming)
    return {
      status: 'fail',
      kb: `${HOLD}#service-or-namespace-mismatch`,
      message,
      fix: [
        "Give the gate the service name and namespace the evidence is recorded under (or change the connector's mapping), so both name the same thing.",
      ],
    }
  if (identity)
    return {
      status: 'fail',
      kb: `${HOLD}#release-identity-mismatch`,
      message,
      fix: [
        'Pass the gate the release id, source SHA and image digest of what was actually deployed (take them from the deploy step, not from the branch head).',
      ],
    }
  if (manifest)
    return {
      status: 'fail',
      kb: `${HOLD}#manifest-path-wrong`,
      message,
      fix: ['Point the gate at the rendered manifest the deploy step produced, in the same job.'],
    }
  return {
    status: 'fail',
    kb: `${HOLD}#service-or-namespace-mismatch`,
    message,
    fix: ['Make the gate and the connectors describe the same service, namespace and release.'],
  }
}
