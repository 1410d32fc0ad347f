import type {FilledOutcome} from '../../src/kb/cause.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import check, {rankNames, rankValues} from '../../checks/prometheus-labels.js'
import {durationSeconds, formatSelector, parseSelectors, PromqlSyntaxError} from '../../src/facts/prometheus.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {
  freePort,
  prometheusAvailable,
  promApi,
  type RunningPrometheus,
  startPrometheus,
  waitFor,
} from '../helpers/prometheus.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

const sel = (q: string) =>
  parseSelectors(q).map((s) => ({
    name: s.name,
    matchers: s.matchers.map((m) => `${m.name}${m.op}${m.value}`),
    range: s.range,
  }))

describe('PromQL selector parser', () => {
  it('reads a metric name with matchers of every operator', () => {
    expect(sel('http_requests_total{service="checkout", code!="200", path=~"/api/.*", method!~"GET|HEAD"}')).toEqual([
      {
        name: 'http_requests_total',
        matchers: ['service=checkout', 'code!=200', 'path=~/api/.*', 'method!~GET|HEAD'],
        range: undefined,
      },
    ])
  })

  it('skips functions, aggregators, by/without/on lists, numbers, durations and string arguments', () => {
    const q = `histogram_quantile(0.95, sum by (le, service) (rate(http_request_duration_seconds_bucket{service="checkout"}[5m] offset 1h)))
      / on (service) group_left(team) max without (instance) (team_info) > 0.5 and label_replace(up, "dst", "$1", "src", "(.*)")`
    expect(sel(q)).toEqual([
      {name: 'http_request_duration_seconds_bucket', matchers: ['service=checkout'], range: '5m'},
      {name: 'team_info', matchers: [], range: undefined},
      {name: 'up', matchers: [], range: undefined},
    ])
    expect(sel('sum(rate(x[5m])) by (job)')).toEqual([{name: 'x', matchers: [], range: '5m'}])
    expect(sel('max_over_time(rate(x{a="b"}[1m])[30m:1m])')).toEqual([{name: 'x', matchers: ['a=b'], range: '1m'}])
  })

  it('reads selectors without a metric name, __name__ matchers, and quoted names', () => {
    expect(sel('{__name__="up", job="api"}')).toEqual([
      {name: undefined, matchers: ['__name__=up', 'job=api'], range: undefined},
    ])
    expect(sel('{"my.metric", "le.x"="1"}')).toEqual([{name: 'my.metric', matchers: ['le.x=1'], range: undefined}])
    expect(sel('count({job=~".+"}) + up {job = "x",}')).toEqual([
      {name: undefined, matchers: ['job=~.+'], range: undefined},
      {name: 'up', matchers: ['job=x'], range: undefined},
    ])
  })

  it('decodes escapes in double, single and raw quotes and ignores braces inside strings and comments', () => {
    expect(sel(String.raw`x{a="q\"uo\\te\n", b='it\'s', c=~` + '`\\d+`' + String.raw`, d="\x41\u00e9\101"}`)).toEqual([
      {name: 'x', matchers: ['a=q"uo\\te\n', "b=it's", 'c=~\\d+', 'd=Aé' + 'A'], range: undefined},
    ])
    expect(sel('label_replace(up, "x", "{not=\\"a selector\\"}", "", "") # y{z="w"}\n')).toEqual([
      {name: 'up', matchers: [], range: undefined},
    ])
  })

  it('records positions so a selector can be replaced in the query', () => {
    const q = 'sum(rate(http_requests_total{service="checkout"}[5m]))'
    const [s] = parseSelectors(q)
    expect(q.slice(s!.start, s!.end)).toBe('http_requests_total{service="checkout"}')
  })

  it('rejects malformed matchers', () => {
    expect(() => parseSelectors('x{a="b"')).toThrow(PromqlSyntaxError)
    expect(() => parseSelectors('x{a~"b"}')).toThrow(/expected =, !=, =~ or !~/)
    expect(() => parseSelectors('x{a=b}')).toThrow(/quoted value/)
    expect(() => parseSelectors('x{a="\\q"}')).toThrow(/unknown escape/)
  })

  it('formats selectors back, quoting what needs it', () => {
    expect(formatSelector('x', [{name: 'a', op: '=~', value: 'b"c'}])).toBe('x{a=~"b\\"c"}')
    expect(formatSelector(undefined, [{name: 'a.b', op: '=', value: 'c'}])).toBe('{"a.b"="c"}')
    expect(formatSelector('my.metric', [])).toBe('{"my.metric"}')
    expect(durationSeconds('1m30s')).toBe(90)
  })

  it('ranks metric names and label values the way a typo is usually made', () => {
    const names = ['http_requests_total', 'http_request_duration_seconds_bucket', 'up', 'HTTP_requests']
    expect(rankNames('http_request_total', names)[0]!.name).toBe('http_requests_total')
    expect(
      rankNames('http_requests', names)
        .map((r) => r.name)
        .slice(0, 2),
    ).toEqual(['HTTP_requests', 'http_requests_total'])
    const values = new Map([
      ['checkout-api', 3],
      ['payments', 4],
      ['Checkout', 1],
    ])
    expect(rankValues({name: 'service', op: '=', value: 'checkout'}, values).map((r) => r.value)).toEqual([
      'Checkout',
      'checkout-api',
    ])
    expect(
      rankValues({name: 'service', op: '=~', value: 'checkout-.*'}, new Map([['Checkout-API', 1]]))[0]!.why,
    ).toMatch(/regex/)
  })
})

