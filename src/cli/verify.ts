import {existsSync} from 'node:fs'
import {UsageError} from '../errors.js'
import {resolveRef, openKnowledgeBase} from '../kb/kb.js'
import {painter, wrap} from '../kb/render-text.js'
import {renderVerdictsText} from '../kb/render-verdicts.js'
import type {Cause, Entry} from '../kb/schema.js'
import {type CauseVerdict, causeVerdicts} from '../kb/verdicts.js'
import {selectChecks} from '../engine/registry.js'
import {type Comparison, compareReports} from '../report/compare.js'
import {Redactor} from '../redact/redactor.js'
import {readSavedReport} from '../report/load.js'
import {writeGuarded} from '../report/output.js'
import {renderReport, terminal} from '../report/render.js'
import type {Report} from '../report/schema.js'
import {DEFAULT_REPORT_JSON} from '../report/support.js'
import {formatMs} from '../util/duration.js'
import {relative} from '../expect/expectations.js'
import {LABEL} from '../report/render-text.js'
import {type CommandOutput, type DiagnoseFlags, outputFormat, requireConfig, runSession} from './diagnose.js'

export interface VerifyFlags extends DiagnoseFlags {
  before?: string
  kb?: string
}

export interface VerifyResult {
  entry: string
  cause?: string
  checks: string[]
  before?: {path: string; startedAt: string}
  comparison?: Comparison
  verdicts: {before?: CauseVerdict[]; after: CauseVerdict[]}
  exitCode: 0 | 1
  report?: Report
}

