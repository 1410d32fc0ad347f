import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base.js'
import {runFlags} from '../cli/flags.js'
import type {Entry} from '../kb/schema.js'
import type {SearchHit} from '../kb/search.js'
import type {CauseVerdict} from '../kb/verdicts.js'

interface ExplainResult {
  query: string
  mode: 'entry' | 'search'
  /** Set when the id given is retired: the entry shown replaces it. */
  retired?: {id: string; replacedBy: string; reason: string}
  matches: Array<SearchHit & {entry: Entry}>
  run?: {checks: string[]; exitCode: 0 | 1; verdicts: CauseVerdict[]}
}

const MAX_STDIN = 1024 * 1024
const ID_LIKE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:#[a-z][a-z0-9-]*)?$/

export default class Explain extends BaseCommand {
  static override summary = 'Explain a knowledge-base entry, or find the entries that match pasted error text.'
  static override description = `Give an entry id (see \`doctor docs build\`, or ids in check output) to read the entry: the symptom, the strings you may see, its causes with fix and verification steps.

Give any other text, such as an error message, a status line or a whole log line, to get the best-matching entries with a relevance score. Matching ignores case and punctuation, tolerates context around the error and accepts partial strings. Use "-" to read the text from stdin.

With --run, doctor also runs the checks linked to the matching causes with your config and says which cause is confirmed, ruled out, or cannot be checked from outside.`
  static override examples = [
    '<%= config.bin %> explain oidc-redirect-uri-rejected',
    '<%= config.bin %> explain "Error 400: redirect_uri_mismatch"',
    'kubectl logs deploy/api | tail -n 20 | <%= config.bin %> explain -',
    '<%= config.bin %> explain service-not-ready --run -c doctor.yaml',
    '<%= config.bin %> explain "invalid_token" --json --limit 5',
  ]
  static override strict = false
  static override args = {
    query: Args.string({
      required: true,
      description: 'An entry id (entry or entry#cause), pasted error text, or "-" for stdin.',
    }),
  }
  static override flags = {
    ...runFlags,
    limit: Flags.integer({min: 1, max: 20, default: 3, summary: 'How many matches to show for pasted text.'}),
    product: Flags.string({
      summary: 'Only entries for this product (release-passport, rack-gateway, api-test, secrets-bridge).',
      helpValue: 'ID',
    }),
    run: Flags.boolean({
      default: false,
      summary: 'Run the checks linked to the matching causes and say which cause is confirmed or ruled out.',
    }),
    kb: Flags.string({
      summary: 'Knowledge-base folder to read instead of the bundled one.',
      helpValue: 'DIR',
      hidden: true,
    }),
  }

  async run(): Promise<ExplainResult> {
    const {flags, argv} = await this.parse(Explain)
    const {UsageError} = await import('../errors.js')
    const {openKnowledgeBase, resolveRef, searchIndex} = await import('../kb/kb.js')
    const {search} = await import('../kb/search.js')
    const {renderEntryText, renderMatchesText} = await import('../kb/render-text.js')

    let query = (argv as string[]).join(' ')
    if (query.trim() === '-') query = await readStdin()
    if (query.trim() === '')
      throw new UsageError(
        'Nothing to explain: give an entry id or paste the error text (quote it, or pipe it in with "-").',
      )
    const kb = openKnowledgeBase(flags.kb)
    if (flags.product && !kb.product(flags.product)) {
      const {didYouMean} = await import('../util/suggest.js')
      throw new UsageError(
        `Unknown product "${flags.product}".${didYouMean(
          flags.product,
          kb.products.map((p) => p.id),
        )} Known products: ${kb.products.map((p) => p.id).join(', ')}.`,
      )
    }
    const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR
    const width = process.stdout.columns || 100
    const result: ExplainResult = {query, mode: 'search', matches: []}
    let text = ''

    const trimmed = query.trim()
    const ref = ID_LIKE.test(trimmed) ? resolveRef(kb, trimmed) : undefined
    if (ref?.kind === 'unknown-cause') {
      const causes = ref.entry.kind === 'symptom' ? ref.entry.causes.map((c) => c.id) : []
      const {didYouMean} = await import('../util/suggest.js')
      throw new UsageError(
        `Entry ${ref.entry.id} has no cause "${ref.cause}".${didYouMean(ref.cause, causes)} Its causes: ${causes.join(', ') || 'none (it is a guide)'}.`,
      )
    }
    if (ref?.kind === 'entry') {
      result.mode = 'entry'
      if (ref.retired)
        result.retired = {id: ref.retired.id, replacedBy: ref.retired.replacedBy, reason: ref.retired.reason}
      result.matches = [{id: ref.entry.id, title: ref.entry.title, score: 1, entry: ref.entry}]
      if (ref.retired)
        text += `Note: "${ref.retired.id}" was retired on ${ref.retired.retiredOn} (${ref.retired.reason}); showing ${ref.retired.replacedBy}.\n\n`
      text += renderEntryText(kb, ref.entry, {color, width, ...(ref.cause ? {focusCause: ref.cause.id} : {})})
    } else {
      let hits = search(searchIndex(kb), query, flags.product ? 50 : flags.limit)
      if (flags.product)
        hits = hits.filter((h) => kb.entry(h.id)!.products.some((p) => p.id === flags.product)).slice(0, flags.limit)
      result.matches = hits.map((h) => ({...h, entry: kb.entry(h.id)!}))
      text += renderMatchesText(kb, query, hits, {color, width, full: !flags.run})
      if (ref?.kind === 'none' && ref.suggestion) text = `No entry has the id "${trimmed}".${ref.suggestion}\n\n${text}`
    }

    if (flags.run) {
      const entries = result.matches.map((m) => m.entry)
      const {causeVerdicts, linkedChecks} = await import('../kb/verdicts.js')
      const {renderVerdictsText} = await import('../kb/render-verdicts.js')
      const checks = linkedChecks(entries)
      if (checks.length === 0) {
        result.run = {checks, exitCode: 0, verdicts: causeVerdicts(entries, undefined)}
      } else {
        const {requireConfig, runSession} = await import('../cli/diagnose.js')
        const {selectChecks} = await import('../engine/registry.js')
        const {report} = await runSession(
          requireConfig(flags.config),
          selectChecks(checks),
          flags,
          this.output(),
          false,
        )
        result.run = {checks, exitCode: report.exitCode, verdicts: causeVerdicts(entries, report)}
        process.exitCode = report.exitCode
      }
      text += `\n${renderVerdictsText(result.run.checks, result.run.verdicts, {color, width})}`
    }
    if (!this.jsonEnabled()) this.print(text)
    return result
  }
}

async function readStdin(): Promise<string> {
  const {UsageError} = await import('../errors.js')
  if (process.stdin.isTTY)
    throw new UsageError(
      '"-" reads the text to explain from stdin, but stdin is a terminal. Pipe the text in, e.g. `tail -n 20 app.log | doctor explain -`.',
    )
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length
    if (size > MAX_STDIN)
      throw new UsageError(
        `stdin is larger than ${MAX_STDIN / 1024} KiB; pipe in only the lines around the error (e.g. \`tail -n 50\`).`,
      )
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}
