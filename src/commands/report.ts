import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base.js'
import {outputFlags, runFlags} from '../cli/flags.js'

export default class ReportCommand extends BaseCommand {
  static override summary = 'Run every applicable check and write a redacted support report to attach to an issue.'
  static override description = `By default writes doctor-report.md (GitHub-issue ready: verdict, summary table, each finding with cause, fix, verification and folded evidence, environment, redacted config, timings; kept under GitHub's 65,536-character comment limit) and doctor-report.json (the full versioned report, which \`doctor analyze\` and \`doctor verify\` read back). --format/--output write one format instead; --bundle adds the raw evidence (HTTP exchanges as HAR, per-check evidence, screenshots) and a redactions.json listing what was redacted where, as a folder or a .tar.gz.

Secrets (config fields marked secret, secret-named env vars, Authorization/Cookie/Set-Cookie/API-key headers, JWTs, token shapes, URL passwords, code/state/token query parameters, private keys) are replaced by ‹redacted:kind:fingerprint› markers, and every file's final bytes are scanned for known secret values in plain, URL-encoded, JSON-escaped and base64 form before it is written: if one is found, nothing is written (exit 3). Exit code otherwise as \`doctor all\`.`
  static override examples = [
    '<%= config.bin %> report -c doctor.yaml',
    '<%= config.bin %> report --bundle support-bundle.tar.gz',
    '<%= config.bin %> report --format markdown --output - | pbcopy',
    '<%= config.bin %> report --redact-emails --output-dir /tmp/ticket-1234',
  ]
  static override flags = {
    ...runFlags,
    ...outputFlags,
    'output-dir': Flags.string({
      summary: 'Folder for doctor-report.md and doctor-report.json (default: the current folder).',
      helpValue: 'DIR',
      exclusive: ['output'],
    }),
    bundle: Flags.string({
      summary: 'Also write a support bundle: a folder, or an archive when the name ends in .tar.gz or .tgz.',
      helpValue: 'DIR|FILE.tar.gz',
    }),
    force: Flags.boolean({
      default: false,
      summary: 'Let --bundle write into a non-empty folder or replace an existing archive.',
    }),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ReportCommand)
    const {requireConfig, outputFormat, runSession} = await import('../cli/diagnose.js')
    const {writeSupportReport} = await import('../report/support.js')
    const out = this.output()
    if (flags.format || flags.output) outputFormat(flags, out)
    const loaded = requireConfig(flags.config)
    const {allChecks} = await import('../engine/registry.js')
    const {report, redactor} = await runSession(loaded, allChecks(), flags, out, false)
    await writeSupportReport(report, redactor, {
      format: flags.format,
      output: flags.output,
      outputDir: flags['output-dir'],
      bundle: flags.bundle,
      force: flags.force,
      print: (text) => this.print(text),
      quiet: out.json,
    })
    process.exitCode = report.exitCode
    return report
  }
}