// ---------------------------------------------------------------------------------------------
// Against a real Prometheus

const available = prometheusAvailable()
if (!available.ok && process.env.CI !== 'true')
  console.warn(`skipping the Prometheus integration tests: ${available.reason}`)

describe.skipIf(!available.ok && process.env.CI !== 'true')('prometheus-labels against a real Prometheus', () => {
  let prom: RunningPrometheus | undefined
  let app: TestServer
  let legacy: TestServer
  let scrapes = 0

  beforeAll(async () => {
    if (!available.ok) throw new Error(`CI=true and ${available.reason}`)
    app = await startServer((_req, res) => {
      scrapes++
      send(
        res,
        200,
        [
          '# TYPE http_requests_total counter',
          `http_requests_total{service="checkout-api",namespace="prod",code="200"} ${5 + scrapes}`,
          `http_requests_total{service="checkout-api",namespace="prod",code="500"} ${1 + scrapes}`,
          `http_requests_total{service="payments",namespace="prod",code="200"} ${7 + scrapes}`,
          '',
        ].join('\n'),
        'text/plain; version=0.0.4',
      )
    })
    legacy = await startServer((_req, res) =>
      send(
        res,
        200,
        '# TYPE legacy_jobs_processed_total counter\nlegacy_jobs_processed_total{queue="invoices"} 3\n',
        'text/plain; version=0.0.4',
      ),
    )
    const closed = await freePort()
    const droppedPort = await freePort()
    prom = await startPrometheus(`global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
  - job_name: app
    static_configs: [{targets: ['127.0.0.1:${app.port}']}]
  - job_name: legacy
    static_configs: [{targets: ['127.0.0.1:${legacy.port}']}]
  - job_name: down
    static_configs: [{targets: ['127.0.0.1:${closed}']}]
  - job_name: relabelled
    static_configs: [{targets: ['127.0.0.1:${droppedPort}'], labels: {team: 'billing'}}]
    relabel_configs:
      - source_labels: [team]
        regex: billing
        action: drop
`)
    const url = prom.url
    // Two samples of the app's counters (for rate) and one of legacy's.
    await waitFor('app series with two samples', async () => {
      const r = await promApi<{result: unknown[]}>(url, '/api/v1/query', {
        query: 'rate(http_requests_total{service="checkout-api"}[1m])',
      })
      return r.result.length === 2
    })
    await waitFor(
      'legacy series',
      async () =>
        (await promApi<unknown[]>(url, '/api/v1/series', {'match[]': 'legacy_jobs_processed_total'})).length > 0,
    )
    // Stop the legacy exporter: its next scrape fails, its target goes down and its series go stale.
    await legacy.close()
    await waitFor('legacy target down', async () => {
      const t = await promApi<{activeTargets: Array<{labels: {job: string}; health: string}>}>(url, '/api/v1/targets', {
        state: 'active',
      })
      const down = t.activeTargets.filter((x) => x.health === 'down').map((x) => x.labels.job)
      const q = await promApi<{result: unknown[]}>(url, '/api/v1/query', {query: 'legacy_jobs_processed_total'})
      return down.includes('legacy') && down.includes('down') && q.result.length === 0
    })
  }, 30_000)

  afterAll(async () => {
    await prom?.stop()
    await app?.close()
  })

  async function run(queries: Array<{name?: string; query: string}>, url = prom!.url): Promise<FilledOutcome> {
    const ctx = makeContext({prometheus: {url, queries}})
    try {
      return await runCheck(check, ctx)
    } finally {
      await ctx.close()
    }
  }

  it('passes a query that returns series (no false alarm)', async () => {
    const out = await run([
      {
        name: 'checkout request rate',
        query: 'sum by (service) (rate(http_requests_total{service="checkout-api"}[1m]))',
      },
    ])
    expect(out.status, out.message).toBe('pass')
    expect(out.message).toBe('checkout request rate: returns 1 series')
    expect(out.items).toEqual([{label: 'checkout request rate', status: 'pass', message: 'returns 1 series'}])
  })

  it('names a wrong label value and the value the series carry, with its series count', async () => {
    const query = 'sum(rate(http_requests_total{service="checkout",namespace="prod"}[5m]))'
    const out = await run([{query}])
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('prometheus-no-series#labels-do-not-match')
    expect(out.message).toContain('service="checkout" matches nothing; did you mean service="checkout-api" (2 series)?')
    expect(out.message).toContain('With that change the query returns 1 series.')
    const observed = out.evidence?.observed as {
      queries: Array<{suggestions: Array<{instead: string; series: number}>; corrected: {query: string}}>
    }
    expect(observed.queries[0]!.suggestions[0]).toMatchObject({instead: 'service="checkout-api"', series: 2})
    expect(observed.queries[0]!.corrected.query).toBe(
      'sum(rate(http_requests_total{service="checkout-api",namespace="prod"}[5m]))',
    )
    expect(out.cause?.verify[0]).toContain('checkout-api')
    expect(out.evidence?.exchanges?.some((x) => x.url.includes('/api/v1/series'))).toBe(true)
  })

  it('names a wrong metric name and the nearest existing one', async () => {
    const out = await run([{query: 'sum(rate(http_request_total{service="checkout-api"}[5m]))'}])
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('prometheus-no-series#metric-name-wrong')
    expect(out.message).toContain(
      'metric http_request_total does not exist; did you mean http_requests_total (2 series with the same labels)?',
    )
  })

  it('names a label the metric does not have and the label that carries the value', async () => {
    const out = await run([{query: 'http_requests_total{svc="checkout-api"}'}])
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('prometheus-no-series#labels-do-not-match')
    expect(out.message).toMatch(
      /svc="checkout-api" matches nothing: no series on http_requests_total \(3 series\) has a label svc \(its labels there: code, instance, job, namespace, service\); did you mean service="checkout-api" \(2 series\)\?/,
    )
  })

  it('says series went stale because their target is down, with its last error', async () => {
    const out = await run([
      {name: 'invoice jobs', query: 'sum by (queue) (legacy_jobs_processed_total{queue="invoices"})'},
    ])
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('prometheus-no-series#target-down')
    expect(out.message).toMatch(
      /^invoice jobs: legacy_jobs_processed_total\{queue="invoices"\} had 1 series in the last hour but has none now: the target http:\/\/127\.0\.0\.1:\d+\/metrics \(job "legacy"\) is down, last error: .*connection refused/,
    )
  })

  it('says a job matches nothing because its only target is down', async () => {
    const out = await run([{query: 'http_requests_total{job="down"}'}])
    expect(out.cause?.kb).toBe('prometheus-no-series#target-down')
    expect(out.message).toMatch(
      /job="down" matches nothing: its target http:\/\/127\.0\.0\.1:\d+\/metrics is down, last error: .*connection refused/,
    )
  })

  it('says a job matches nothing because relabelling drops its target', async () => {
    const out = await run([{query: 'http_requests_total{job="relabelled"}'}])
    expect(out.cause?.kb).toBe('prometheus-no-series#dropped-by-relabeling')
    expect(out.message).toMatch(
      /job="relabelled" matches nothing: service discovery finds the target 127\.0\.0\.1:\d+ \(job "relabelled"\), but relabelling drops it/,
    )
  })

  it('says a range shorter than two scrape intervals leaves rate() nothing to work with', async () => {
    const out = await run([{query: 'rate(http_requests_total{service="payments"}[900ms])'}])
    expect(out.cause?.kb).toBe('prometheus-no-series#series-stale')
    expect(out.message).toContain('its range [900ms] is shorter than two scrape intervals (1s)')
  })

  it('reports a query Prometheus rejects', async () => {
    const out = await run([{query: 'sum(rate(http_requests_total[5m])'}])
    expect(out.status).toBe('fail')
    expect(out.cause?.kb).toBe('prometheus-no-series#query-fails')
    expect(out.message).toMatch(/Prometheus rejects the query \(400 bad_data: .*parse error/)
  })

  it('judges every query and fails on the one that returns nothing', async () => {
    const out = await run([
      {name: 'ok', query: 'http_requests_total{service="payments"}'},
      {name: 'typo', query: 'http_requests_total{service="Payments"}'},
    ])
    expect(out.status).toBe('fail')
    expect(out.message).toBe(
      'typo: service="Payments" matches nothing; did you mean service="payments" (1 series)? Values of service on http_requests_total (3 series): checkout-api (2), payments (1). With that change the query returns 1 series.',
    )
    expect(out.items?.map((i) => i.status)).toEqual(['pass', 'fail'])
  })

  it('names each matcher when two are wrong at once', async () => {
    const out = await run([{query: 'http_requests_total{service="checkout",namespace="production"}'}])
    expect(out.cause?.kb).toBe('prometheus-no-series#labels-do-not-match')
    expect(out.message).toContain('service="checkout" matches nothing; did you mean service="checkout-api" (2 series)?')
    expect(out.message).toContain('namespace="production" matches nothing; did you mean namespace="prod" (3 series)?')
  })

  it('diagnoses a selector without a metric name', async () => {
    const out = await run([{query: 'count({service="checkout", job="app"})'}])
    expect(out.cause?.kb).toBe('prometheus-no-series#labels-do-not-match')
    expect(out.message).toContain('service="checkout" matches nothing; did you mean service="checkout-api" (2 series)?')
  })

  it('is an error, not a failure, when Prometheus cannot be reached', async () => {
    const port = await freePort()
    const out = await run([{query: 'up'}], `http://127.0.0.1:${port}`)
    expect(out.status).toBe('error')
    expect(out.message).toMatch(
      new RegExp(`could not reach Prometheus: GET http://127\\.0\\.0\\.1:${port}/-/ready failed`),
    )
  })
})
