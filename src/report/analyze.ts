import {UsageError} from '../errors.js'
import {compilePattern, type RedactorOptions, type RedactPattern, Redactor} from '../redact/redactor.js'
import {compareReports, comparisonExitCode, renderComparisonMarkdown, renderComparisonText} from './compare.js'
import {readSavedReport} from './load.js'
import {type OutputGuard, writeGuarded} from './output.js'
import {chooseOutputFormat, type Format, renderReport, terminal} from './render.js'
import type {Report} from './schema.js'

export interface AnalyzeOptions {
  format?: Format
  output?: string
  json: boolean
  print(text: string): void
  setGuard(guard: OutputGuard): void
}

/**
 * `doctor analyze`: a saved report is already redacted, but it may come from another machine
 * or have been edited, so it passes through the pattern redactor again and this machine's
 * secret-named env vars guard everything written.
 */
export function analyze(paths: string[], o: AnalyzeOptions): {exitCode: 0 | 1; json: unknown} {
  const saved = paths.map((p) => readSavedReport(p))
  // The deployment's own redact.names and redact.patterns travel in the report's config.
  const redactor = new Redactor(redactOptionsOf(saved))
  redactor.addSecretEnv(process.env)
  o.setGuard(redactor)
  const reports = saved.map((r) => redactor.redactAll(r))
  const format = chooseOutputFormat(o.format, o.output, o.json)
  const emit = (text: string) => {
    if (o.output && o.output !== '-') writeGuarded(o.output, text, redactor)
    else if (!o.json) o.print(text)
  }

  if (reports.length === 1) {
    const [report] = reports
    const toFile = o.output !== undefined && o.output !== '-'
    emit(renderReport(report, format, toFile ? {} : terminal()))
    return {exitCode: 0, json: report}
  }

  const [before, after] = reports as [Report, Report]
  if (format === 'junit')
    throw new UsageError(
      'JUnit describes one run, not a comparison. Render the later report alone (`doctor analyze after.json --format junit`), or compare as text, markdown or json.',
    )
  const comparison = compareReports(before, after)
  const labels = {before: paths[0], after: paths[1]}
  const json = {
    before: {path: paths[0], startedAt: before.startedAt, verdict: before.verdict},
    after: {path: paths[1], startedAt: after.startedAt, verdict: after.verdict},
    ...comparison,
  }
  if (format === 'json') emit(`${JSON.stringify(json, null, 2)}\n`)
  else if (format === 'markdown') emit(renderComparisonMarkdown(comparison, before, after, labels))
  else emit(renderComparisonText(comparison, before, after, labels))
  return {exitCode: comparisonExitCode(comparison, after.failOn), json}
}

/** redact.names and redact.patterns from saved reports' configs; patterns that do not compile (an edited file) are dropped. */
function redactOptionsOf(reports: Report[]): RedactorOptions {
  const names: string[] = []
  const patterns: RedactPattern[] = []
  for (const r of reports) {
    const redact = (r.config.values as {redact?: {names?: unknown; patterns?: unknown}} | null)?.redact
    if (Array.isArray(redact?.names)) names.push(...redact.names.filter((n): n is string => typeof n === 'string'))
    if (!Array.isArray(redact?.patterns)) continue
    for (const p of redact.patterns as unknown[]) {
      const pattern: RedactPattern | undefined =
        typeof p === 'string'
          ? {pattern: p}
          : p && typeof p === 'object' && typeof (p as RedactPattern).pattern === 'string'
            ? (p as RedactPattern)
            : undefined
      if (!pattern) continue
      try {
        compilePattern(pattern)
        patterns.push(pattern)
      } catch {
        // Not ours to fix here; the built-in rules still apply.
      }
    }
  }
  return {names, patterns}
}
