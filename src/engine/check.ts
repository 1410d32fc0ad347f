import type {ExchangeRecord} from '../http/types.js'
import type {DoctorConfig} from '../config/schema.js'
import type {Facts} from '../facts/facts.js'
import type {Vars} from '../kb/fill.js'

export const STATUSES = ['pass', 'warn', 'fail', 'skip', 'error', 'timeout'] as const
export type Status = (typeof STATUSES)[number]

export const AREAS = ['platform', 'login', 'access', 'billing', 'evidence', 'mobile'] as const
export type Area = (typeof AREAS)[number]

export interface CheckMeta {
  /** kebab-case noun for the thing checked; equals the file name in checks/. */
  id: string
  /** Worded for the passing state: "Readiness endpoints report ready". */
  title: string
  /** Worded for the failing state: "A readiness endpoint reports a failing dependency". */
  failureTitle: string
  area: Area
  description: string
  /** Config key paths this check needs (all of them); without them it is skipped, never failed. */
  needs: string[]
  /**
   * Every knowledge-base reference a result of this check can carry: "entry#cause" for a cause
   * it confirms, or "entry" when it sees the symptom but cannot tell the cause. Declared up front
   * so the KB and the check can be cross-checked both ways; returning an undeclared reference is
   * a bug that defineCheck turns into an error.
   */
  kb: string[]
  /**
   * The placeholders the check fills, per knowledge-base reference ("entry#cause" or "*" for
   * all): `{{url}}` in the KB text needs `url` here. A test proves every placeholder of every
   * cause a check confirms is among them; returning an undeclared one is an error.
   */
  vars?: Readonly<Record<string, readonly string[]>>
  /**
   * Spends seconds by design (a browser launch, clock samples spaced over time, a heavy client
   * to load): the runner starts such checks first so they do not end up last in the queue.
   */
  slow?: boolean
  /** The time the check needs at most, when that is more than the default per-check limit (a browser that loads pages). */
  timeoutMs?: number
}

/**
 * The cause a failing or warning result confirms: a reference into the knowledge base ("entry"
 * or "entry#cause") and the values its text needs. The text itself (summary, fix, verify) lives
 * only in the KB and is filled in by the session; `vars` must be declared in meta.vars.
 *
 * Legacy form, while checks move over: the check's own summary, fix and verify, shown as given.
 */
export interface CauseRef {
  kb?: string
  vars?: Vars
  summary?: string
  fix?: string[]
  verify?: string[]
}

/**
 * A check's conclusion before it becomes an outcome: how bad, the knowledge-base cause and the
 * values for its text, and what was found (one sentence). Checks collect these and report the worst.
 */
export interface Finding {
  status: 'warn' | 'fail'
  kb: string
  message: string
  vars?: Vars
  /** Legacy: the check's own fix steps (until its cause text moves to the KB). */
  fix?: string[]
  /** A supporting line for the evidence (the Set-Cookie behind a cookie finding). */
  detail?: string
}

export interface Evidence {
  observed?: unknown
  expected?: unknown
  notes?: string[]
  exchanges?: ExchangeRecord[]
}

/** One sub-result when a check looks at several things (endpoints, servers). */
export interface Item {
  label: string
  status: Status
  message: string
}

export interface CheckOutcome {
  status: Status
  message: string
  cause?: CauseRef
  evidence?: Evidence
  items?: Item[]
}

export interface CheckContext {
  config: DoctorConfig
  facts: Facts
  /** Aborted when the check times out or the run deadline passes. */
  signal: AbortSignal
  now(): number
  /** --allow-writes was given: checks may send the state-changing requests the config opts into. */
  allowWrites?: boolean
}

export interface Check {
  meta: CheckMeta
  /** Optional extra applicability test beyond `needs`; return a reason to skip, or undefined. */
  skipReason?(config: DoctorConfig): string | undefined
  run(ctx: CheckContext): Promise<CheckOutcome>
}

export function defineCheck(check: Check): Check {
  const run = check.run.bind(check)
  return {
    ...check,
    async run(ctx) {
      const outcome = await run(ctx)
      const ref = outcome.cause?.kb
      if (ref !== undefined && !check.meta.kb.includes(ref)) {
        throw new Error(
          `check ${check.meta.id} returned the knowledge-base reference "${ref}", which its meta.kb does not declare`,
        )
      }
      const declared = new Set([...(check.meta.vars?.[ref ?? ''] ?? []), ...(check.meta.vars?.['*'] ?? [])])
      const undeclared = Object.keys(outcome.cause?.vars ?? {}).filter((name) => !declared.has(name))
      if (undeclared.length > 0) {
        throw new Error(
          `check ${check.meta.id} passed ${undeclared.join(', ')} for "${ref}", which its meta.vars does not declare`,
        )
      }
      return outcome
    },
  }
}

const ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/

/** Lighthouse-style metadata validation, run when the registry loads. Returns problems, empty when valid. */
export function validateMeta(meta: Partial<CheckMeta> | undefined, fileId?: string): string[] {
  const problems: string[] = []
  if (!meta || typeof meta !== 'object') return ['has no meta object']
  const id = String(meta.id ?? '')
  if (!ID.test(id)) problems.push(`id "${id}" is not kebab-case`)
  if (fileId !== undefined && id !== fileId) problems.push(`id "${id}" does not match its file name "${fileId}"`)
  for (const key of ['title', 'failureTitle', 'description'] as const) {
    if (typeof meta[key] !== 'string' || meta[key]!.trim() === '') problems.push(`${id || '?'}: ${key} is missing`)
  }
  if (meta.title && meta.failureTitle && meta.title === meta.failureTitle)
    problems.push(`${id}: failureTitle must differ from title`)
  if (!AREAS.includes(meta.area as Area)) problems.push(`${id}: area "${meta.area}" is not one of ${AREAS.join(', ')}`)
  if (!Array.isArray(meta.needs)) problems.push(`${id}: needs must be an array of config key paths`)
  if (!Array.isArray(meta.kb)) problems.push(`${id}: kb must be an array of knowledge-base ids`)
  return problems
}

export const pass = (message: string, extra: Omit<CheckOutcome, 'status' | 'message'> = {}): CheckOutcome => ({
  status: 'pass',
  message,
  ...extra,
})
export const skip = (message: string): CheckOutcome => ({status: 'skip', message})
export const warn = (
  message: string,
  cause: CauseRef,
  extra: Omit<CheckOutcome, 'status' | 'message' | 'cause'> = {},
): CheckOutcome => ({status: 'warn', message, cause, ...extra})
export const fail = (
  message: string,
  cause: CauseRef,
  extra: Omit<CheckOutcome, 'status' | 'message' | 'cause'> = {},
): CheckOutcome => ({status: 'fail', message, cause, ...extra})

/**
 * doctor could not judge: the check itself could not get an answer (or got one it cannot read).
 * Never a verdict about the deployment; `notes` say what to look at or which key to set.
 */
export const error = (message: string, extra: Omit<CheckOutcome, 'status' | 'message'> = {}): CheckOutcome => ({
  status: 'error',
  message,
  ...extra,
})

/** The check ran out of time (its own limit, the run deadline, or a request aborted by them). */
export const timeout = (message: string, extra: Omit<CheckOutcome, 'status' | 'message'> = {}): CheckOutcome => ({
  status: 'timeout',
  message,
  ...extra,
})

/** A request that got no answer: timeout when it was aborted by a time limit, error otherwise. */
export const unanswered = (
  netError: {kind: string},
  message: string,
  extra: Omit<CheckOutcome, 'status' | 'message'> = {},
): CheckOutcome => (netError.kind === 'aborted' ? timeout(message, extra) : error(message, extra))

/** The finding that leads an outcome: the first failure, else the first warning. */
export function leading<F extends Finding>(findings: readonly F[]): F {
  return findings.find((f) => f.status === 'fail') ?? findings[0]
}

/** A finding as the check's outcome: its status and message, its KB cause and the values for its text. */
export function conclude(
  finding: Finding,
  extra: Omit<CheckOutcome, 'status' | 'message' | 'cause'> = {},
): CheckOutcome {
  return {
    status: finding.status,
    message: finding.message,
    cause: {kb: finding.kb, ...(finding.vars ? {vars: finding.vars} : {})},
    ...extra,
  }
}

/** Legacy: a finding with the check's own summary and verify steps. */
export function concluded(
  finding: Finding,
  summary: string,
  verify: string[],
  extra: Omit<CheckOutcome, 'status' | 'message' | 'cause'> = {},
): CheckOutcome {
  return {
    status: finding.status,
    message: finding.message,
    cause: {kb: finding.kb, summary, fix: finding.fix, verify},
    ...extra,
  }
}

/** Severity order used for verdicts and --fail-on. error and timeout rank with fail: doctor could not clear the check. */
export const RANK: Record<Status, number> = {pass: 0, skip: 0, warn: 1, error: 2, timeout: 2, fail: 2}

export function worst(statuses: Status[]): Status {
  const order: Status[] = ['fail', 'error', 'timeout', 'warn', 'pass', 'skip']
  for (const s of order) if (statuses.includes(s)) return s
  return 'skip'
}
