import {RANK, type Status} from '../engine/check.js'
import {cell as esc} from './render-markdown.js'
import type {Report, ReportResult} from './schema.js'

export interface CheckChange {
  id: string
  title: string
  before?: Status
  after?: Status
  beforeMessage?: string
  afterMessage?: string
  /** The confirmed cause (entry#cause) before and after, when a check named one. */
  beforeCause?: string
  afterCause?: string
}

/** How two runs of the same checks differ: what a support engineer reads to confirm a fix. */
export interface Comparison {
  fixed: CheckChange[]
  new: CheckChange[]
  stillFailing: CheckChange[]
  /** A finding before, but the check did not run (or was skipped) after: not confirmed either way. */
  notRechecked: CheckChange[]
  unchanged: CheckChange[]
}

const isFinding = (s: Status | undefined) => s !== undefined && RANK[s] >= 1
const ran = (s: Status | undefined) => s !== undefined && s !== 'skip'

export function compareReports(before: Report, after: Report): Comparison {
  const out: Comparison = {fixed: [], new: [], stillFailing: [], notRechecked: [], unchanged: []}
  const b = new Map(before.results.map((r) => [r.id, r]))
  const a = new Map(after.results.map((r) => [r.id, r]))
  const ids = [...new Set([...b.keys(), ...a.keys()])]
  for (const id of ids) {
    const x = b.get(id)
    const y = a.get(id)
    const change = describe(id, x, y)
    if (isFinding(x?.status) && isFinding(y?.status)) out.stillFailing.push(change)
    else if (isFinding(x?.status) && ran(y?.status)) out.fixed.push(change)
    else if (isFinding(x?.status)) out.notRechecked.push(change)
    else if (isFinding(y?.status)) out.new.push(change)
    else out.unchanged.push(change)
  }
  return out
}

function describe(id: string, x: ReportResult | undefined, y: ReportResult | undefined): CheckChange {
  return {
    id,
    title: (y ?? x)!.title,
    ...(x ? {before: x.status, beforeMessage: x.message} : {}),
    ...(y ? {after: y.status, afterMessage: y.message} : {}),
    ...(x?.cause?.kb ? {beforeCause: x.cause.kb} : {}),
    ...(y?.cause?.kb ? {afterCause: y.cause.kb} : {}),
  }
}

/** 1 when the after run still has, or newly has, a finding at or above its --fail-on. */
export function comparisonExitCode(c: Comparison, failOn: 'warn' | 'fail'): 0 | 1 {
  const threshold = failOn === 'warn' ? 1 : 2
  return [...c.new, ...c.stillFailing].some((x) => x.after && RANK[x.after] >= threshold) ? 1 : 0
}

const SECTIONS: Array<[keyof Comparison, string, string]> = [
  ['fixed', 'Fixed', 'a finding before, passing now'],
  ['new', 'New', 'passing or absent before, a finding now'],
  ['stillFailing', 'Still failing', 'a finding in both runs'],
  ['notRechecked', 'Not re-checked', 'a finding before; skipped or not run now'],
]

export function renderComparisonText(
  c: Comparison,
  before: Report,
  after: Report,
  labels = {before: 'before', after: 'after'},
): string {
  const out = [
    `Comparing ${labels.before} (${before.startedAt}, ${before.verdict}) with ${labels.after} (${after.startedAt}, ${after.verdict})`,
    '',
  ]
  for (const [key, title, meaning] of SECTIONS) {
    const list = c[key]
    out.push(`${title}: ${list.length}${list.length ? ` (${meaning})` : ''}`)
    for (const x of list) {
      out.push(`  ${x.id}: ${x.before ?? 'not run'} → ${x.after ?? 'not run'}${causeChange(x)}`)
      if (x.afterMessage && key !== 'fixed') out.push(`      now: ${x.afterMessage}`)
      else if (x.beforeMessage && key === 'fixed') out.push(`      was: ${x.beforeMessage}`)
    }
  }
  out.push(`Unchanged and healthy: ${c.unchanged.length}`)
  return `${out.join('\n')}\n`
}

export function renderComparisonMarkdown(
  c: Comparison,
  before: Report,
  after: Report,
  labels = {before: 'before', after: 'after'},
): string {
  const out = [
    `## doctor: ${c.fixed.length} fixed, ${c.new.length} new, ${c.stillFailing.length} still failing`,
    '',
    `${esc(labels.before)} (${before.startedAt}, ${before.verdict}) → ${esc(labels.after)} (${after.startedAt}, ${after.verdict})`,
    '',
  ]
  const rows = SECTIONS.flatMap(([key, title]) =>
    c[key].map(
      (x) =>
        `| ${title} | \`${x.id}\` | ${x.before ?? 'not run'} → ${x.after ?? 'not run'}${esc(causeChange(x))} | ${esc(x.afterMessage ?? x.beforeMessage ?? '')} |`,
    ),
  )
  if (rows.length) out.push('| Change | Check | Status | Now |', '| --- | --- | --- | --- |', ...rows, '')
  out.push(`${c.unchanged.length} checks unchanged and healthy.`, '')
  return out.join('\n')
}

function causeChange(x: CheckChange): string {
  if (x.beforeCause && x.afterCause && x.beforeCause !== x.afterCause)
    return ` (cause ${x.beforeCause} → ${x.afterCause})`
  return ''
}
