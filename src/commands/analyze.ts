import {Args} from '@oclif/core'
import {BaseCommand} from '../cli/base.js'
import {outputFlags} from '../cli/flags.js'

export default class Analyze extends BaseCommand {
  static override summary = 'Re-render a saved JSON report, or compare two to see what a change fixed.'
  static override description = `With one report: render it again in any format (text, markdown, junit, json), e.g. the JSON a customer attached as Markdown for the issue. With two (before, after): list what was fixed, what is new, what is still failing and what was not re-checked; exit 1 when the after run still has or newly has a finding at or above its --fail-on, else 0. Reads the versioned JSON that \`doctor report\`, \`--json\` and \`--format json\` write; anything else is a usage error (exit 2). Text is redacted again on the way out.`
  static override examples = [
    '<%= config.bin %> analyze doctor-report.json --format markdown',
    '<%= config.bin %> analyze before.json after.json',
    '<%= config.bin %> analyze before.json after.json --format markdown -o comparison.md',
  ]
  static override strict = false
  static override args = {
    report: Args.string({required: true, description: 'A JSON report (doctor-report.json).'}),
    after: Args.string({
      required: false,
      description: 'A later JSON report of the same deployment, to compare with the first.',
    }),
  }
  static override flags = outputFlags

  async run(): Promise<unknown> {
    const {flags, argv} = await this.parse(Analyze)
    const {analyze} = await import('../report/analyze.js')
    const {UsageError} = await import('../errors.js')
    if (argv.length > 2)
      throw new UsageError(`doctor analyze takes one report, or two to compare (before, after); it got ${argv.length}.`)
    const out = this.output()
    const result = analyze(argv as string[], {
      format: flags.format,
      output: flags.output,
      json: out.json,
      print: (text) => this.print(text),
      setGuard: out.setGuard,
    })
    process.exitCode = result.exitCode
    return result.json
  }
}
