import {join} from 'node:path'
import {formatMs} from '../util/duration.js'
import {isArchivePath, writeBundle} from './bundle.js'
import {type OutputGuard, writeGuarded} from './output.js'
import {chooseFormat, type Format, renderReport} from './render.js'
import {summaryLine} from './render-text.js'
import type {Report} from './schema.js'

export const DEFAULT_REPORT_JSON = 'doctor-report.json'
export const DEFAULT_REPORT_MD = 'doctor-report.md'

export interface SupportOptions {
  format?: Format
  output?: string
  outputDir?: string
  bundle?: string
  force?: boolean
  /** Guarded stdout. */
  print(text: string): void
  /** --json: stdout belongs to the JSON report, so the summary goes to stderr. */
  quiet: boolean
}

export interface Written {
  path: string
  format: Format | 'bundle'
  size: number
}

/** `doctor report`: write the report files (and bundle) and say what went where. */
export async function writeSupportReport(report: Report, guard: OutputGuard, o: SupportOptions): Promise<Written[]> {
  const written: Written[] = []
  let stdoutTaken = o.quiet
  const write = (path: string, format: Format) => {
    const text = renderReport(report, format)
    writeGuarded(path, text, guard)
    written.push({path, format, size: text.length})
  }
  if (o.output === '-' || (o.format && !o.output)) {
    o.print(renderReport(report, chooseFormat(o.format, undefined)))
    stdoutTaken = true
  } else if (o.output) {
    write(o.output, chooseFormat(o.format, o.output))
  } else {
    const dir = o.outputDir ?? '.'
    write(join(dir, DEFAULT_REPORT_MD), 'markdown')
    write(join(dir, DEFAULT_REPORT_JSON), 'json')
  }
  if (o.bundle) {
    const summary = await writeBundle(o.bundle, report, guard, {force: o.force})
    written.push({path: o.bundle, format: 'bundle', size: summary.files.reduce((n, f) => n + f.bytes, 0)})
  }
  const lines = [summaryLine(report)]
  for (const w of written) lines.push(`  wrote ${w.path}: ${describe(w, report)}`)
  const redacted = report.redactions.reduce((n, r) => n + r.count, 0)
  lines.push(
    `  ${redacted ? `${redacted} secret value${redacted === 1 ? '' : 's'} replaced (${report.redactions.map((r) => `${r.kind} ×${r.count}`).join(', ')})` : 'nothing needed redacting'}; every file was scanned for known secrets before it was written. Checks took ${formatMs(report.durationMs)}.`,
  )
  const text = `${lines.join('\n')}\n`
  if (stdoutTaken) process.stderr.write(text)
  else o.print(text)
  return written
}

function describe(w: Written, report: Report): string {
  switch (w.format) {
    case 'markdown':
      return `${w.size.toLocaleString('en-US')} characters, paste it into the issue (GitHub's limit is 65,536)`
    case 'json':
      return `the full report (schema v${report.schemaVersion}); \`doctor analyze\` and \`doctor verify\` read it`
    case 'junit':
      return 'JUnit XML for CI test views'
    case 'bundle':
      return `${isArchivePath(w.path) ? 'archive' : 'folder'} with the report, HTTP exchanges (HAR), per-check evidence and redactions.json`
    default:
      return 'plain text'
  }
}
