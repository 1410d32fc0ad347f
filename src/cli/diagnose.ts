import {loadConfigFile, resolveConfigPath, type LoadedConfig} from '../config/load.js'
import {UsageError} from '../errors.js'
import type {Check} from '../engine/check.js'
import {allChecks, checkIds, selectChecks} from '../engine/registry.js'
import {diagnose} from '../app/session.js'
import {writeGuarded} from '../report/output.js'
import {chooseOutputFormat, type Format, renderReport, terminal} from '../report/render.js'
import {renderText} from '../report/render-text.js'
import type {Report} from '../report/schema.js'
import {makeProgress} from './progress.js'

export interface DiagnoseFlags {
  config?: string
  'fail-on': 'warn' | 'fail'
  concurrency: number
  'check-timeout'?: number
  timeout: number
  ca?: string
  insecure: boolean
  'allow-writes'?: boolean
  'redact-emails'?: boolean
  format?: Format
  output?: string
}

/** Load the config named by -c / DOCTOR_CONFIG / ./doctor.yaml; it is required for running checks. */
export function requireConfig(flag: string | undefined): LoadedConfig {
  const path = resolveConfigPath(flag)
  if (!path) {
    throw new UsageError(
      'No config file found. doctor looked for -c FILE, then $DOCTOR_CONFIG, then doctor.yaml, doctor.yml and doctor.json in the current directory. Create one (README "Configuration"), or try `npm run demo` to see doctor diagnose a bundled sandbox.',
    )
  }
  return loadConfigFile(path, checkIds())
}

export interface CommandOutput {
  json: boolean
  version: string
  print(text: string): void
  setGuard(guard: {assertClean(text: string | Uint8Array, where?: string): void}): void
}

/**
 * Run checks with the shared flags, progress on stderr, and the session's redactor guarding
 * everything the command prints afterwards. Renders nothing.
 */
export async function runSession(
  loaded: LoadedConfig,
  checks: readonly Check[],
  flags: DiagnoseFlags,
  out: CommandOutput,
  explicit: boolean,
) {
  if (flags.insecure && !out.json)
    process.stderr.write('warning: --insecure: TLS certificates are not verified; this is recorded in the report.\n')
  const session = await diagnose(loaded, checks, {
    concurrency: flags.concurrency,
    checkTimeoutMs: flags['check-timeout'],
    timeoutMs: flags.timeout,
    failOn: flags['fail-on'],
    caFile: flags.ca,
    insecure: flags.insecure,
    allowWrites: flags['allow-writes'] ?? false,
    redactEmails: flags['redact-emails'] ?? false,
    explicit,
    version: out.version,
    progress: makeProgress({json: out.json}),
  })
  out.setGuard(session.redactor)
  return session
}

/** Shared by `doctor all`, `doctor run` and `doctor demo`: run, render, set the exit code. */
export async function runDiagnosis(
  loaded: LoadedConfig,
  ids: readonly string[] | undefined,
  flags: DiagnoseFlags,
  out: CommandOutput,
): Promise<Report> {
  const checks: readonly Check[] = ids ? selectChecks(ids) : allChecks()
  const format = outputFormat(flags, out)
  const {report, redactor} = await runSession(loaded, checks, flags, out, ids !== undefined)
  const toFile = flags.output !== undefined && flags.output !== '-'
  if (toFile) {
    writeGuarded(flags.output!, renderReport(report, format), redactor)
    if (!out.json) process.stderr.write(`Wrote the ${format} report to ${flags.output}.\n`)
  }
  if (!out.json) out.print(toFile || format === 'text' ? renderText(report, terminal()) : renderReport(report, format))
  process.exitCode = report.exitCode
  return report
}

/** The format --format/--output ask for, refused early (before any check runs) when it contradicts --json. */
export function outputFormat(flags: {format?: Format; output?: string}, out: {json: boolean}): Format {
  return chooseOutputFormat(flags.format, flags.output, out.json)
}
