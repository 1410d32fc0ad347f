import {describe, expect, it} from 'vitest'
import {type Check, type CheckContext, defineCheck, pass} from '../../src/engine/check.js'
import {runChecks, type RunOptions} from '../../src/engine/runner.js'

function check(id: string, run: Check['run']): Check {
  return defineCheck({
    meta: {id, title: `${id} ok`, failureTitle: `${id} broken`, area: 'platform', description: id, needs: [], kb: []},
    run,
  })
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => clearTimeout(t))
  })

function options(over: Partial<RunOptions> = {}): RunOptions {
  return {
    concurrency: 4,
    checkTimeoutMs: 1000,
    deadlineMs: 5000,
    makeContext: (signal) => ({signal}) as unknown as CheckContext,
    skipReason: () => undefined,
    ...over,
  }
}

describe('engine', () => {
  it('runs checks and keeps registry order in results', async () => {
    const results = await runChecks(
      [check('b', async () => (await sleep(30), pass('b fine'))), check('a', async () => pass('a fine'))],
      options(),
    )
    expect(results.map((r) => [r.id, r.status, r.title])).toEqual([
      ['b', 'pass', 'b ok'],
      ['a', 'pass', 'a ok'],
    ])
  })

  it('turns an exception into error and a hang into timeout, and still ends', async () => {
    const results = await runChecks(
      [
        check('throws', async () => {
          throw new Error('boom')
        }),
        check('hangs', () => new Promise(() => {})),
        check('fine', async () => pass('ok')),
      ],
      options({checkTimeoutMs: 200}),
    )
    expect(results.map((r) => r.status)).toEqual(['error', 'timeout', 'pass'])
    expect(results[0].message).toContain('boom')
    expect(results[1].message).toContain('200 ms')
    expect(results[1].title).toBe('hangs broken')
  }, 10_000) // a hang guard, not a speed assertion

  it('aborts the signal of a check that times out', async () => {
    let aborted = false
    await runChecks(
      [
        check(
          'slow',
          (ctx) =>
            new Promise((resolve) =>
              ctx.signal.addEventListener('abort', () => ((aborted = true), resolve(pass('late')))),
            ),
        ),
      ],
      options({checkTimeoutMs: 100}),
    )
    expect(aborted).toBe(true)
  })

  it('respects the whole-run deadline', async () => {
    const results = await runChecks(
      [
        check('h1', () => new Promise(() => {})),
        check('h2', () => new Promise(() => {})),
        check('late', async () => pass('never')),
      ],
      options({concurrency: 2, checkTimeoutMs: 10_000, deadlineMs: 300}),
    )
    expect(results.map((r) => r.status)).toEqual(['timeout', 'timeout', 'timeout'])
    expect(results[2].message).toContain('not started')
  })

  it('bounds concurrency', async () => {
    let running = 0
    let peak = 0
    const make = (id: string) =>
      check(id, async () => {
        running++
        peak = Math.max(peak, running)
        await sleep(40)
        running--
        return pass('ok')
      })
    await runChecks(['a', 'b', 'c', 'd', 'e', 'f'].map(make), options({concurrency: 2}))
    expect(peak).toBe(2)
  })

  it('starts slow checks first but reports in registry order', async () => {
    const started: string[] = []
    const make = (id: string, slow = false) => {
      const c = check(id, async () => (started.push(id), await sleep(10), pass('ok')))
      return slow ? {...c, meta: {...c.meta, slow: true}} : c
    }
    const results = await runChecks(
      [make('a'), make('b'), make('c'), make('z-browser', true), make('y-clock', true)],
      options({concurrency: 1}),
    )
    expect(started).toEqual(['z-browser', 'y-clock', 'a', 'b', 'c'])
    expect(results.map((r) => r.id)).toEqual(['a', 'b', 'c', 'z-browser', 'y-clock'])
  })

  it('reports skips without running the check', async () => {
    let ran = false
    const results = await runChecks(
      [check('x', async () => ((ran = true), pass('ran')))],
      options({skipReason: () => 'not configured: set x.y'}),
    )
    expect(ran).toBe(false)
    expect(results[0]).toMatchObject({status: 'skip', message: 'not configured: set x.y'})
  })

  it('rejects malformed outcomes as errors and fills in a cause for bare failures', async () => {
    const results = await runChecks(
      [
        check('bad', async () => ({status: 'maybe', message: 1}) as never),
        check('bare', async () => ({status: 'fail', message: 'it broke'})),
      ],
      options(),
    )
    expect(results[0].status).toBe('error')
    expect(results[1].cause?.summary).toBe('it broke')
  })

  it('caps severity when the config says so', async () => {
    const results = await runChecks(
      [check('f', async () => ({status: 'fail', message: 'bad', cause: {summary: 's', fix: [], verify: []}}))],
      options({severityCap: () => 'warn'}),
    )
    expect(results[0].status).toBe('warn')
  })
})

describe('time limits per check', () => {
  it('a check that was never configured is skipped, never counted as a timeout, even after the run deadline', async () => {
    const results = await runChecks(
      [
        check('h1', () => new Promise(() => {})),
        check('h2', () => new Promise(() => {})),
        check('unconfigured', async () => pass('never')),
      ],
      options({
        concurrency: 2,
        checkTimeoutMs: 10_000,
        deadlineMs: 200,
        skipReason: (c) => (c.meta.id === 'unconfigured' ? 'not configured: set x in doctor.yaml' : undefined),
      }),
    )
    expect(results.map((r) => r.status)).toEqual(['timeout', 'timeout', 'skip'])
    expect(results[2].message).toMatch(/^not configured/)
  })

  it('a check gets its own limit, and the timeout says where the limit came from and how to raise it', async () => {
    const results = await runChecks(
      [check('browser', () => new Promise(() => {})), check('quick', () => new Promise(() => {}))],
      options({
        checkTimeoutMs: 100,
        timeoutFor: (c) =>
          c.meta.id === 'browser'
            ? {ms: 150, source: 'checks.browser.timeout'}
            : {ms: 100, source: 'the default per-check limit'},
      }),
    )
    expect(results[0].message).toMatch(
      /within 150 ms \(checks\.browser\.timeout\); .*raise checks\.browser\.timeout in doctor\.yaml or --check-timeout/,
    )
    expect(results[1].message).toMatch(/within 100 ms \(the default per-check limit\)/)
  })
})
