import {BaseCommand} from '../cli/base.js'
import {outputFlags, runFlags} from '../cli/flags.js'
import type {Report} from '../report/schema.js'

export default class All extends BaseCommand {
  static override summary = 'Run every applicable check against the deployment.'
  static override description =
    'Checks without config for them are reported as skipped, never failed. Exit code: 0 when nothing is at or above --fail-on, 1 when something is, 2 for usage or config errors, 3 when doctor itself failed.'
  static override examples = [
    '<%= config.bin %> all -c doctor.yaml',
    '<%= config.bin %> all --fail-on warn --json > report.json',
    '<%= config.bin %> all --format junit --output doctor-junit.xml',
    '<%= config.bin %> all -o report.md',
    'DOCTOR_CONFIG=staging.yaml <%= config.bin %> all --concurrency 8 --check-timeout 20s',
  ]
  static override flags = {...runFlags, ...outputFlags}

  async run(): Promise<Report> {
    const {flags} = await this.parse(All)
    const {requireConfig, runDiagnosis} = await import('../cli/diagnose.js')
    const loaded = requireConfig(flags.config)
    return runDiagnosis(loaded, undefined, flags, this.output())
  }
}
