import type {IncomingMessage, ServerResponse} from 'node:http'
import {matches, parseSelectors} from '../facts/prometheus.js'

/**
 * A stand-in for the Prometheus HTTP API, enough for `doctor demo`: a fixed set of series from
 * two scrape jobs, instant queries that answer when every selector in them matches a series,
 * and the series, label-values and targets endpoints the prometheus-labels check reads.
 */
type Labels = Record<string, string>

const SERIES: Labels[] = [
  {
    __name__: 'http_requests_total',
    job: 'sandbox-api',
    instance: 'api:8080',
    service: 'sandbox-api',
    namespace: 'sandbox',
    code: '200',
  },
  {
    __name__: 'http_requests_total',
    job: 'sandbox-api',
    instance: 'api:8080',
    service: 'sandbox-api',
    namespace: 'sandbox',
    code: '500',
  },
  {
    __name__: 'http_request_duration_seconds_count',
    job: 'sandbox-api',
    instance: 'api:8080',
    service: 'sandbox-api',
    namespace: 'sandbox',
  },
  {__name__: 'up', job: 'sandbox-api', instance: 'api:8080'},
  {
    __name__: 'http_requests_total',
    job: 'sandbox-worker',
    instance: 'worker:9100',
    service: 'sandbox-worker',
    namespace: 'sandbox',
    code: '200',
  },
]

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {'content-type': 'application/json'})
  res.end(JSON.stringify(body))
}

function select(selector: string): Labels[] | undefined {
  try {
    const [sel] = parseSelectors(selector)
    if (!sel) return []
    return SERIES.filter(
      (s) => (!sel.name || s.__name__ === sel.name) && sel.matchers.every((m) => matches(m, s[m.name])),
    )
  } catch {
    return undefined
  }
}

export function prometheusApi(_req: IncomingMessage, res: ServerResponse, url: URL, path: string): void {
  const now = Date.now() / 1000
  if (path === '/-/ready') {
    res.writeHead(200, {'content-type': 'text/plain'})
    res.end('Prometheus Server is Ready.\n')
    return
  }
  if (path === '/api/v1/query') {
    const query = url.searchParams.get('query') ?? ''
    let selectors
    try {
      selectors = parseSelectors(query)
    } catch (error) {
      return json(res, 400, {status: 'error', errorType: 'bad_data', error: (error as Error).message})
    }
    const all = selectors.every((sel) =>
      SERIES.some((s) => (!sel.name || s.__name__ === sel.name) && sel.matchers.every((m) => matches(m, s[m.name]))),
    )
    return json(res, 200, {
      status: 'success',
      data: {resultType: 'vector', result: all && selectors.length ? [{metric: {}, value: [now, '0.42']}] : []},
    })
  }
  if (path === '/api/v1/series') {
    const found = url.searchParams.getAll('match[]').flatMap((m) => select(m) ?? [])
    return json(res, 200, {status: 'success', data: found})
  }
  if (path === '/api/v1/labels')
    return json(res, 200, {status: 'success', data: [...new Set(SERIES.flatMap((s) => Object.keys(s)))].sort()})
  const label = /^\/api\/v1\/label\/([^/]+)\/values$/.exec(path)
  if (label) {
    const name = decodeURIComponent(label[1])
    const match = url.searchParams.getAll('match[]')
    const pool = match.length ? match.flatMap((m) => select(m) ?? []) : SERIES
    return json(res, 200, {
      status: 'success',
      data: [...new Set(pool.map((s) => s[name]).filter((v): v is string => v !== undefined))].sort(),
    })
  }
  if (path === '/api/v1/targets') {
    const active =
      url.searchParams.get('state') === 'dropped'
        ? []
        : [...new Set(SERIES.map((s) => `${s.job} ${s.instance}`))].map((key) => {
            const [job, instance] = key.split(' ')
            return {
              labels: {job, instance},
              discoveredLabels: {__address__: instance, job},
              scrapePool: job,
              scrapeUrl: `http://${instance}/metrics`,
              health: 'up',
              lastError: '',
              lastScrape: new Date().toISOString(),
            }
          })
    return json(res, 200, {status: 'success', data: {activeTargets: active, droppedTargets: []}})
  }
  return json(res, 404, {
    status: 'error',
    errorType: 'not_found',
    error: `${path} is not served by the sandbox's Prometheus stand-in`,
  })
}
