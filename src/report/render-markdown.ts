import {stringify} from 'yaml'
import type {Status} from '../engine/check.js'
import {formatMs} from '../util/duration.js'
import type {Report, ReportResult} from './schema.js'
import {summaryLine} from './render-text.js'

/** GitHub rejects issue comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536

export interface MarkdownOptions {
  /** Keep the document under this many characters (default: GitHub's comment limit). */
  maxChars?: number
}

const ICON: Record<Status, string> = {
  pass: '✅ pass',
  warn: '⚠️ warn',
  fail: '❌ fail',
  error: '💥 error',
  timeout: '⏱️ timeout',
  skip: '➖ skip',
}

/** Evidence caps tried in turn (characters per evidence block) until the document fits. */
const EVIDENCE_CAPS = [Number.POSITIVE_INFINITY, 8000, 4000, 2000, 1000, 400, 0]

/**
 * A report ready to paste into a GitHub issue: a one-line verdict, a summary table, each finding
 * with cause, fix and verification and its evidence folded in <details>, then environment,
 * redacted config and timings. When it would exceed the comment limit, evidence is shortened
 * step by step (and the document says so) rather than cutting the findings.
 */
export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const max = options.maxChars ?? GITHUB_COMMENT_LIMIT
  const full = build(report, {evidenceCap: Number.POSITIVE_INFINITY, config: true, timings: true})
  if (full.length <= max) return full
  for (const cap of EVIDENCE_CAPS.slice(1)) {
    const text = build(report, {evidenceCap: cap, config: cap > 0, timings: cap > 0, truncatedFrom: full.length})
    if (text.length <= max) return text
  }
  // Even without evidence it is too long (hundreds of findings): cut at a line and say so.
  const bare = build(report, {evidenceCap: 0, config: false, timings: false, truncatedFrom: full.length})
  const note = `\n\n> **Cut here:** the report is longer than ${max.toLocaleString('en-US')} characters even without evidence. Attach the JSON report (\`doctor report\`) for the rest.\n`
  const cut = bare.slice(0, max - note.length)
  return cut.slice(0, Math.max(0, cut.lastIndexOf('\n'))) + note
}

interface BuildOptions {
  evidenceCap: number
  config: boolean
  timings: boolean
  /** Set when this rendering is shortened: the full length, for the note. */
  truncatedFrom?: number
}

function build(report: Report, o: BuildOptions): string {
  const out: string[] = []
  const targets = report.config.targets.length
    ? report.config.targets.map((t) => code(t, true)).join(', ')
    : 'no target contacted'
  out.push(`## ${verdictIcon(report)} doctor: ${esc(summaryLine(report).replace(/^([^:]+):/, '$1 —'))}`, '')
  out.push(
    `Target ${targets} · doctor ${esc(report.tool.version)} · ${esc(report.startedAt)} · fail-on ${code(report.failOn)} · exit code ${report.exitCode}`,
    '',
  )
  if (o.truncatedFrom !== undefined) {
    out.push(
      `> **Shortened:** the full report is ${o.truncatedFrom.toLocaleString('en-US')} characters, over GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')}-character comment limit, so ${o.evidenceCap > 0 ? `each evidence block is cut to ${o.evidenceCap.toLocaleString('en-US')} characters` : 'evidence, config and timings are left out'}. The JSON report (\`doctor report\`) has everything.`,
      '',
    )
  }
  for (const w of report.warnings) out.push(`> **Warning:** ${esc(w)}`, '')

  out.push('| Status | Check | Result | Time |', '| --- | --- | --- | --- |')
  for (const r of report.results)
    out.push(
      `| ${ICON[r.status]} | ${code(r.id, true)} | ${cell(r.message)} | ${r.status === 'skip' ? '' : formatMs(r.durationMs)} |`,
    )
  out.push('')

  const findings = report.results.filter((r) => r.status !== 'pass' && r.status !== 'skip')
  if (findings.length) {
    out.push('### Findings', '')
    for (const r of findings) out.push(...finding(r, o.evidenceCap))
  }

  out.push('### Environment', '', '| | |', '| --- | --- |')
  out.push(`| doctor | ${esc(report.tool.version)} |`)
  out.push(`| Node.js | ${esc(report.environment.node)} |`)
  out.push(
    `| OS | ${esc(`${report.environment.platform} ${report.environment.arch}${report.environment.release ? ` (${report.environment.release})` : ''}`)} |`,
  )
  out.push(`| Targets | ${targets} |`)
  out.push(`| Config | ${report.config.path ? code(report.config.path, true) : 'in-memory'} |`)
  out.push(
    `| Options | ${cell(`concurrency ${report.options.concurrency}, check timeout ${formatMs(report.options.checkTimeoutMs)}, deadline ${formatMs(report.options.timeoutMs)}${report.options.ca ? `, CA ${report.options.ca}` : ''}${report.options.insecure ? ', TLS verification off' : ''}${report.options.allowWrites ? ', writes allowed' : ''}`)} |`,
  )
  out.push(
    `| Redacted | ${report.redactions.length ? cell(report.redactions.map((r) => `${r.kind} ×${r.count}`).join(', ')) : 'nothing'} |`,
    '',
  )

  if (o.config) {
    out.push(
      '<details><summary>Config (effective values, secrets redacted)</summary>',
      '',
      fence(stringify(report.config.values ?? {}).trimEnd(), 'yaml'),
      '',
      '</details>',
      '',
    )
  }
  if (o.timings) {
    const slowest = [...report.results].filter((r) => r.status !== 'skip').sort((a, b) => b.durationMs - a.durationMs)
    out.push(
      `<details><summary>Timings: ${formatMs(report.durationMs)} in all, ${report.http.requests} HTTP requests to ${report.http.distinctUrls} distinct URLs</summary>`,
      '',
    )
    out.push(
      '| Check | Time |',
      '| --- | --- |',
      ...slowest.map((r) => `| ${code(r.id, true)} | ${formatMs(r.durationMs)} |`),
      '',
      '</details>',
      '',
    )
  }
  out.push(
    `<sub>Generated by doctor ${esc(report.tool.version)}. Secrets are replaced by ‹redacted:kind:fingerprint› markers; the fingerprint matches two mentions of one value without revealing it.</sub>`,
    '',
  )
  return out.join('\n')
}

