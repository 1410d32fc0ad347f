import {type CauseRef, type CheckOutcome, defineCheck, type Item, skip} from '../src/engine/check.js'
import {
  durationSeconds,
  formatSelector,
  type Matcher,
  matches,
  metricName,
  parseSelectors,
  type PromAnswer,
  PrometheusApi,
  type PromQueryData,
  type PromSample,
  type PromSeries,
  type PromTarget,
  PromqlSyntaxError,
  type Selector,
  selectsSomething,
} from '../src/facts/prometheus.js'
import {suggest} from '../src/util/suggest.js'
import {createRequire} from 'node:module'

const E = 'prometheus-no-series'
const LABELS = `${E}#labels-do-not-match`
const NAME = `${E}#metric-name-wrong`
const STALE = `${E}#series-stale`
const DOWN = `${E}#target-down`
const DROPPED = `${E}#dropped-by-relabeling`
const FAILS = `${E}#query-fails`

/** How far back the series API looks for "it existed recently". */
const LOOKBACK_S = 3600

export default defineCheck({
  meta: {
    id: 'prometheus-labels',
    title: 'Every configured Prometheus query returns series',
    failureTitle: 'A configured Prometheus query returns no series',
    area: 'evidence',
    description:
      "Runs each prometheus.queries entry as an instant query. When one comes back empty, takes its vector selectors apart and asks the series API why: an unknown metric name (nearest names), a matcher that excludes everything (the label's real values, nearest first, with series counts), a label the metric does not have, series that existed in the last hour but went stale (the target's health and lastError), or a target dropped by relabelling. Read-only GETs only.",
    needs: ['prometheus.url'],
    kb: [E, LABELS, NAME, STALE, DOWN, DROPPED, FAILS],
  },
  async run(ctx) {
    const cfg = ctx.config.prometheus
    if (!cfg) return skip('no prometheus section in the config: set prometheus.url and prometheus.queries')
    const api = new PrometheusApi(ctx.facts, cfg.url, cfg.headers, 'prometheus-labels')
    const ready = await api.ready()
    if (ready.netError) {
      return {
        status: 'error',
        message: `could not reach Prometheus: GET ${ready.url} failed (${ready.netError.message})${ready.netError.hint ? `; ${ready.netError.hint}` : ''}`,
        evidence: {exchanges: api.exchanges},
      }
    }
    if (ready.status !== 200) {
      return {
        status: 'error',
        message: `Prometheus is not ready: GET ${ready.url} answers ${ready.status}${ready.body ? ` "${ready.body.trim().slice(0, 120)}"` : ''}, so its query results mean nothing yet`,
        evidence: {exchanges: api.exchanges},
      }
    }

    const nowS = Math.floor(ctx.now() / 1000)
    const verdicts: Verdict[] = []
    for (const q of cfg.queries) {
      const label = q.name ?? q.query
      try {
        verdicts.push(await new Diagnosis(api, q.query, label, nowS).run())
      } catch (error) {
        if (!(error instanceof Unreachable)) throw error
        verdicts.push({
          label,
          query: q.query,
          status: 'error',
          message: `could not ask Prometheus: GET ${error.answer.url} failed (${error.answer.summary})`,
          fix: [],
          suggestions: [],
          probes: [],
          notes: [],
        })
      }
    }
    return outcome(api, verdicts)
  },
})

// ---------------------------------------------------------------------------------------------

interface Suggestion {
  /** What to write instead: `service="checkout-api"`, `http_requests_total`. */
  instead: string
  series: number
  why: string
}

interface Probe {
  selector: string
  /** "now" (instant query) or "1h" (series API over the last hour). */
  at: 'now' | '1h'
  series?: number
  error?: string
}

interface Verdict {
  label: string
  query: string
  status: 'pass' | 'warn' | 'fail' | 'error'
  message: string
  kb?: string
  fix: string[]
  suggestions: Suggestion[]
  probes: Probe[]
  notes: string[]
  /** The query with the suggested correction applied, and what it returns. */
  corrected?: {query: string; series?: number}
  result?: string
}

class Unreachable extends Error {
  constructor(readonly answer: PromAnswer<unknown>) {
    super(answer.summary)
  }
}

/** A finding about one selector of an empty query. */
interface Finding {
  kb: string
  message: string
  fix: string[]
  suggestions?: Suggestion[]
  /** The selector with the fix applied, to try the corrected query. */
  replacement?: string
}

