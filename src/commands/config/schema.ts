import {BaseCommand} from '../../cli/base.js'

export default class ConfigSchema extends BaseCommand {
  static override summary = 'Print the JSON Schema of doctor.yaml, for editor completion and validation.'
  static override description =
    'Add `# yaml-language-server: $schema=./doctor.schema.json` at the top of doctor.yaml to get completion in editors that use the YAML language server.'
  static override examples = ['<%= config.bin %> config schema > doctor.schema.json']

  async run(): Promise<Record<string, unknown>> {
    await this.parse(ConfigSchema)
    const {configJsonSchema} = await import('../../config/schema.js')
    const {checkIds} = await import('../../engine/registry.js')
    const schema = configJsonSchema(checkIds())
    if (!this.jsonEnabled()) this.print(`${JSON.stringify(schema, null, 2)}\n`)
    return schema
  }
}