/** `doctor verify`: the checks behind one entry, before (last saved report) and after (now). */
export async function verifyEntry(ref: string, flags: VerifyFlags, out: CommandOutput): Promise<VerifyResult> {
  const kb = openKnowledgeBase(flags.kb)
  const resolved = resolveRef(kb, ref)
  if (resolved.kind === 'none')
    throw new UsageError(
      `No knowledge-base entry has the id "${ref}".${resolved.suggestion} Find one with \`doctor explain "<error text>"\`.`,
    )
  if (resolved.kind === 'unknown-cause') {
    const causes = resolved.entry.kind === 'symptom' ? resolved.entry.causes.map((c) => c.id) : []
    throw new UsageError(
      `Entry ${resolved.entry.id} has no cause "${resolved.cause}". Its causes: ${causes.join(', ') || 'none'}.`,
    )
  }
  const {entry, cause} = resolved
  if (entry.kind !== 'symptom')
    throw new UsageError(
      `${entry.id} is a guide, not a symptom with causes; there is nothing to verify. Read it with \`doctor explain ${entry.id}\`.`,
    )
  const causes = cause ? [cause] : entry.causes
  const checks = [...new Set(causes.flatMap((c) => c.checks))]
  const scoped: Entry = {...entry, causes}
  const format = outputFormat(flags, out)
  const {color, width} = terminal()
  const c = painter(color)
  const lines: string[] = [c.bold(`Verifying ${entry.id}${cause ? `#${cause.id}` : ''}: ${entry.title}`), '']

  const beforePath = flags.before ?? (existsSync(DEFAULT_REPORT_JSON) ? DEFAULT_REPORT_JSON : undefined)
  // A saved report may come from another machine or an older doctor: it is redacted again before any of it is shown.
  const before = beforePath ? new Redactor().redactAll(readSavedReport(beforePath)) : undefined
  const result: VerifyResult = {
    entry: entry.id,
    ...(cause ? {cause: cause.id} : {}),
    checks,
    verdicts: {after: []},
    exitCode: 0,
  }

  if (checks.length === 0) {
    lines.push(c.gray('No registered check can observe these causes from outside; verify by hand:'), '')
    lines.push(...verificationSteps(causes, c, width))
    result.verdicts.after = causeVerdicts([scoped], undefined)
    if (!out.json) out.print(`${lines.join('\n')}\n`)
    return result
  }

  const loaded = requireConfig(flags.config)
  const {report, redactor} = await runSession(loaded, selectChecks(checks), flags, out, true)
  result.report = report
  result.exitCode = report.exitCode
  process.exitCode = report.exitCode
  if (flags.output && flags.output !== '-') writeGuarded(flags.output, renderReport(report, format), redactor)

  const after = causeVerdicts([scoped], report)
  result.verdicts.after = after
  if (before) {
    const prior: Report = {...before, results: before.results.filter((r) => checks.includes(r.id))}
    result.before = {path: beforePath!, startedAt: before.startedAt}
    result.comparison = compareReports(prior, report)
    result.verdicts.before = causeVerdicts([scoped], prior)
    lines.push(
      `Before: ${beforePath} (${before.startedAt}, ${relative(Date.parse(before.startedAt), Date.now())}). After: now (${formatMs(report.durationMs)}).`,
      '',
    )
    lines.push(...beforeAfter(checks, prior, report, c, width))
  } else {
    lines.push(
      c.gray(
        `No saved report to compare with (looked for ${flags.before ?? `./${DEFAULT_REPORT_JSON}`}). Next time, run \`doctor report\` before applying the fix to see before and after.`,
      ),
      '',
    )
    lines.push(...beforeAfter(checks, undefined, report, c, width))
  }
  lines.push('', renderVerdictsText(checks, after, {color, width}).trimEnd(), '')

  // Verification steps: for the causes the before run confirmed, else every cause in scope.
  const confirmedBefore = new Set(
    (result.verdicts.before ?? []).filter((v) => v.verdict === 'confirmed').map((v) => v.ref.split('#')[1]),
  )
  const focus = causes.filter((x) => confirmedBefore.has(x.id))
  lines.push(
    c.bold(`How to verify by hand${focus.length ? ` (${focus.map((x) => x.id).join(', ')})` : ''}`),
    ...verificationSteps(focus.length ? focus : causes, c, width),
  )
  const s = report.summary
  lines.push(
    '',
    report.exitCode === 0
      ? c.green(
          `✓ The linked checks pass now (${s.pass} passed${s.skip ? `, ${s.skip} skipped: not configured` : ''}).`,
        )
      : c.red(
          `✗ Still failing: ${report.results
            .filter((r) => r.status !== 'pass' && r.status !== 'skip')
            .map((r) => r.id)
            .join(', ')}.`,
        ),
  )
  if (!out.json) out.print(`${lines.join('\n')}\n`)
  return result
}

function beforeAfter(
  checks: string[],
  before: Report | undefined,
  after: Report,
  c: ReturnType<typeof painter>,
  width: number,
): string[] {
  const idWidth = Math.max(...checks.map((id) => id.length)) + 2
  const out: string[] = []
  for (const id of checks) {
    const b = before?.results.find((r) => r.id === id)
    const a = after.results.find((r) => r.id === id)
    const was = b ? LABEL[b.status] : before ? 'not run' : ''
    const now = a ? LABEL[a.status] : 'not run'
    const bad = (s?: string) => s !== undefined && !['pass', 'skip'].includes(s)
    const tag = !before
      ? ''
      : bad(b?.status) && a?.status === 'pass'
        ? c.green('fixed')
        : bad(b?.status) && bad(a?.status)
          ? c.red('still failing')
          : !bad(b?.status) && bad(a?.status)
            ? c.red('new')
            : ''
    out.push(`  ${id.padEnd(idWidth)}${before ? `${was.padEnd(10)} → ` : ''}${now.padEnd(10)} ${tag}`.trimEnd())
    if (a && a.status !== 'pass') out.push(...wrap(a.message, width, ' '.repeat(idWidth + 4), ' '.repeat(idWidth + 4)))
  }
  return out
}

function verificationSteps(causes: Cause[], c: ReturnType<typeof painter>, width: number): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  let n = 0
  for (const cause of causes) {
    for (const step of cause.verify) {
      const key = `${step.text}|${step.command ?? ''}`
      if (seen.has(key)) continue
      seen.add(key)
      n++
      out.push(...wrap(`${n}. ${step.text}`, width, '     ', '  '))
      if (step.command) out.push(`     ${c.cyan('$')} ${step.command}`)
      out.push(...wrap(`expect: ${step.expect}`, width, '     ', '     '))
    }
  }
  return out
}