class Diagnosis {
  private readonly probes: Probe[] = []
  private readonly notes: string[] = []
  private readonly start: number
  private active?: PromTarget[]
  private dropped?: PromTarget[]

  constructor(
    private readonly api: PrometheusApi,
    private readonly query: string,
    private readonly label: string,
    private readonly now: number,
  ) {
    this.start = now - LOOKBACK_S
  }

  private verdict(
    v: Omit<Verdict, 'label' | 'query' | 'probes' | 'notes' | 'suggestions' | 'fix'> &
      Partial<Pick<Verdict, 'fix' | 'suggestions'>>,
  ): Verdict {
    return {
      label: this.label,
      query: this.query,
      probes: this.probes,
      notes: this.notes,
      fix: [],
      suggestions: [],
      ...v,
    }
  }

  async run(): Promise<Verdict> {
    const r = await this.api.query(this.query)
    if (r.netError) throw new Unreachable(r)
    if (r.errorType || !r.data) {
      if (r.errorType || (r.status !== undefined && r.status >= 400 && r.status < 500)) {
        return this.verdict({
          status: 'fail',
          kb: FAILS,
          message: `Prometheus rejects the query (${r.summary})`,
          fix: [
            r.errorType === 'timeout'
              ? 'Make the query cheaper (narrower matchers, shorter ranges, a recording rule) or raise --query.timeout.'
              : 'Correct the expression (the error names the position), and keep label substitution from producing invalid PromQL (unescaped quotes, empty values).',
          ],
        })
      }
      return this.verdict({
        status: 'error',
        message: `GET ${r.url} answers ${r.summary}, not a Prometheus query result`,
      })
    }
    const data = r.data
    if (data.resultType === 'scalar' || data.resultType === 'string') {
      return this.verdict({
        status: 'pass',
        message: `returns a ${data.resultType} (${String((data.result as [number, string])[1])})`,
        result: data.resultType,
      })
    }
    const result = data.result as PromSample[]
    if (result.length > 0) {
      const values = result.map((s) => s.value?.[1] ?? s.values?.at(-1)?.[1])
      if (values.every((v) => v === 'NaN')) {
        return this.verdict({
          status: 'warn',
          kb: FAILS,
          message: `returns ${count(result.length)}, all NaN: a ratio over a window with no traffic (0/0) or histogram_quantile with no observations`,
          fix: [
            'Widen the range window, or generate traffic before the gate runs; guard ratios (`... > 0` or `or vector(0)`) if "no traffic" should read as zero.',
          ],
          result: `${count(result.length)}, all NaN`,
        })
      }
      return this.verdict({status: 'pass', message: `returns ${count(result.length)}`, result: count(result.length)})
    }

    // Empty: take it apart.
    let selectors: Selector[]
    try {
      selectors = parseSelectors(this.query)
    } catch (error) {
      if (!(error instanceof PromqlSyntaxError)) throw error
      return this.verdict({
        status: 'fail',
        kb: E,
        message: `returns no series, and doctor could not read its selectors (${error.message})`,
        fix: ["Run the query's selectors one by one in the Prometheus UI to find the one that matches nothing."],
        result: 'no series',
      })
    }
    selectors = selectors.filter((s) => selectsSomething(s.name, s.matchers))
    if (selectors.length === 0) {
      return this.verdict({
        status: 'fail',
        kb: E,
        message: 'returns no series, and it has no series selector to examine (only numbers and functions)',
        fix: ['Make the query read a metric (a selector such as `http_requests_total{service="…"}`).'],
        result: 'no series',
      })
    }
    const fine: Array<{sel: Selector; text: string; now: PromSample[]}> = []
    for (const sel of selectors) {
      const finding = await this.selector(sel)
      if (finding && 'kb' in finding) return this.finish(finding, sel)
      if (finding) fine.push({sel, text: formatSelector(sel.name, sel.matchers), now: finding.now})
    }
    if (fine.length < selectors.length) {
      const failed = this.probes.filter((p) => p.error).map((p) => `${p.selector}: ${p.error}`)
      return this.finish({
        kb: E,
        message: `returns no series, and Prometheus would not answer doctor's follow-up reads for its selectors (${failed.join('; ') || 'no usable answer'})`,
        fix: ["Run the query's selectors one by one in the Prometheus UI to find the one that matches nothing."],
      })
    }
    // Every selector matches series now: the expression around them empties the result.
    for (const f of fine) {
      if (!f.sel.range) continue
      const range = durationSeconds(f.sel.range.split(':')[0]!)
      const interval = await this.scrapeInterval(f.now)
      if (range !== undefined && interval !== undefined && range < 2 * interval) {
        return this.finish({
          kb: STALE,
          message: `${f.text} matches ${count(f.now.length)} now, but its range [${f.sel.range}] is shorter than two scrape intervals (${interval}s), so rate()/increase() over it has fewer than two samples and returns nothing`,
          fix: [
            `Use a range of at least four scrape intervals (e.g. [${Math.max(4 * interval, 60)}s]) for ${f.sel.name ?? 'this selector'}.`,
          ],
        })
      }
    }
    return this.finish({
      kb: E,
      message: `returns no series although each selector matches series now (${fine.map((f) => `${f.text}: ${count(f.now.length)}`).join('; ')}): the expression around them filters everything out (a comparison, or binary-operator label matching with on()/ignoring() that pairs nothing)`,
      fix: [
        'Run the query piece by piece (each side of a binary operator, without the comparison) to find where the series disappear; align the labels of both sides with on()/ignoring().',
      ],
    })
  }

