import {painter, wrap, type KbTextOptions} from './render-text.js'
import type {CauseVerdict, Verdict} from './verdicts.js'

const LABEL: Record<Verdict, string> = {
  confirmed: '✗ confirmed',
  possible: '! possible',
  'other-cause': '· other cause',
  'ruled-out': '✓ ruled out',
  'not-checked': '- not checked',
  inconclusive: '? inconclusive',
  'not-checkable': '· not checkable',
}

/** The --run section: each cause with what the linked checks said about it. */
export function renderVerdictsText(checks: string[], verdicts: CauseVerdict[], options: KbTextOptions): string {
  const c = painter(options.color)
  const paint: Record<Verdict, (s: string) => string> = {
    confirmed: c.red,
    possible: c.yellow,
    'other-cause': c.gray,
    'ruled-out': c.green,
    'not-checked': c.gray,
    inconclusive: c.yellow,
    'not-checkable': c.gray,
  }
  const width = Math.max(60, Math.min(options.width, 120))
  const out: string[] = [c.bold('Which cause applies')]
  if (checks.length === 0)
    out.push(c.gray('No registered check can observe these causes; the steps in the entry are for a person.'))
  // What each check said, once; the causes below refer to it.
  const seen = new Set<string>()
  for (const line of verdicts.flatMap((v) => v.because)) {
    if (seen.has(line)) continue
    seen.add(line)
    out.push(...wrap(line, width, '    ', `  ${c.gray('↳')} `))
  }
  if (seen.size) out.push('')
  const order: Verdict[] = [
    'confirmed',
    'possible',
    'inconclusive',
    'ruled-out',
    'not-checked',
    'other-cause',
    'not-checkable',
  ]
  for (const verdict of order) {
    const group = verdicts.filter((v) => v.verdict === verdict)
    if (group.length === 0) continue
    if (verdict === 'other-cause') {
      // The check found something else; listing each such cause in full adds nothing.
      out.push(
        ...wrap(
          group.map((v) => v.ref).join(', '),
          width,
          ' '.repeat(18),
          `  ${paint[verdict](LABEL[verdict].padEnd(16))}`,
        ),
      )
      continue
    }
    for (const v of group) {
      out.push(`  ${paint[v.verdict](LABEL[v.verdict].padEnd(16))}${v.ref}`)
      out.push(...wrap(v.summary, width, ' '.repeat(18)))
      if (v.verdict === 'not-checkable') {
        if (v.manual)
          out.push(...wrap(`look at: ${v.manual}`, width, ' '.repeat(20), ' '.repeat(18)).map((l) => c.gray(l)))
      }
    }
  }
  const confirmed = verdicts.filter((v) => v.verdict === 'confirmed' || v.verdict === 'possible')
  if (confirmed.length)
    out.push(
      '',
      `See the fix and verification: ${confirmed.map((v) => `doctor explain ${v.verdict === 'confirmed' ? v.ref : v.ref.split('#')[0]}`).join(', ')}`,
    )
  return out.join('\n') + '\n'
}