function finding(r: ReportResult, cap: number): string[] {
  const out = [`#### ${ICON[r.status]} ${code(r.id)}: ${esc(r.title)}`, '', `**Found:** ${esc(r.message)}`, '']
  const items = (r.items ?? []).filter((i) => i.status !== 'pass')
  if (items.length) out.push(...items.map((i) => `- ${ICON[i.status]} ${esc(i.label)}: ${esc(i.message)}`), '')
  if (r.cause) {
    out.push(`**Cause:** ${esc(r.cause.summary)}${r.cause.kb ? ` (${code(r.cause.kb)})` : ''}`, '')
    if (r.cause.fix.length) out.push('**Fix:**', '', ...r.cause.fix.map((s, i) => `${i + 1}. ${esc(s)}`), '')
    if (r.cause.verify.length) out.push('**Verify:**', '', ...r.cause.verify.map((s, i) => `${i + 1}. ${esc(s)}`), '')
    if (r.cause.kb) out.push(`More: \`doctor explain ${r.cause.kb}\``, '')
  }
  if (cap > 0) out.push(...evidence(r, cap))
  return out
}

function evidence(r: ReportResult, cap: number): string[] {
  const ev = r.evidence
  if (!ev) return []
  const {exchanges, ...rest} = ev
  const blocks: string[] = []
  const parts: string[] = []
  if (Object.values(rest).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0))) {
    parts.push('measurements')
    blocks.push(fence(clip(JSON.stringify(rest, null, 2), cap), 'json'))
  }
  if (exchanges?.length) {
    parts.push(`${exchanges.length} HTTP exchange${exchanges.length === 1 ? '' : 's'}`)
    const lines = exchanges.map((e) => {
      const head = `${e.method} ${e.url} → ${e.status ?? e.error?.kind ?? '?'} (${formatMs(e.durationMs)}) [${e.purpose}]`
      const headers = Object.entries(e.responseHeaders).map(
        ([k, v]) => `  < ${k}: ${Array.isArray(v) ? v.join(', ') : v}`,
      )
      const body = e.bodySnippet ? [`  < body: ${e.bodySnippet.replace(/\s+/g, ' ').slice(0, 300)}`] : []
      const error = e.error ? [`  ! ${e.error.message}`] : []
      return [head, ...headers, ...body, ...error].join('\n')
    })
    blocks.push(fence(clip(lines.join('\n'), cap), 'text'))
  }
  if (!blocks.length) return []
  return [
    `<details><summary>Evidence: ${parts.join(', ')}</summary>`,
    '',
    ...blocks.flatMap((b) => [b, '']),
    '</details>',
    '',
  ]
}

function verdictIcon(report: Report): string {
  return report.verdict === 'pass' ? '✅' : report.verdict === 'warn' ? '⚠️' : '❌'
}

function clip(text: string, cap: number): string {
  if (text.length <= cap) return text
  return `${text.slice(0, cap)}\n… (shortened: ${(text.length - cap).toLocaleString('en-US')} more characters in the JSON report)`
}

/** Prose from servers and configs: no raw HTML, so nothing can close a <details> or hide text. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A table cell: escaped, on one line, pipes that do not end the cell. */
export function cell(text: string): string {
  return esc(text).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
}

/** Inline code that survives backticks inside the value. */
function code(text: string, inTable = false): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length))
  const ticks = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${ticks}${pad}${inTable ? text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ') : text}${pad}${ticks}`
}

/** A fenced block whose fence is longer than any backtick run inside. */
function fence(text: string, lang: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length))
  const ticks = '`'.repeat(longest + 1)
  return `${ticks}${lang}\n${text}\n${ticks}`
}
