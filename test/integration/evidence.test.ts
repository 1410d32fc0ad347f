import {describe, expect, it} from 'vitest'
import type {Report} from '../../src/report/schema.js'
import {runCli} from '../helpers/cli.js'

describe('the sandbox behind npm run demo: evidence faults', () => {
  it('diagnoses the stale connector, the label mismatch and the out-of-sync app; --fixed is clean', async () => {
    const r = await runCli(['demo', '--fault', 'connector-stale', '--fault', 'prometheus-label-mismatch', '--fault', 'gitops-out-of-sync', '--json'])
    const report = JSON.parse(r.stdout) as Report
    const result = (id: string) => report.results.find((x) => x.id === id)
    expect(result('evidence-freshness')?.cause?.kb).toBe('connector-stale#worker-cannot-authenticate')
    expect(result('prometheus-labels')?.cause?.kb).toBe('prometheus-no-series#labels-do-not-match')
    expect(result('prometheus-labels')?.message).toContain('did you mean service="sandbox-api"')
    expect(result('gitops-status')?.cause?.kb).toBe('gitops-status-unavailable#status-incomplete')
    const fixed = JSON.parse((await runCli(['demo', '--fixed', '--json'])).stdout) as Report
    for (const id of ['evidence-freshness', 'prometheus-labels', 'gitops-status']) expect(fixed.results.find((x) => x.id === id)?.status, id).toBe('pass')
  })
})
