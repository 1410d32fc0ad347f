import ansis from 'ansis'
import type {KnowledgeBase} from './load.js'
import type {Cause, Entry, Step, StepObject} from './schema.js'
import {stepObject} from './schema.js'
import {shorten as cut, wrap} from '../util/text.js'
import type {SearchHit} from './search.js'

export interface KbTextOptions {
  color: boolean
  width: number
}

type Paint = typeof ansis
/** ansis when colour is on, identity functions otherwise. */
export function painter(color: boolean): Paint {
  return color ? ansis : (new Proxy({}, {get: () => (s: string) => s}) as unknown as Paint)
}

export {wrap} from '../util/text.js'

function renderStep(step: Step, n: number, c: Paint, width: number, indent: string): string[] {
  const s: StepObject = stepObject(step)
  const head = `${indent}${n}. `
  const body = ' '.repeat(head.length)
  const lines = wrap(s.text, width, body, head)
  if (s.command) {
    const tag = s.effect === 'changes' ? c.yellow('[changes something]') : c.green('[read-only]')
    lines.push(`${body}${tag}`)
    for (const cmdLine of s.command.split('\n')) lines.push(`${body}${c.cyan('$')} ${cmdLine}`)
  }
  if (s.expect) lines.push(...wrap(s.expect, width, `${body}  `, `${body}${c.green('✓')} `))
  return lines
}

export function checkedBy(cause: Cause): string {
  const parts: string[] = []
  if (cause.checks.length)
    parts.push(`doctor checks this: ${cause.checks.map((id) => `\`doctor run ${id}\``).join(', ')}`)
  if (cause.manual)
    parts.push(`${cause.checks.length ? 'also look at' : 'not checkable from outside; look at'}: ${cause.manual}`)
  return parts.join('; ')
}

function renderCause(cause: Cause, n: number, c: Paint, width: number, entryId: string): string[] {
  const lines: string[] = ['']
  lines.push(...wrap(cause.summary, width, '      ', `  ${c.bold(`${n}.`)}  `).map((l, i) => (i === 0 ? c.bold(l) : l)))
  lines.push(c.gray(`      ${entryId}#${cause.id}`))
  lines.push(...wrap(cause.explanation, width, '      '))
  lines.push(...wrap(checkedBy(cause), width, '      ', `      ${c.magenta('Checks:')} `))
  lines.push(`      ${c.bold('Fix')}`)
  cause.fix.forEach((step, i) => lines.push(...renderStep(step, i + 1, c, width, '        ')))
  lines.push(`      ${c.bold('Verify')}`)
  cause.verify.forEach((step, i) => lines.push(...renderStep(step, i + 1, c, width, '        ')))
  return lines
}

/** One entry for a terminal: symptom, strings, products, first steps, causes with fix and verify. */
export function renderEntryText(
  kb: KnowledgeBase,
  entry: Entry,
  options: KbTextOptions & {focusCause?: string},
): string {
  const c = painter(options.color)
  const width = Math.max(60, Math.min(options.width, 120))
  const out: string[] = []
  const products = entry.products.map((p) => kb.product(p.id)?.name ?? p.id)
  out.push(c.bold(entry.title))
  out.push(
    c.gray(
      `${entry.id} · ${entry.kind === 'guide' ? 'guide · ' : ''}${entry.area} · ${products.length ? products.join(', ') : 'any deployment'}`,
    ),
  )
  out.push('', ...wrap(entry.summary, width))
  if (entry.strings.length) {
    out.push('', c.bold('What you may see'))
    for (const s of entry.strings.slice(0, 8)) out.push(...wrap(s, width, '    ', '  • '))
    if (entry.strings.length > 8) out.push(c.gray(`    … and ${entry.strings.length - 8} more (--json lists them all)`))
  }
  for (const use of entry.products) {
    if (!use.details) continue
    out.push('', c.bold(kb.product(use.id)?.name ?? use.id))
    out.push(...wrap(use.details, width, '  '))
  }
  if (entry.kind === 'guide') {
    for (const section of entry.sections) {
      out.push('', c.bold(section.title))
      if (section.intro) out.push(...wrap(section.intro, width, '  '))
      section.steps.forEach((step, i) => out.push(...renderStep(step, i + 1, c, width, '  ')))
    }
  } else {
    if (entry.diagnose.length) {
      out.push('', c.bold('First steps'))
      entry.diagnose.forEach((step, i) => out.push(...renderStep(step, i + 1, c, width, '  ')))
    }
    if (entry.undetermined && !options.focusCause) {
      out.push('', c.bold('When a check sees this but cannot tell the cause'))
      out.push(...wrap(entry.undetermined.summary, width, '  '))
      entry.undetermined.fix.forEach((step, i) => out.push(...renderStep(step, i + 1, c, width, '  ')))
    }
    const causes = options.focusCause ? entry.causes.filter((x) => x.id === options.focusCause) : entry.causes
    out.push('', c.bold(options.focusCause ? 'Cause' : `Likely causes (${causes.length})`))
    causes.forEach((cause, i) =>
      out.push(...renderCause(cause, options.focusCause ? entry.causes.indexOf(cause) + 1 : i + 1, c, width, entry.id)),
    )
  }
  if (entry.related.length) out.push('', `${c.bold('Related:')} ${entry.related.join(', ')}`)
  return out.join('\n') + '\n'
}

/** The ranked list for pasted text, followed by the best entry in full when it clearly wins. */
export function renderMatchesText(
  kb: KnowledgeBase,
  query: string,
  hits: SearchHit[],
  options: KbTextOptions & {full: boolean},
): string {
  const c = painter(options.color)
  const width = Math.max(60, Math.min(options.width, 120))
  const out: string[] = []
  if (hits.length === 0) {
    out.push(`No knowledge-base entry matches ${JSON.stringify(shorten(query, 80))}.`)
    out.push(
      ...wrap(
        'Paste the exact error line (the message, status line or UI text), try fewer words, or browse the entries with `doctor docs build`.',
        width,
      ),
    )
    return out.join('\n') + '\n'
  }
  out.push(c.bold(`Best matches for ${JSON.stringify(shorten(query, 60))}`))
  for (const hit of hits) {
    const pct = `${Math.round(hit.score * 100)}%`.padStart(4)
    out.push(`  ${c.cyan(pct)}  ${c.bold(hit.id)}  ${hit.title}`)
    if (hit.matched)
      out.push(
        c.gray(
          `        matched ${hit.matched.how === 'contains' ? '' : `(${hit.matched.how}) `}${JSON.stringify(shorten(hit.matched.text, width - 30))}${hit.matched.cause ? ` → cause ${hit.matched.cause}` : ''}`,
        ),
      )
  }
  if (options.full) {
    const best = kb.entry(hits[0].id)!
    out.push('', c.gray('─'.repeat(Math.min(width, 80))), '')
    out.push(renderEntryText(kb, best, options).trimEnd())
  }
  out.push('', c.gray(`Show one entry: doctor explain <id>.  Confirm a cause: add --run.`))
  return out.join('\n') + '\n'
}

const shorten = (s: string, n: number): string => cut(s.replace(/\s+/g, ' ').trim(), n)
