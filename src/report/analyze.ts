import {UsageError} from '../errors.js'
import {Redactor} from '../redact/redactor.js'
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
  const redactor = new Redactor()
  redactor.addSecretEnv(process.env)
  o.setGuard(redactor)
  const reports = paths.map((p) => redactor.redactDeep(readSavedReport(p)))
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
  if (format === 'junit') throw new UsageError('JUnit describes one run, not a comparison. Render the later report alone (`doctor analyze after.json --format junit`), or compare as text, markdown or json.')
  const comparison = compareReports(before, after)
  const labels = {before: paths[0], after: paths[1]}
  const json = {before: {path: paths[0], startedAt: before.startedAt, verdict: before.verdict}, after: {path: paths[1], startedAt: after.startedAt, verdict: after.verdict}, ...comparison}
  if (format === 'json') emit(`${JSON.stringify(json, null, 2)}\n`)
  else if (format === 'markdown') emit(renderComparisonMarkdown(comparison, before, after, labels))
  else emit(renderComparisonText(comparison, before, after, labels))
  return {exitCode: comparisonExitCode(comparison, after.failOn), json}
}
