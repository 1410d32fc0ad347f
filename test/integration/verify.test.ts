import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {runCli, writeConfig} from '../helpers/cli.js'

/**
 * `doctor verify` closes the loop: a report saved while the fault is live, the fix, then verify
 * re-runs only the entry's checks and shows before → after, ending with the verification steps.
 */
describe('doctor verify <entry>', () => {
  const sandboxes: Sandbox[] = []
  afterEach(async () => {
    await Promise.all(sandboxes.splice(0).map((s) => s.stop()))
  })
  const start = async (faults: Parameters<typeof startSandbox>[0]['faults']) => {
    const s = await startSandbox({faults})
    sandboxes.push(s)
    return writeConfig(s.config)
  }

  it('before the fix (saved report) and after: fixed, exit 0, only the linked checks ran, steps at the end', async () => {
    const work = mkdtempSync(join(tmpdir(), 'doctor-verify-'))
    const broken = await start(['redis-down'])
    const saved = await runCli(['report', '-c', broken, '--output-dir', work], {cwd: work, timeoutMs: 60_000})
    expect(saved.code, saved.stderr).toBe(1)

    const fixed = await start([])
    const r = await runCli(['verify', 'service-not-ready', '-c', fixed], {cwd: work})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Verifying service-not-ready: /)
    expect(r.stdout).toMatch(/Before: doctor-report\.json \(.*\)\. After: now/)
    expect(r.stdout).toMatch(/readiness +✗ fail +→ ✓ pass +fixed/)
    expect(r.stdout).toMatch(/How to verify by hand \(dependency-down\)\n {2}1\. Request the health endpoint again\./)
    expect(r.stdout).toMatch(/✓ The linked checks pass now/)
    expect(r.stderr).not.toMatch(/clock-skew|viewport-overflow/) // only the entry's checks ran

    const json = await runCli(['verify', 'service-not-ready#dependency-down', '-c', fixed, '--json'], {cwd: work})
    const result = JSON.parse(json.stdout)
    expect(result.checks).toEqual(['readiness'])
    expect(result.comparison.fixed.map((x: {id: string}) => x.id)).toEqual(['readiness'])
    expect(
      result.verdicts.before.find((v: {ref: string}) => v.ref === 'service-not-ready#dependency-down').verdict,
    ).toBe('confirmed')
    expect(result.verdicts.after[0].verdict).toBe('ruled-out')
  })

  it('a fix that did not work: still failing, exit 1; without a saved report it says how to get one', async () => {
    const work = mkdtempSync(join(tmpdir(), 'doctor-verify-'))
    const broken = await start(['redis-down'])
    const r = await runCli(['verify', 'service-not-ready', '-c', broken], {cwd: work})
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/No saved report to compare with .*run `doctor report` before applying the fix/s)
    expect(r.stdout).toMatch(/✗ confirmed +service-not-ready#dependency-down/)
    expect(r.stdout).toMatch(/✗ Still failing: readiness\./)

    writeFileSync(
      join(work, 'old.json'),
      (await runCli(['run', 'readiness', '-c', broken, '--json'], {cwd: work})).stdout,
    )
    const again = await runCli(['verify', 'service-not-ready', '-c', broken, '--before', join(work, 'old.json')], {
      cwd: work,
    })
    expect(again.code).toBe(1)
    expect(again.stdout).toMatch(/readiness +✗ fail +→ ✗ fail +still failing/)
  })

  it('an entry no check can observe: the manual verification steps, no config needed', async () => {
    const r = await runCli(['verify', 'mfa-device-lost'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/No registered check can observe these causes from outside; verify by hand:\n\n {2}1\. /)
  })

  it('unknown ids and guides are usage errors', async () => {
    const unknown = await runCli(['verify', 'service-not-redy'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(
      /No knowledge-base entry has the id "service-not-redy"\. Did you mean "service-not-ready"\?/,
    )
    const cause = await runCli(['verify', 'service-not-ready#nope'])
    expect(cause.code).toBe(2)
    expect(cause.stderr).toMatch(/has no cause "nope"\. Its causes: dependency-down, /)
    const guide = await runCli(['verify', 'api-test-when-in-doubt'])
    expect(guide.code).toBe(2)
    expect(guide.stderr).toMatch(/is a guide, not a symptom/)
    const badBefore = await runCli([
      'verify',
      'service-not-ready',
      '--before',
      '/nonexistent/x.json',
      '-c',
      writeConfig({target: {baseUrl: 'http://127.0.0.1:9'}}),
    ])
    expect(badBefore.code).toBe(2)
    expect(badBefore.stderr).toMatch(/There is no report at \/nonexistent\/x\.json/)
  })
})
