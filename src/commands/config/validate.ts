import {BaseCommand} from '../../cli/base.js'
import {configFlag} from '../../cli/flags.js'

export default class ConfigValidate extends BaseCommand {
  static override summary =
    'Check doctor.yaml: syntax, types, unknown keys, and the environment variables it references.'
  static override description =
    'Exit code 0 when valid, 2 with every problem listed (file:line:column and key path) when not. Nothing is sent over the network.'
  static override examples = ['<%= config.bin %> config validate -c doctor.yaml']
  static override flags = configFlag

  async run(): Promise<{
    valid: true
    path: string
    enabled: string[]
    notConfigured: Array<{id: string; reason: string}>
    envVars: string[]
  }> {
    const {flags} = await this.parse(ConfigValidate)
    const {requireConfig} = await import('../../cli/diagnose.js')
    const {allChecks} = await import('../../engine/registry.js')
    const {skipReason} = await import('../../app/session.js')
    const loaded = requireConfig(flags.config)
    const enabled: string[] = []
    const notConfigured: Array<{id: string; reason: string}> = []
    for (const check of allChecks()) {
      const reason = skipReason(check, loaded.config)
      if (reason) notConfigured.push({id: check.meta.id, reason})
      else enabled.push(check.meta.id)
    }
    const envVars = [...new Set(loaded.envRefs.map((r) => r.name))].sort()
    if (!this.jsonEnabled()) {
      const lines = [`${loaded.path} is valid.`, `Enabled checks (${enabled.length}): ${enabled.join(', ') || 'none'}`]
      for (const n of notConfigured) lines.push(`  ${n.id}: ${n.reason}`)
      if (envVars.length) lines.push(`Environment variables used: ${envVars.join(', ')} (all set)`)
      this.print(`${lines.join('\n')}\n`)
    }
    return {valid: true, path: loaded.path!, enabled, notConfigured, envVars}
  }
}
