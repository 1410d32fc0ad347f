import type {CauseRef, CheckOutcome} from '../engine/check.js'
import {fillText, stepLine} from './fill.js'
import type {KnowledgeBase} from './load.js'

/** A cause as a report carries it: self-contained text, placeholders filled. */
export interface CauseText {
  kb?: string
  summary: string
  fix: string[]
  verify: string[]
  vars?: CauseRef['vars']
}

export type FilledOutcome = Omit<CheckOutcome, 'cause'> & {cause?: CauseText}

/**
 * The one step that turns a check's `{kb, vars}` into text: the KB cause's summary, fix and
 * verify (or the entry's `undetermined` block), placeholders filled with the check's values.
 * A check that still writes its own text (legacy) keeps it; a reference with no text in the KB
 * falls back to the check's finding.
 */
export function causeText(kb: KnowledgeBase | undefined, cause: CauseRef, message: string): CauseText {
  const vars = cause.vars ?? {}
  const ref = cause.kb
  const withVars = Object.keys(vars).length > 0 ? {vars: cause.vars} : {}
  if (cause.summary !== undefined || !ref || !kb) {
    return {
      ...(ref ? {kb: ref} : {}),
      summary: cause.summary ?? message,
      fix: cause.fix ?? [],
      verify: cause.verify ?? [],
      ...withVars,
    }
  }
  const template = kb.template(ref)
  if (!template) return {kb: ref, summary: message, fix: [], verify: [], ...withVars}
  return {
    kb: ref,
    summary: fillText(template.summary, vars),
    fix: template.fix.map((s) => stepLine(s, vars)),
    verify: template.verify.map((s) => stepLine(s, vars)),
    ...withVars,
  }
}

/** An outcome with its cause text filled in (what the report and the tests read). */
export function withCauseText(kb: KnowledgeBase | undefined, outcome: CheckOutcome): FilledOutcome {
  if (!outcome.cause) return outcome as FilledOutcome
  return {...outcome, cause: causeText(kb, outcome.cause, outcome.message)}
}

/** True when some outcome needs the KB to be filled (so a run that needs none never loads it). */
export const needsKb = (outcomes: readonly CheckOutcome[]): boolean =>
  outcomes.some((o) => o.cause?.kb !== undefined && o.cause.summary === undefined)
