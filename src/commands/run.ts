import {Args} from '@oclif/core'
import {BaseCommand} from '../cli/base.js'
import {outputFlags, runFlags} from '../cli/flags.js'
import type {Report} from '../report/schema.js'

export default class Run extends BaseCommand {
  static override summary = 'Run the named checks.'
  static override description =
    'Checks named here run even when the config disables them. An unknown id is a usage error (exit 2) with a suggestion.'
  static override examples = [
    '<%= config.bin %> run clock-skew readiness -c doctor.yaml',
    '<%= config.bin %> run readiness --json',
  ]
  static override strict = false
  static override args = {ids: Args.string({required: true, description: 'Check ids (see `doctor list`).'})}
  static override flags = {...runFlags, ...outputFlags}

  async run(): Promise<Report> {
    const {flags, argv} = await this.parse(Run)
    const {requireConfig, runDiagnosis} = await import('../cli/diagnose.js')
    const {selectChecks} = await import('../engine/registry.js')
    const ids = [...new Set(argv as string[])]
    selectChecks(ids) // unknown ids fail before the config is read
    const loaded = requireConfig(flags.config)
    return runDiagnosis(loaded, ids, flags, this.output())
  }
}
