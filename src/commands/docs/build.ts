import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base.js'
import type {BuildResult} from '../../kb/site/build.js'

export default class DocsBuild extends BaseCommand {
  static override summary = 'Build the troubleshooting docs site (HTML, or Markdown) from the knowledge base.'
  static override description = `Writes an index with search, one page per entry, one troubleshooting page per product (Symptom | Likely cause | Fix | Verification) and a reference page per check. The HTML is plain HTML and CSS that reads well without JavaScript and on a 320 px wide phone; search runs in the browser with the same ranking as \`doctor explain\`. --format markdown writes GitHub-flavoured Markdown for an existing docs tool.

The knowledge base is validated first: a broken entry stops the build (exit 2) with file:line for every problem.`
  static override examples = [
    '<%= config.bin %> docs build --out site',
    '<%= config.bin %> docs build --out docs/troubleshooting --format markdown',
  ]
  static override flags = {
    out: Flags.string({
      char: 'o',
      required: true,
      summary: 'Output folder (created; a previous build there is replaced).',
      helpValue: 'DIR',
    }),
    format: Flags.option({
      options: ['html', 'markdown'] as const,
      default: 'html' as const,
      summary: 'Output format.',
    })(),
    clean: Flags.boolean({
      default: false,
      summary: 'Replace the contents of a non-empty folder that was not written by doctor.',
    }),
    kb: Flags.string({
      summary: 'Knowledge-base folder to read instead of the bundled one.',
      helpValue: 'DIR',
      hidden: true,
    }),
  }

  async run(): Promise<BuildResult> {
    const {flags} = await this.parse(DocsBuild)
    const {openKnowledgeBase} = await import('../../kb/kb.js')
    const {allChecks} = await import('../../engine/registry.js')
    const {buildSite} = await import('../../kb/site/build.js')
    const started = performance.now()
    const kb = openKnowledgeBase(flags.kb)
    const result = buildSite(
      kb,
      allChecks().map((c) => c.meta),
      {out: flags.out, format: flags.format, version: this.config.version, clean: flags.clean},
    )
    if (!this.jsonEnabled()) {
      const index = flags.format === 'html' ? 'index.html' : 'index.md'
      this.print(
        `Wrote ${result.files.length} files (${result.entries} entries, ${result.products} products, ${result.checks} checks) to ${result.out} in ${Math.round(performance.now() - started)} ms.\nOpen ${result.out}/${index}\n`,
      )
    }
    return result
  }
}
