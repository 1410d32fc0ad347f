import {describe, expect, it} from 'vitest'
import type {Report} from '../../src/report/schema.js'
import {browserAvailable} from '../helpers/browser.js'
import {runCli} from '../helpers/cli.js'

describe.skipIf(!browserAvailable())('the sandbox behind npm run demo: mobile fault', () => {
  it('diagnoses the docs page that scrolls sideways, with a screenshot; --fixed passes', async () => {
    const report = JSON.parse((await runCli(['demo', '--fault', 'docs-wide-table', '--json'])).stdout) as Report
    const result = report.results.find((x) => x.id === 'viewport-overflow')
    expect(result?.cause?.kb).toBe('mobile-horizontal-overflow#wide-table-or-code-block')
    expect(result?.message).toMatch(/^docs-evidence @390x844: .*table#evidence-table/)
    const fixed = JSON.parse((await runCli(['demo', '--fixed', '--json'])).stdout) as Report
    expect(fixed.results.find((x) => x.id === 'viewport-overflow')?.status).toBe('pass')
  })
})

describe('the sandbox behind npm run demo: evidence faults', () => {
  it('diagnoses the stale connector, the label mismatch, the out-of-sync app and the wrong selector; --fixed is clean', async () => {
    const r = await runCli([
      'demo',
      '--fault',
      'connector-stale',
      '--fault',
      'prometheus-label-mismatch',
      '--fault',
      'gitops-out-of-sync',
      '--fault',
      'kube-selector-mismatch',
      '--json',
    ])
    const report = JSON.parse(r.stdout) as Report
    const result = (id: string) => report.results.find((x) => x.id === id)
    expect(result('evidence-freshness')?.cause?.kb).toBe('connector-stale#worker-cannot-authenticate')
    expect(result('prometheus-labels')?.cause?.kb).toBe('prometheus-no-series#labels-do-not-match')
    expect(result('prometheus-labels')?.message).toContain('did you mean service="sandbox-api"')
    expect(result('gitops-status')?.cause?.kb).toBe('gitops-status-unavailable#status-incomplete')
    expect(result('kubernetes-workload')?.cause?.kb).toBe('kubernetes-readiness-missing#label-selector-mismatch')
    expect(result('kubernetes-workload')?.message).toContain('app.kubernetes.io/name=sandbox-api carries the value')
    const fixed = JSON.parse((await runCli(['demo', '--fixed', '--json'])).stdout) as Report
    for (const id of ['evidence-freshness', 'prometheus-labels', 'gitops-status', 'kubernetes-workload'])
      expect(fixed.results.find((x) => x.id === id)?.status, id).toBe('pass')
  })
})
