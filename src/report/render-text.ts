import Table from 'cli-table3'
import {wrap as wrapWords} from '../util/text.js'
import ansis from 'ansis'
import type {Status} from '../engine/check.js'
import {formatMs} from '../util/duration.js'
import type {Report, ReportResult} from './schema.js'

export interface TextOptions {
  color: boolean
  width: number
}

/** Status as the text renderers show it. */
export const LABEL: Record<Status, string> = {
  pass: '✓ pass',
  warn: '! warn',
  fail: '✗ fail',
  skip: '- skip',
  error: '✗ error',
  timeout: '✗ timeout',
}

function paint(color: boolean) {
  const c = color ? ansis : (new Proxy({}, {get: () => (s: string) => s}) as unknown as typeof ansis)
  const byStatus: Record<Status, (s: string) => string> = {
    pass: c.green,
    warn: c.yellow,
    fail: c.red,
    error: c.red,
    timeout: c.red,
    skip: c.gray,
  }
  return {c, byStatus}
}

/** The human report: one line per check, then cause / fix / verification for each finding. */
export function renderText(report: Report, options: TextOptions): string {
  const {c, byStatus} = paint(options.color)
  const width = Math.max(60, Math.min(options.width, 160))
  const out: string[] = []
  const target = report.config.targets.join(', ') || 'no target contacted'
  out.push(
    c.bold(`doctor ${report.tool.version}`) + c.gray(` · ${report.config.path ?? 'in-memory config'} · ${target}`),
    '',
  )
  for (const w of report.warnings) out.push(c.yellow(`warning: ${w}`))

  const idWidth = Math.max(8, ...report.results.map((r) => r.id.length)) + 2
  const table = new Table({
    head: ['Status', 'Check', 'Result', 'Time'],
    colWidths: [11, idWidth, Math.max(20, width - 11 - idWidth - 9 - 5), 9],
    wordWrap: true,
    wrapOnWordBoundary: true,
    style: {head: options.color ? ['bold'] : [], border: options.color ? ['gray'] : [], compact: true},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
  })
  for (const r of report.results) {
    table.push([
      byStatus[r.status](LABEL[r.status]),
      r.id,
      r.message,
      r.status === 'skip' ? '' : formatMs(r.durationMs),
    ])
  }
  out.push(table.toString())

  const findings = report.results.filter((r) => r.status !== 'pass' && r.status !== 'skip')
  for (const r of findings) out.push('', ...renderFinding(r, c, byStatus, width))

  out.push('', summaryLine(report, c, byStatus))
  return out.join('\n') + '\n'
}

function renderFinding(
  r: ReportResult,
  c: typeof ansis,
  byStatus: Record<Status, (s: string) => string>,
  width: number,
): string[] {
  const lines = [byStatus[r.status](`${LABEL[r.status].split(' ')[0]} ${r.id}`) + c.bold(` — ${r.title}`)]
  const wrap = (label: string, text: string) => {
    const indent = ' '.repeat(11)
    return text
      .split('\n')
      .flatMap((para, p) => wrapWords(para, width, indent, p === 0 ? `  ${c.bold(label.padEnd(9))}` : indent))
  }
  lines.push(...wrap('Found', r.message))
  for (const item of r.items ?? []) {
    const text = `${item.label}: ${item.message}`
    if (item.status !== 'pass' && !r.message.includes(text)) lines.push(...wrap('', `${LABEL[item.status]}  ${text}`))
  }
  if (r.cause) {
    lines.push(...wrap('Cause', r.cause.summary))
    r.cause.fix.forEach((step, i) => lines.push(...wrap(i === 0 ? 'Fix' : '', `${i + 1}. ${step}`)))
    r.cause.verify.forEach((step, i) => lines.push(...wrap(i === 0 ? 'Verify' : '', `${i + 1}. ${step}`)))
    if (r.cause.kb) lines.push(...wrap('More', `doctor explain ${r.cause.kb}`))
  }
  const ev = r.evidence
  // Short evidence reads well inline; measurements and recorded exchanges belong in --json.
  const observed = brief(ev?.observed)
  const expected = brief(ev?.expected)
  if (observed) lines.push(...wrap('Observed', observed))
  if (expected) lines.push(...wrap('Expected', expected))
  if ((ev?.observed !== undefined && !observed) || ev?.exchanges?.length)
    lines.push(
      ...wrap('Evidence', `${ev?.exchanges?.length ?? 0} recorded HTTP exchange(s) and measurements: run with --json`),
    )
  for (const note of ev?.notes ?? []) if (r.status !== 'error') lines.push(...wrap('Note', note))
  if (r.status === 'error' && ev?.notes?.length) lines.push(...wrap('Trace', ev.notes[0]))
  return lines
}

function brief(value: unknown): string | undefined {
  if (value === undefined) return undefined
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length <= 160 ? text : undefined
}

/** One line: verdict, counts, time and requests. Plain unless a painter is given (Markdown and files must never carry ANSI codes). */
export function summaryLine(
  report: Report,
  c: typeof ansis = paint(false).c,
  byStatus?: Record<Status, (s: string) => string>,
): string {
  const s = report.summary
  const parts: string[] = []
  const add = (n: number, label: string, status: Status) =>
    n > 0 && parts.push(byStatus ? byStatus[status](`${n} ${label}`) : `${n} ${label}`)
  add(s.fail, 'failed', 'fail')
  add(s.error, 'errored', 'error')
  add(s.timeout, 'timed out', 'timeout')
  add(s.warn, s.warn === 1 ? 'warning' : 'warnings', 'warn')
  add(s.pass, 'passed', 'pass')
  add(s.skip, 'skipped', 'skip')
  const verdict =
    report.verdict === 'pass' ? 'No problems found' : report.verdict === 'warn' ? 'Warnings found' : 'Problems found'
  return `${c.bold(verdict)}: ${parts.join(', ') || 'no checks ran'} in ${formatMs(report.durationMs)}, ${report.http.requests} HTTP requests.`
}
