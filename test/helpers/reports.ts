import {type Report, type ReportResult, reportSchema} from '../../src/report/schema.js'

/** A check result for report tests; only id and status are needed. */
export function result(id: string, status: ReportResult['status'], extra: Partial<ReportResult> = {}): ReportResult {
  return {
    id,
    title: `${id} title`,
    area: 'platform',
    status,
    message: `${id} says ${status}`,
    durationMs: 12,
    kb: [],
    ...extra,
  }
}

/** A schema-valid report around the given results, with counts, verdict and exit code derived from them. */
export function makeReport(results: ReportResult[], overrides: Partial<Report> = {}): Report {
  const summary = {pass: 0, warn: 0, fail: 0, skip: 0, error: 0, timeout: 0, total: results.length}
  for (const r of results) summary[r.status]++
  return reportSchema.parse({
    schemaVersion: 1,
    tool: {name: 'doctor', version: '0.1.0'},
    startedAt: '2026-11-22T10:00:00.000Z',
    durationMs: 1234,
    verdict: summary.fail + summary.error + summary.timeout ? 'fail' : summary.warn ? 'warn' : 'pass',
    failOn: 'fail',
    exitCode: summary.fail + summary.error + summary.timeout ? 1 : 0,
    environment: {node: 'v20.20.2', platform: 'linux', arch: 'x64'},
    config: {
      path: '/srv/doctor.yaml',
      targets: ['https://app.example.com'],
      values: {target: {baseUrl: 'https://app.example.com'}},
    },
    options: {concurrency: 4, checkTimeoutMs: 10000, timeoutMs: 60000, ca: null, insecure: false},
    warnings: [],
    summary,
    results,
    http: {requests: 0, distinctUrls: 0, exchanges: []},
    redactions: [],
    ...overrides,
  })
}
