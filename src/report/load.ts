import {readFileSync} from 'node:fs'
import {UsageError} from '../errors.js'
import {REPORT_SCHEMA_VERSION, type Report, reportSchema} from './schema.js'

/** A report saved by `doctor report`, `--json` or `--format json`, validated against the versioned schema. */
export function readSavedReport(path: string): Report {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(
      code === 'ENOENT'
        ? `There is no report at ${path}. Save one with \`doctor report\` (it writes doctor-report.json) or \`doctor all --json > report.json\`.`
        : `doctor cannot read ${path}: ${(error as Error).message}.`,
    )
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new UsageError(
      `${path} is not a doctor JSON report: it is not valid JSON (${(error as Error).message}). A Markdown or JUnit report cannot be read back; use the .json file doctor wrote next to it.`,
    )
  }
  const version = raw && typeof raw === 'object' ? (raw as {schemaVersion?: unknown}).schemaVersion : undefined
  if (version === undefined)
    throw new UsageError(
      `${path} is JSON but not a doctor report: it has no schemaVersion. Save one with \`doctor report\` or \`doctor all --json\`.`,
    )
  if (version !== REPORT_SCHEMA_VERSION) {
    throw new UsageError(
      `${path} is a doctor report with schema version ${JSON.stringify(version)}; this doctor reads version ${REPORT_SCHEMA_VERSION}. Re-run the checks with this doctor, or read it with the doctor version that wrote it.`,
    )
  }
  const parsed = reportSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new UsageError(
      `${path} does not match the doctor report schema (report.schema.json); was it edited by hand?`,
      issues,
    )
  }
  return parsed.data
}
