import {type Check, type CheckContext, type CheckOutcome, STATUSES, type Status} from './check.js'

export interface CheckResult extends CheckOutcome {
  id: string
  /** title when it passed, failureTitle otherwise. */
  title: string
  area: string
  durationMs: number
  kb: string[]
}

export interface RunOptions {
  concurrency: number
  /** Time limit per check, unless timeoutFor says otherwise for one. */
  checkTimeoutMs: number
  /** A check's own limit and where it comes from ("checks.viewport-overflow.timeout"). */
  timeoutFor?(check: Check): {ms: number; source: string}
  /** Whole-run deadline. */
  deadlineMs: number
  makeContext(signal: AbortSignal): CheckContext
  /** Per-check skip decision made before running (not configured, disabled). */
  skipReason(check: Check): string | undefined
  /** Caps a check's severity ("warn" turns its fail into warn). */
  severityCap?(check: Check): 'warn' | 'fail' | undefined
  onStart?(check: Check): void
  onResult?(result: CheckResult, done: number, total: number): void
  /** Aborted when the run deadline passes; facts listen to it. */
  runController?: AbortController
}

class Timeout {
  constructor(readonly message: string) {}
}

/**
 * Runs checks concurrently (bounded). Every check ends in exactly one result: an exception
 * becomes `error`, an overrun `timeout`, and the run returns by its deadline even if a check
 * never settles (its promise is abandoned; the abort signal tells it to stop).
 */
export async function runChecks(checks: Check[], options: RunOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = new Array(checks.length)
  const runController = options.runController ?? new AbortController()
  let deadlineTimer: NodeJS.Timeout | undefined
  const deadline = new Promise<Timeout>((resolve) => {
    deadlineTimer = setTimeout(() => {
      runController.abort(new Error('run deadline reached'))
      resolve(new Timeout(`run deadline of ${options.deadlineMs} ms reached`))
    }, options.deadlineMs)
  })
  let next = 0
  let done = 0

  const finish = (index: number, result: CheckResult) => {
    results[index] = result
    done++
    options.onResult?.(result, done, checks.length)
  }

  const runOne = async (check: Check, index: number): Promise<void> => {
    const started = performance.now()
    const base = {id: check.meta.id, area: check.meta.area, kb: check.meta.kb}
    const elapsed = () => Math.round(performance.now() - started)
    // A check with nothing configured is skipped whatever time it is: never counted as a timeout.
    const reason = options.skipReason(check)
    if (reason) {
      finish(index, {...base, title: check.meta.title, status: 'skip', message: reason, durationMs: 0})
      return
    }
    if (runController.signal.aborted) {
      finish(index, {
        ...base,
        title: check.meta.failureTitle,
        status: 'timeout',
        message:
          'not started: the run deadline (--timeout) was reached first; raise --timeout or run fewer checks at once',
        durationMs: 0,
      })
      return
    }
    options.onStart?.(check)
    const controller = new AbortController()
    const signal = AbortSignal.any([controller.signal, runController.signal])
    let timer: NodeJS.Timeout | undefined
    const limit = options.timeoutFor?.(check) ?? {ms: options.checkTimeoutMs, source: '--check-timeout'}
    const timeout = new Promise<Timeout>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('check timeout'))
        resolve(
          new Timeout(
            `did not finish within ${limit.ms} ms (${limit.source}); if the deployment is just slow, raise checks.${check.meta.id}.timeout in doctor.yaml or --check-timeout`,
          ),
        )
      }, limit.ms)
    })
    let outcome: CheckOutcome
    try {
      const running = Promise.resolve()
        .then(() => check.run(options.makeContext(signal)))
        .then(validateOutcome, (error: unknown) => errorOutcome(error))
      const settled = await Promise.race([running, timeout, deadline])
      outcome = settled instanceof Timeout ? {status: 'timeout', message: settled.message} : settled
    } finally {
      clearTimeout(timer)
    }
    const cap = options.severityCap?.(check)
    if (cap === 'warn' && outcome.status === 'fail')
      outcome = {...outcome, status: 'warn', message: `${outcome.message} (severity capped at warn by config)`}
    finish(index, {
      ...base,
      ...outcome,
      title: outcome.status === 'pass' || outcome.status === 'skip' ? check.meta.title : check.meta.failureTitle,
      durationMs: elapsed(),
    })
  }

  // Slow checks start first; results keep the given order whatever order checks start in.
  const order = checks
    .map((_, i) => i)
    .sort((a, b) => Number(Boolean(checks[b].meta.slow)) - Number(Boolean(checks[a].meta.slow)))
  const worker = async () => {
    while (next < checks.length) {
      const index = order[next++]
      await runOne(checks[index], index)
    }
  }
  try {
    await Promise.all(Array.from({length: Math.max(1, Math.min(options.concurrency, checks.length))}, worker))
  } finally {
    clearTimeout(deadlineTimer)
  }
  return results
}

function errorOutcome(error: unknown): CheckOutcome {
  const err = error as Error
  return {
    status: 'error',
    message: `the check itself failed: ${err?.message ?? String(error)}`,
    evidence: {
      notes: [
        String(err?.stack ?? err)
          .split('\n')
          .slice(0, 4)
          .join('\n'),
      ],
    },
  }
}

function validateOutcome(outcome: unknown): CheckOutcome {
  const o = outcome as CheckOutcome | undefined
  if (!o || typeof o !== 'object' || !STATUSES.includes(o.status as Status) || typeof o.message !== 'string') {
    return {status: 'error', message: `the check returned an invalid result: ${JSON.stringify(outcome)?.slice(0, 200)}`}
  }
  if ((o.status === 'fail' || o.status === 'warn') && !o.cause) {
    return {...o, cause: {summary: o.message, fix: [], verify: []}}
  }
  return o
}