  private async finish(f: Finding, sel?: Selector): Promise<Verdict> {
    let corrected: Verdict['corrected']
    if (sel && f.replacement) {
      const query = `${this.query.slice(0, sel.start)}${f.replacement}${this.query.slice(sel.end)}`
      const r = await this.api.query(query)
      const n =
        r.data && Array.isArray(r.data.result) && r.data.resultType !== 'scalar'
          ? (r.data.result as PromSample[]).length
          : undefined
      corrected = {query, series: n}
    }
    const tail = corrected?.series ? ` With that change the query returns ${count(corrected.series)}.` : ''
    return this.verdict({
      status: 'fail',
      kb: f.kb,
      message: `${f.message}${tail}`,
      fix: f.fix,
      suggestions: f.suggestions ?? [],
      corrected,
      result: 'no series',
    })
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  private async seriesOf(selector: string): Promise<PromSeries[] | undefined> {
    const a = await this.api.series(selector, this.start, this.now)
    if (a.netError) throw new Unreachable(a)
    if (!Array.isArray(a.data)) {
      this.probes.push({selector, at: '1h', error: a.summary})
      return undefined
    }
    this.probes.push({selector, at: '1h', series: a.data.length})
    return a.data
  }

  private async instant(selector: string): Promise<PromSample[] | undefined> {
    const a = await this.api.query(selector)
    if (a.netError) throw new Unreachable(a)
    const data = a.data as PromQueryData | undefined
    if (!data || !Array.isArray(data.result) || data.resultType === 'scalar') {
      this.probes.push({selector, at: 'now', error: a.summary})
      return undefined
    }
    this.probes.push({selector, at: 'now', series: data.result.length})
    return data.result as PromSample[]
  }

  private async list(answer: Promise<PromAnswer<string[]>>): Promise<string[]> {
    const a = await answer
    if (a.netError) throw new Unreachable(a)
    return Array.isArray(a.data) ? a.data : []
  }

  private async targets(): Promise<{active: PromTarget[]; dropped: PromTarget[]}> {
    if (!this.active) {
      const [a, d] = await Promise.all([this.api.targets('active'), this.api.targets('dropped')])
      if (a.netError) throw new Unreachable(a)
      if (d.netError) throw new Unreachable(d)
      this.active = a.data?.activeTargets ?? []
      this.dropped = d.data?.droppedTargets ?? []
    }
    return {active: this.active, dropped: this.dropped ?? []}
  }

  private async scrapeInterval(series: PromSample[]): Promise<number | undefined> {
    const {active} = await this.targets()
    const intervals = series
      .flatMap((s) => active.filter((t) => t.labels.job === s.metric.job && t.labels.instance === s.metric.instance))
      .map((t) => durationSeconds(t.scrapeInterval ?? ''))
    const known = intervals.filter((n): n is number => n !== undefined)
    return known.length > 0 ? Math.max(...known) : undefined
  }

  // -------------------------------------------------------------------------------------------
  // One selector

  /** A finding when this selector explains the empty result; its current series when it does not. */
  private async selector(sel: Selector): Promise<Finding | {now: PromSample[]} | undefined> {
    const text = formatSelector(sel.name, sel.matchers)
    const past = await this.seriesOf(text)
    if (past === undefined) return undefined
    if (past.length > 0) {
      const now = await this.instant(text)
      if (now === undefined) return undefined
      if (now.length > 0) return {now}
      return this.stale(text, past)
    }
    const name = metricName(sel)
    if (name !== undefined) {
      const names = await this.list(this.api.metricNames())
      if (!names.includes(name)) return this.unknownMetric(sel, name, names)
    }
    const matchers = sel.matchers.filter((m) => !(name !== undefined && m.name === '__name__' && m.op === '='))
    if (matchers.length === 0) {
      return {
        kb: STALE,
        message: `Prometheus knows the metric ${name} but has no series of it in the last hour: it was scraped once and no longer is`,
        fix: [
          'Find the target that exported it (older data in the Prometheus UI shows its job and instance) and restore its scraping.',
        ],
      }
    }
    return this.matchers(sel, name, matchers)
  }

  /** Series existed in the last hour but not now: stale. Down target, dropped target, or gone. */
  private async stale(text: string, past: PromSeries[]): Promise<Finding> {
    const {active, dropped} = await this.targets()
    const origins = unique(past.map((s) => `${s.job ?? ''}\u0000${s.instance ?? ''}`)).map((k) => {
      const [job, instance] = k.split('\u0000') as [string, string]
      return {job, instance}
    })
    const where = origins.map((o) => ({
      ...o,
      target: active.find((t) => t.labels.job === o.job && t.labels.instance === o.instance),
    }))
    const down = where.filter((w) => w.target && w.target.health !== 'up')
    const had = `${text} had ${count(past.length)} in the last hour but has none now`
    if (down.length > 0) {
      const t = down[0]!.target!
      return {
        kb: DOWN,
        message: `${had}: the target ${t.scrapeUrl ?? down[0]!.instance} (job "${down[0]!.job}") is ${t.health}${t.lastError ? `, last error: ${t.lastError}` : ''}`,
        fix: [
          `Fix what the last error names for ${t.scrapeUrl ?? down[0]!.instance} (the service is not running or not listening, the metrics port or path, a NetworkPolicy, scrape credentials, the scrape timeout).`,
        ],
      }
    }
    const missing = where.filter((w) => !w.target)
    for (const m of missing) {
      const d = dropped.find(
        (t) => t.discoveredLabels.job === m.job && (t.discoveredLabels.__address__ === m.instance || m.instance === ''),
      )
      if (d) {
        return {
          kb: DROPPED,
          message: `${had}: its target ${d.discoveredLabels.__address__ ?? m.instance} (job "${m.job}") is now dropped by relabelling (it is under droppedTargets, not activeTargets)`,
          fix: [`Change the relabel_configs of job "${m.job}" so the target is kept, then reload Prometheus.`],
        }
      }
    }
    if (missing.length > 0) {
      const m = missing[0]!
      return {
        kb: STALE,
        message: `${had}: its target ${m.instance || '(no instance label)'} (job "${m.job}") is no longer scraped at all (not among the active or dropped targets)`,
        fix: [
          'Restore the target in the scrape configuration or service discovery (the service was renamed, scaled to zero, or its discovery annotations changed).',
        ],
      }
    }
    return {
      kb: STALE,
      message: `${had}, although its target${where.length > 1 ? 's are' : ' is'} up: the service stopped exposing these series (renamed metric or labels)`,
      fix: [
        "Compare the target's /metrics output with the query and update the query to the names the service exposes now.",
      ],
    }
  }

  private async unknownMetric(sel: Selector, name: string, names: string[]): Promise<Finding> {
    const others = sel.matchers.filter((m) => m.name !== '__name__')
    const near = rankNames(name, names).slice(0, 3)
    const suggestions: Suggestion[] = []
    for (const n of near) {
      const withLabels = others.length > 0 ? ((await this.seriesOf(formatSelector(n.name, others))) ?? []).length : 0
      const all = withLabels > 0 ? withLabels : ((await this.seriesOf(n.name)) ?? []).length
      suggestions.push({
        instead: n.name,
        series: all,
        why: withLabels > 0 ? `${n.why}, with the same label matchers` : n.why,
      })
    }
    if (suggestions.length > 0) {
      const best = suggestions[0]!
      const rest = suggestions.slice(1).map((s) => `${s.instead} (${count(s.series)})`)
      return {
        kb: NAME,
        message: `metric ${name} does not exist; did you mean ${best.instead} (${count(best.series)}${best.why.includes('same label') ? ' with the same labels' : ''})?${rest.length ? ` Also close: ${rest.join(', ')}.` : ''}`,
        fix: [`Write ${best.instead} instead of ${name} in the query (and in its allowlist entry).`],
        suggestions,
        replacement:
          sel.name !== undefined
            ? formatSelector(best.instead, sel.matchers)
            : formatSelector(
                undefined,
                sel.matchers.map((m) => (m.name === '__name__' && m.op === '=' ? {...m, value: best.instead} : m)),
              ),
      }
    }
    // Nothing close: maybe the only target that would export it is down or dropped.
    for (const m of others) {
      const t = await this.targetFor(m)
      if (t) return t
    }
    return {
      kb: NAME,
      message: `metric ${name} does not exist, and none of the ${names.length} metric names Prometheus knows is close to it`,
      fix: ['Find the metric the service really exports (its /metrics page) and use that name.'],
    }
  }

  /** A target that explains why `m` (job="x", instance="y") matches nothing: down, or dropped. */
  private async targetFor(m: Matcher): Promise<Finding | undefined> {
    if (m.op !== '=' || m.value === '') return undefined
    const {active, dropped} = await this.targets()
    const target = active.find((t) => t.labels[m.name] === m.value)
    if (target && target.health !== 'up') {
      return {
        kb: DOWN,
        message: `${m.name}="${m.value}" matches nothing: its target ${target.scrapeUrl ?? target.labels.instance} is ${target.health}${target.lastError ? `, last error: ${target.lastError}` : ''}, so Prometheus has no samples from it`,
        fix: [
          `Fix what the last error names for ${target.scrapeUrl ?? target.labels.instance} (the service is not running or not listening, the metrics port or path, a NetworkPolicy, scrape credentials, the scrape timeout).`,
        ],
      }
    }
    if (target) return undefined
    const d = dropped.find(
      (t) =>
        t.discoveredLabels[m.name] === m.value || (m.name === 'instance' && t.discoveredLabels.__address__ === m.value),
    )
    if (d) {
      return {
        kb: DROPPED,
        message: `${m.name}="${m.value}" matches nothing: service discovery finds the target ${d.discoveredLabels.__address__ ?? ''} (job "${d.discoveredLabels.job ?? '?'}"), but relabelling drops it (it is under droppedTargets)`,
        fix: [
          `Change the relabel_configs of job "${d.discoveredLabels.job ?? '?'}" (a keep or drop rule on its discovered labels) so the target is kept, then reload Prometheus.`,
        ],
      }
    }
    return undefined
  }

  /** The metric exists (or there is none): find the matcher that excludes everything. */
  private async matchers(sel: Selector, name: string | undefined, matchers: Matcher[]): Promise<Finding> {
    const base = sel.matchers.filter((m) => !matchers.includes(m))
    const build = (ms: Matcher[]) => [...base, ...ms]
    // Drop one matcher at a time: the ones whose removal brings series back exclude everything.
    const culprits: Array<{m: Matcher; context: Matcher[]; series: PromSeries[]}> = []
    for (const m of matchers) {
      const rest = build(matchers.filter((x) => x !== m))
      if (!selectsSomething(sel.name, rest)) continue
      const s = await this.seriesOf(formatSelector(sel.name, rest))
      if (s && s.length > 0) culprits.push({m, context: rest, series: s})
    }
    if (culprits.length === 0) {
      // Several matchers are wrong at once: judge each on its own against the bare metric.
      for (const m of matchers) {
        const alone = build([m])
        if (!selectsSomething(sel.name, alone)) continue
        const s = await this.seriesOf(formatSelector(sel.name, alone))
        if (s && s.length > 0) continue
        const context = base
        const series = selectsSomething(sel.name, context)
          ? ((await this.seriesOf(formatSelector(sel.name, context))) ?? [])
          : []
        culprits.push({m, context, series})
      }
    }
    if (culprits.length === 0) {
      return {
        kb: LABELS,
        message: `${formatSelector(sel.name, sel.matchers)} matches nothing, although each of its matchers matches series on its own: no series has all of those label values together`,
        fix: ['List the series of the metric with fewer matchers and pick label values that occur together.'],
      }
    }
    const findings: Finding[] = []
    for (const c of culprits) findings.push(await this.matcher(sel, c.m, c.context, c.series))
    const best = findings.find((f) => f.suggestions?.length) ?? findings[0]!
    if (culprits.length > 1 && culprits.every((c) => c.context.length === matchers.length - 1 + base.length)) {
      this.notes.push(
        `Removing any one of ${culprits.map((c) => matcherText(c.m)).join(', ')} brings series back: no series has all of them.`,
      )
    } else if (findings.length > 1) {
      return {
        ...best,
        message: findings.map((f) => f.message).join('; '),
        suggestions: findings.flatMap((f) => f.suggestions ?? []),
        fix: findings.flatMap((f) => f.fix),
        replacement: undefined,
      }
    }
    return best
  }

  /** Why `m` matches nothing among `series` (the metric with the other matchers). */
  private async matcher(sel: Selector, m: Matcher, context: Matcher[], series: PromSeries[]): Promise<Finding> {
    const where = selectsSomething(sel.name, context) ? formatSelector(sel.name, context) : 'any metric'
    const target = await this.targetFor(m)
    if (target) return target

    // Values of the label, with series counts, on the other matchers' series (or on all series).
    let values = new Map<string, number>()
    let labelNames: string[]
    if (series.length > 0) {
      for (const s of series) if (s[m.name] !== undefined) values.set(s[m.name]!, (values.get(s[m.name]!) ?? 0) + 1)
      labelNames = unique(series.flatMap((s) => Object.keys(s)))
        .filter((l) => l !== '__name__')
        .sort()
    } else {
      const vs = await this.list(this.api.labelValues(m.name, undefined, this.start, this.now))
      values = new Map(vs.map((v) => [v, Number.NaN]))
      labelNames = (await this.list(this.api.labels())).filter((l) => l !== '__name__')
    }
    const replace = (x: Matcher) =>
      formatSelector(
        sel.name,
        sel.matchers.map((y) => (y === m ? x : y)),
      )
    const what = matcherText(m)
    const on = series.length > 0 ? ` on ${where} (${count(series.length)})` : ''

    if (values.size === 0 && (m.op === '=' || m.op === '=~')) {
      // The label is not there at all: a wrong label name, or one the scrape never attaches.
      const holders = labelNames.filter((l) => series.some((s) => matches(m, s[l], 'i')))
      const pick = holders[0] ?? suggest(m.name, labelNames)
      const labels = `its labels there: ${labelNames.join(', ') || 'none'}`
      if (pick) {
        const fixed: Matcher = {...m, name: pick}
        const n = series.filter((s) => matches(fixed, s[pick])).length
        const exact = n > 0
        const instead = exact ? matcherText(fixed) : pick
        const counts =
          series.length > 0 ? ` (${count(exact ? n : series.filter((s) => s[pick] !== undefined).length)})` : ''
        return {
          kb: LABELS,
          message: `${what} matches nothing: no series${on} has a label ${m.name} (${labels}); did you mean ${instead}${counts}?`,
          fix: [
            `Match on ${pick} instead of ${m.name} in the query, or attach ${m.name} at scrape time (relabel_configs) if other environments have it.`,
          ],
          suggestions: [
            {
              instead,
              series: exact ? n : 0,
              why: holders.includes(pick) ? `label ${pick} carries the value` : 'nearest label name',
            },
          ],
          replacement: exact ? replace(fixed) : undefined,
        }
      }
      return {
        kb: LABELS,
        message: `${what} matches nothing: no series${on} has a label ${m.name} (${labels})`,
        fix: [`Match on a label the series carry, or attach ${m.name} at scrape time (relabel_configs).`],
      }
    }
    if (m.op === '!=' || m.op === '!~') {
      return {
        kb: LABELS,
        message: `${what} excludes every series${on}: ${[...values.keys()]
          .slice(0, 5)
          .map((v) => `${m.name}="${v}"`)
          .join(', ')}`,
        fix: [`Drop or correct the ${m.name} matcher.`],
      }
    }
    const ranked = rankValues(m, values).slice(0, 3)
    const list = [...values.entries()].sort((a, b) => (b[1] || 0) - (a[1] || 0) || a[0].localeCompare(b[0]))
    const shown = list
      .slice(0, 8)
      .map(([v, n]) => `${v}${Number.isNaN(n) ? '' : ` (${n})`}`)
      .join(', ')
    if (ranked.length === 0) {
      return {
        kb: LABELS,
        message: `${what} matches nothing${on ? ` among the series${on}` : ''}, and no ${m.name} value is close; its values: ${shown}${list.length > 8 ? `, … (${list.length} in all)` : ''}`,
        fix: [
          `Use one of the ${m.name} values the series carry, or label the service's series with ${m.name}="${m.value}" at scrape time.`,
        ],
      }
    }
    const suggestions: Suggestion[] = []
    for (const r of ranked) {
      let n = values.get(r.value) ?? 0
      if (Number.isNaN(n))
        n = (
          (await this.seriesOf(formatSelector(sel.name, [...context, {name: m.name, op: '=', value: r.value}]))) ?? []
        ).length
      suggestions.push({instead: matcherText({name: m.name, op: '=', value: r.value}), series: n, why: r.why})
    }
    const best = suggestions[0]!
    const also = suggestions.slice(1).map((s) => `${s.instead} (${count(s.series)})`)
    return {
      kb: LABELS,
      message: `${what} matches nothing; did you mean ${best.instead} (${count(best.series)})?${also.length ? ` Also close: ${also.join(', ')}.` : ''}${on ? ` Values of ${m.name}${on}: ${shown}.` : ''}`,
      fix: [
        `Write ${best.instead} instead of ${what} in the query (and in its allowlist entry), or relabel the series at scrape time so ${m.name} carries the value the query uses.`,
      ],
      suggestions,
      replacement: replace({name: m.name, op: '=', value: ranked[0]!.value}),
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Ranking

let levenshtein: typeof import('fastest-levenshtein') | undefined
const lev = () =>
  (levenshtein ??= createRequire(import.meta.url)('fastest-levenshtein') as typeof import('fastest-levenshtein'))

const SUFFIXES = [
  '_total',
  '_seconds',
  '_bucket',
  '_count',
  '_sum',
  '_bytes',
  '_seconds_total',
  '_seconds_bucket',
  '_seconds_count',
  '_seconds_sum',
  '_created',
  '_info',
]

/** Metric names close to `wanted`: same but for case, a unit/type suffix, a small edit, or containing it. */
export function rankNames(wanted: string, names: readonly string[]): Array<{name: string; why: string}> {
  const w = wanted.toLowerCase()
  const scored: Array<{name: string; why: string; score: number}> = []
  for (const name of names) {
    const n = name.toLowerCase()
    if (name === wanted) continue
    if (n === w) scored.push({name, why: 'differs only in case', score: 0})
    else if (SUFFIXES.some((s) => n === w + s || w === n + s))
      scored.push({name, why: 'differs by a suffix', score: 1 + Math.abs(n.length - w.length) / 1000})
    else {
      const d = lev().distance(n, w)
      if (d <= Math.max(2, Math.floor(Math.max(n.length, w.length) / 4)))
        scored.push({name, why: `${d} edit${d === 1 ? '' : 's'} away`, score: 2 + d / 100})
      else if (w.length >= 4 && (n.includes(w) || w.includes(n)))
        scored.push({name, why: 'contains the name', score: 3 + Math.abs(n.length - w.length) / 1000})
    }
  }
  return scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
}

/** Label values close to what the matcher asks for: equal but for case, a small edit, a substring. */
export function rankValues(m: Matcher, values: ReadonlyMap<string, number>): Array<{value: string; why: string}> {
  const wanted = m.op === '=~' ? literals(m.value) : [m.value]
  const scored: Array<{value: string; why: string; score: number; n: number}> = []
  for (const [value, n] of values) {
    const v = value.toLowerCase()
    let best: {why: string; score: number} | undefined
    if (m.op === '=~' && matches(m, value, 'i')) best = {why: 'matches the regex ignoring case', score: 0}
    for (const w0 of wanted) {
      const w = w0.toLowerCase()
      let cand: {why: string; score: number} | undefined
      if (v === w) cand = {why: 'differs only in case', score: 0}
      else {
        const d = lev().distance(v, w)
        if (d <= Math.max(2, Math.floor(Math.max(v.length, w.length) / 3)))
          cand = {why: `${d} edit${d === 1 ? '' : 's'} away`, score: 1 + d / 100}
        else if (w.length >= 3 && (v.includes(w) || w.includes(v)))
          cand = {
            why: v.includes(w) ? `contains "${w0}"` : `is part of "${w0}"`,
            score: 2 + Math.abs(v.length - w.length) / 1000,
          }
      }
      if (cand && (!best || cand.score < best.score)) best = cand
    }
    if (best) scored.push({value, ...best, n: Number.isNaN(n) ? 0 : n})
  }
  return scored.sort((a, b) => a.score - b.score || b.n - a.n || a.value.localeCompare(b.value))
}

/** The literal alternatives of a simple regex ("^checkout(-api)?$" -> ["checkout-api", "checkout"]), roughly. */
function literals(pattern: string): string[] {
  return pattern
    .split('|')
    .map((p) =>
      p
        .replace(/^\^|\$$/g, '')
        .replace(/\.\*|\.\+|[()?]/g, '')
        .replace(/\\(.)/g, '$1'),
    )
    .filter((p) => p !== '')
}

// ---------------------------------------------------------------------------------------------
// Outcome

const SUMMARY: Record<string, string> = {
  [E]: 'The query matches no series; the selectors match on their own, so the expression around them empties the result.',
  [LABELS]: 'A label matcher in the query asks for a value (or a label) the series do not carry.',
  [NAME]: 'The metric name in the query does not exist in Prometheus.',
  [STALE]: 'The series existed but have no recent samples, so an instant query drops them.',
  [DOWN]: 'The scrape target behind the series is down, so no new samples arrive.',
  [DROPPED]: 'Service discovery finds the target but relabelling drops it.',
  [FAILS]: 'The query itself errors, or yields no usable value.',
}

const RANK = {error: 3, fail: 2, warn: 1, pass: 0} as const

function outcome(api: PrometheusApi, verdicts: Verdict[]): CheckOutcome {
  const items: Item[] = verdicts.map((v) => ({label: v.label, status: v.status, message: v.message}))
  const evidence = {
    observed: {
      prometheus: api.base,
      queries: verdicts.map((v) => ({
        name: v.label === v.query ? undefined : v.label,
        query: v.query,
        result: v.result ?? v.status,
        diagnosis: v.status === 'pass' ? undefined : v.message,
        suggestions: v.suggestions.length ? v.suggestions : undefined,
        corrected: v.corrected,
        probes: v.probes.length ? v.probes : undefined,
      })),
    },
    notes: verdicts.flatMap((v) => v.notes),
    exchanges: api.exchanges,
  }
  const worst = [...verdicts].sort((a, b) => RANK[b.status] - RANK[a.status])[0]!
  const prefix = (v: Verdict) => (verdicts.length > 1 || v.label !== v.query ? `${v.label}: ` : `${v.query}: `)
  if (worst.status === 'pass') {
    return {
      status: 'pass',
      message:
        verdicts.length === 1
          ? `${prefix(worst)}${worst.message}`
          : `all ${verdicts.length} queries return series (${verdicts.map((v) => `${v.label}: ${v.result}`).join('; ')})`,
      evidence,
      items,
    }
  }
  const bad = verdicts.filter((v) => v.status === worst.status)
  const message = `${prefix(worst)}${worst.message}${bad.length > 1 ? ` (and ${bad.length - 1} more ${bad.length === 2 ? 'query' : 'queries'})` : ''}`
  if (worst.status === 'error') return {status: 'error', message, evidence, items}
  const query = worst.corrected?.query ?? worst.query
  const cause: CauseRef = {
    kb: worst.kb,
    summary: SUMMARY[worst.kb ?? E] ?? worst.message,
    fix: worst.fix,
    verify: [
      `\`curl -sSG '${api.base}/api/v1/query' --data-urlencode 'query=${query.replace(/'/g, "'\\''")}'\` answers "status":"success" with at least one series in data.result.`,
      '`doctor run prometheus-labels` passes.',
    ],
  }
  return {status: worst.status, message, cause, evidence, items}
}

function count(n: number): string {
  return `${n} series`
}

function matcherText(m: Matcher): string {
  return formatSelector(undefined, [m]).slice(1, -1)
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)]
}
