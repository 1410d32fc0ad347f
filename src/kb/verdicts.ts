import type {Report} from '../report/schema.js'
import type {Entry} from './schema.js'

/**
 * What running the linked checks says about each cause of the matched entries:
 * - confirmed: a check failed or warned and pointed at exactly this cause (or one it is sameAs);
 * - possible: a check found this entry's symptom but could not tell which cause;
 * - other-cause: a linked check found a problem, but a different cause;
 * - ruled-out: every linked check that ran passed;
 * - not-checked: the linked checks were skipped (not configured, disabled);
 * - inconclusive: a linked check errored or timed out;
 * - not-checkable: no registered check can observe this cause (only a person can, `manual`).
 */
export const VERDICTS = [
  'confirmed',
  'possible',
  'other-cause',
  'ruled-out',
  'not-checked',
  'inconclusive',
  'not-checkable',
] as const
export type Verdict = (typeof VERDICTS)[number]

export interface CauseVerdict {
  ref: string
  summary: string
  verdict: Verdict
  /** One line per linked check: "readiness: pass — all 2 endpoints ready". */
  because: string[]
  manual?: string
}

/** The registered checks behind these entries' causes, in first-seen order. */
export function linkedChecks(entries: Entry[]): string[] {
  const ids: string[] = []
  for (const entry of entries) {
    if (entry.kind !== 'symptom') continue
    for (const cause of entry.causes) for (const id of cause.checks) if (!ids.includes(id)) ids.push(id)
  }
  return ids
}

export function causeVerdicts(entries: Entry[], report: Report | undefined): CauseVerdict[] {
  const out: CauseVerdict[] = []
  for (const entry of entries) {
    if (entry.kind !== 'symptom') continue
    for (const cause of entry.causes) {
      const ref = `${entry.id}#${cause.id}`
      const base = {
        ref,
        summary: cause.summary,
        ...(cause.manual ? {manual: cause.manual} : {}),
      }
      if (cause.checks.length === 0 || !report) {
        out.push({...base, verdict: 'not-checkable', because: []})
        continue
      }
      const results = cause.checks.map((id) => report.results.find((r) => r.id === id)).filter((r) => r !== undefined)
      const because = results.map((r) => `${r.id}: ${r.status} — ${r.message}`)
      const found = results.filter((r) => r.status === 'fail' || r.status === 'warn')
      let verdict: Verdict
      const refs = [ref, ...cause.sameAs]
      if (found.some((r) => r.cause?.kb !== undefined && refs.includes(r.cause.kb))) verdict = 'confirmed'
      else if (found.some((r) => r.cause?.kb === entry.id)) verdict = 'possible'
      else if (found.length > 0) verdict = 'other-cause'
      else if (results.some((r) => r.status === 'error' || r.status === 'timeout')) verdict = 'inconclusive'
      else if (results.some((r) => r.status === 'pass')) verdict = 'ruled-out'
      else verdict = 'not-checked'
      out.push({...base, verdict, because})
    }
  }
  return out
}
