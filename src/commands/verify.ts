import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base.js'
import {outputFlags, runFlags} from '../cli/flags.js'

export default class Verify extends BaseCommand {
  static override summary = 'Re-run the checks behind one knowledge-base entry and show before and after.'
  static override description = `Closes the loop of a troubleshooting table (symptom, likely cause, fix, verification): after applying a fix, run \`doctor verify <entry-id>\` to re-run only the checks linked to that entry's causes (or to one cause, with entry#cause). "Before" is the last saved report: --before FILE, else ./doctor-report.json as \`doctor report\` writes it. The output lists each check before → after (fixed, still failing, new), what the checks now say about each cause, and ends with the entry's verification steps for the person at the keyboard. Exit code as \`doctor run\`: 1 while a linked check still fails.`
  static override examples = [
    '<%= config.bin %> report -c doctor.yaml            # before the fix: saves doctor-report.json',
    '<%= config.bin %> verify oidc-redirect-uri-rejected -c doctor.yaml',
    '<%= config.bin %> verify service-not-ready#dependency-down --before yesterday.json',
  ]
  static override args = {
    entry: Args.string({
      required: true,
      description: 'A knowledge-base entry id (or entry#cause), as printed after "More: doctor explain".',
    }),
  }
  static override flags = {
    ...runFlags,
    ...outputFlags,
    before: Flags.string({
      summary: 'The saved JSON report to compare with (default: ./doctor-report.json when it exists).',
      helpValue: 'FILE',
    }),
    kb: Flags.string({
      summary: 'Knowledge-base folder to read instead of the bundled one.',
      helpValue: 'DIR',
      hidden: true,
    }),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Verify)
    const {verifyEntry} = await import('../cli/verify.js')
    const out = this.output()
    const result = await verifyEntry(args.entry, flags, out)
    return result
  }
}
