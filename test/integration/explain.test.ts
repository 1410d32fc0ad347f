import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startSandbox, type Sandbox} from '../../src/sandbox/server.js'
import {runCli, writeConfig} from '../helpers/cli.js'

describe('doctor explain <entry-id>', () => {
  it('renders the entry for a terminal', async () => {
    const r = await runCli(['explain', 'service-not-ready'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^.*health or readiness/im)
    expect(r.stdout).toContain('service-not-ready#dependency-down')
    expect(r.stdout).toContain('doctor checks this: `doctor run readiness`')
    expect(r.stdout).toMatch(/Fix\n/)
    expect(r.stdout).toMatch(/Verify\n/)
    expect(r.stdout).toMatch(/\[read-only\]/)
  })

  it('shows one cause with entry#cause, and explains an unknown cause (exit 2)', async () => {
    const one = await runCli(['explain', 'clock-skew#local-clock'])
    expect(one.code).toBe(0)
    expect(one.stdout).toContain('clock-skew#local-clock')
    expect(one.stdout).not.toContain('clock-skew#server-clock')
    const bad = await runCli(['explain', 'clock-skew#local-clok'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/Entry clock-skew has no cause "local-clok"\. Did you mean "local-clock"\?/)
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/)
  })

  it('falls back to text search for an unknown id, with a suggestion', async () => {
    const r = await runCli(['explain', 'service-not-redy'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/No entry has the id "service-not-redy"\. Did you mean "service-not-ready"\?/)
  })
})

describe('doctor explain "<pasted text>"', () => {
  it('ranks the matching entry first with a relevance score', async () => {
    const r = await runCli(['explain', 'Error 400: redirect_uri_mismatch'])
    expect(r.code).toBe(0)
    const first = r.stdout.split('\n').find((l) => /^\s+\d+%/.test(l))!
    expect(first).toMatch(/^\s+\d+%\s+oidc-redirect-uri-rejected\s/)
    expect(r.stdout).toContain('matched "Error 400: redirect_uri_mismatch"')
  })

  it('takes unquoted words and reads a pasted log from stdin', async () => {
    const words = await runCli(['explain', 'Invalid', 'parameter:', 'redirect_uri', '--json'])
    expect(JSON.parse(words.stdout).matches[0].id).toBe('oidc-redirect-uri-rejected')
    const log = [
      '10:00:01 INFO request id=42',
      '10:00:02 WARN audit buffer full; dropping events',
      '10:00:03 INFO done',
    ].join('\n')
    const r = await runCli(['explain', '-', '--json'], {input: log})
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.mode).toBe('search')
    expect(out.matches[0]).toMatchObject({id: 'audit-log-empty', matched: {cause: 'buffer-dropped-events'}})
    expect(out.matches[0].score).toBeGreaterThan(0.8)
    expect(out.matches[0].entry.causes.length).toBeGreaterThan(0)
  })

  it('--json prints only JSON, --limit and --product narrow the matches', async () => {
    const r = await runCli(['explain', 'permission denied', '--json', '--limit', '5', '--product', 'secrets-bridge'])
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.matches.length).toBeGreaterThan(0)
    expect(out.matches.length).toBeLessThanOrEqual(5)
    for (const m of out.matches) expect(m.entry.products.map((p: {id: string}) => p.id)).toContain('secrets-bridge')
    expect(out.matches[0].id).toBe('vault-permission-denied')
  })

  it('says so when nothing matches (exit 0), and refuses empty text or an unknown product (exit 2)', async () => {
    const none = await runCli(['explain', 'qwertyuiop zxcvbnm'])
    expect(none.code).toBe(0)
    expect(none.stdout).toMatch(/No knowledge-base entry matches/)
    const empty = await runCli(['explain', '-'], {input: '  \n'})
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/Nothing to explain/)
    const product = await runCli(['explain', 'x', '--product', 'rack-gatway'])
    expect(product.code).toBe(2)
    expect(product.stderr).toMatch(/Unknown product "rack-gatway"\. Did you mean "rack-gateway"\?/)
  })
})

describe('doctor explain --run', () => {
  let faulty: Sandbox
  let healthy: Sandbox
  beforeAll(async () => {
    faulty = await startSandbox({faults: ['redis-down', 'idp-clock-ahead']})
    healthy = await startSandbox({faults: []})
  })
  afterAll(async () => {
    await faulty?.stop()
    await healthy?.stop()
  })

  it('confirms the cause the checks find, and rules out the others', async () => {
    const r = await runCli(['explain', 'service-not-ready', '--run', '-c', writeConfig(faulty.config), '--json'])
    expect(r.code).toBe(1)
    const out = JSON.parse(r.stdout)
    expect(out.run.checks).toEqual(['readiness'])
    const verdict = (ref: string) => out.run.verdicts.find((v: {ref: string}) => v.ref === ref)?.verdict
    expect(verdict('service-not-ready#dependency-down')).toBe('confirmed')
    expect(verdict('service-not-ready#tls')).toBe('other-cause')
  })

  it('rules causes out on a healthy deployment (no false alarm)', async () => {
    const r = await runCli(['explain', 'service-not-ready', '--run', '-c', writeConfig(healthy.config)])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Which cause applies')
    expect(r.stdout).toMatch(/✓ ruled out\s+service-not-ready#dependency-down/)
    expect(r.stdout).not.toMatch(/confirmed/)
  })

  it('runs the checks behind pasted text and says which causes cannot be checked', async () => {
    const r = await runCli([
      'explain',
      'the IdP clock is ahead and tokens fail: "exp" claim timestamp check failed',
      '--run',
      '--limit',
      '5',
      '-c',
      writeConfig(faulty.config),
      '--json',
    ])
    const out = JSON.parse(r.stdout)
    expect(out.run.checks).toContain('clock-skew')
    const verdicts = out.run.verdicts as Array<{ref: string; verdict: string}>
    expect(verdicts.find((v) => v.ref === 'clock-skew#server-clock')?.verdict).toBe('confirmed')
    expect(verdicts.some((v) => v.verdict === 'not-checkable')).toBe(true)
  })

  it('needs a config only when there is a check to run', async () => {
    const noChecks = await runCli(['explain', 'mfa-device-lost', '--run'])
    expect(noChecks.code).toBe(0)
    expect(noChecks.stdout).toMatch(/No registered check can observe these causes/)
    const needsConfig = await runCli(['explain', 'service-not-ready', '--run'])
    expect(needsConfig.code).toBe(2)
    expect(needsConfig.stderr).toMatch(/No config file found/)
  })

  it('never prints a secret from the config while running checks', async () => {
    const canary = 'canary-token-3f9a1c77e2b54d0e'
    const config = {
      ...faulty.config,
      readiness: {
        endpoints: [
          {
            url: (faulty.config as {readiness: {endpoints: Array<string | {url: string}>}}).readiness.endpoints.map(
              (e) => (typeof e === 'string' ? e : e.url),
            )[0],
            headers: {Authorization: `Bearer ${canary}`},
          },
        ],
      },
    }
    const r = await runCli(['explain', 'service-not-ready', '--run', '-c', writeConfig(config), '--json'])
    expect(r.stdout + r.stderr).not.toContain(canary)
    expect(JSON.parse(r.stdout).run.verdicts.length).toBe(14)
  })
})
