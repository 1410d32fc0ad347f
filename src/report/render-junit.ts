import {hostname} from 'node:os'
import {RANK} from '../engine/check.js'
import type {Report, ReportResult} from './schema.js'

/**
 * JUnit XML as CI test views read it (Jenkins, GitLab, GitHub Actions reporters, Azure DevOps):
 * one <testsuite> named after the target, one <testcase> per check. A result at or above
 * --fail-on is a <failure> whose message is the finding and whose body carries cause, fix and
 * verification; error and timeout are <error>; skip is <skipped>; a warning below --fail-on
 * passes with the warning in <system-out>, so CI shows it without failing the build.
 */
export function renderJUnit(report: Report): string {
  const threshold = report.failOn === 'warn' ? 1 : 2
  const failures = report.results.filter(
    (r) => r.status !== 'error' && r.status !== 'timeout' && r.status !== 'skip' && RANK[r.status] >= threshold,
  ).length
  const errors = report.results.filter((r) => r.status === 'error' || r.status === 'timeout').length
  const skipped = report.results.filter((r) => r.status === 'skip').length
  const tests = report.results.length
  const time = seconds(report.durationMs)
  const timestamp = report.startedAt.replace(/\.\d+Z$/, '').replace(/Z$/, '')
  const suiteName = `doctor ${report.config.targets.join(' ') || '(no target contacted)'}`
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}"`

  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="doctor" ${counts}>`]
  lines.push(
    `  <testsuite name="${attr(suiteName)}" ${counts} timestamp="${timestamp}" hostname="${attr(hostname())}">`,
  )
  lines.push('    <properties>')
  const props: Array<[string, string]> = [
    ['doctor.version', report.tool.version],
    ['doctor.verdict', report.verdict],
    ['doctor.failOn', report.failOn],
    ['doctor.exitCode', String(report.exitCode)],
    ['doctor.config', report.config.path ?? 'in-memory'],
    ['node.version', report.environment.node],
    ['os', `${report.environment.platform} ${report.environment.arch}`],
  ]
  for (const [name, value] of props) lines.push(`      <property name="${attr(name)}" value="${attr(value)}"/>`)
  lines.push('    </properties>')
  for (const r of report.results) lines.push(...testcase(r, threshold))
  lines.push('  </testsuite>', '</testsuites>', '')
  return lines.join('\n')
}

function testcase(r: ReportResult, threshold: number): string[] {
  const open = `    <testcase classname="doctor.${attr(r.area)}" name="${attr(`${r.id}: ${r.title}`)}" time="${seconds(r.durationMs)}"`
  if (r.status === 'pass') return [`${open}/>`]
  const inner: string[] = []
  if (r.status === 'skip') inner.push(`      <skipped message="${attr(r.message)}"/>`)
  else if (r.status === 'error' || r.status === 'timeout')
    inner.push(`      <error type="${r.status}" message="${attr(r.message)}">${text(body(r))}</error>`)
  else if (RANK[r.status] >= threshold)
    inner.push(
      `      <failure type="${r.status}" message="${attr(r.cause ? `${r.message}. Cause: ${r.cause.summary}` : r.message)}">${text(body(r))}</failure>`,
    )
  else inner.push(`      <system-out>${text(`warning: ${r.message}\n\n${body(r)}`)}</system-out>`)
  return [`${open}>`, ...inner, '    </testcase>']
}

/** Cause, fix and verification as plain text, the way a CI log view shows a failure body. */
function body(r: ReportResult): string {
  const out = [`${r.status.toUpperCase()}: ${r.message}`]
  for (const item of r.items ?? []) if (item.status !== 'pass') out.push(`  - ${item.label}: ${item.message}`)
  if (r.cause) {
    out.push('', `Cause: ${r.cause.summary}`)
    if (r.cause.fix.length) out.push('', 'Fix:', ...r.cause.fix.map((s, i) => `  ${i + 1}. ${s}`))
    if (r.cause.verify.length) out.push('', 'Verify:', ...r.cause.verify.map((s, i) => `  ${i + 1}. ${s}`))
    if (r.cause.kb) out.push('', `More: doctor explain ${r.cause.kb}`)
  }
  for (const note of r.evidence?.notes ?? []) out.push('', `Note: ${note}`)
  return out.join('\n')
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3)
}

/** Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/F). */
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

function text(value: string): string {
  return value.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')
}
