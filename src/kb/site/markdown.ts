import type {CheckMeta} from '../../engine/check.js'
import {type Cause, type Entry, type Step, stepObject} from '../schema.js'
import type {Page} from './html.js'
import {codeBlockMarkdown, codeSpan, inlineMarkdown as inline} from './inline.js'
import {AREA_TITLES, type SiteModel} from './model.js'

/** The same site as Markdown (GFM tables), for projects that feed an existing docs tool. */
export function markdownPages(model: SiteModel): Page[] {
  const pages: Page[] = [{path: 'index.md', content: indexPage(model)}]
  for (const entry of model.kb.entries) pages.push({path: `entries/${entry.id}.md`, content: entryPage(model, entry)})
  for (const product of model.kb.products)
    pages.push({path: `products/${product.id}.md`, content: productPage(model, product.id)})
  for (const check of model.checks) pages.push({path: `checks/${check.id}.md`, content: checkPage(model, check)})
  return pages
}

function stepMd(step: Step, n: number, indent = ''): string {
  const s = stepObject(step)
  const pad = `${indent}   `
  const lines = [`${indent}${n}. ${inline(s.text)}`]
  if (s.command) {
    lines.push('', `${pad}*${s.effect === 'changes' ? 'Changes something' : 'Read-only'}:*`, '')
    lines.push(
      ...codeBlockMarkdown(s.command)
        .split('\n')
        .map((l) => pad + l),
    )
  }
  if (s.expect) lines.push('', `${pad}**Expect:** ${inline(s.expect)}`)
  return lines.join('\n')
}

const steps = (list: Step[]) => list.map((s, i) => stepMd(s, i + 1)).join('\n')

/** Table cells cannot hold blocks: steps become "1. … 2. …" with commands in code spans. */
function stepsCell(list: Step[]): string {
  return list
    .map((step, i) => {
      const s = stepObject(step)
      let cell = `${i + 1}. ${inline(s.text)}`
      if (s.command) cell += ` ${codeSpan(s.command.replace(/\n/g, ' '))} (${s.effect})`
      if (s.expect) cell += ` **Expect:** ${inline(s.expect)}`
      return cell
    })
    .join('<br>')
    .replace(/\|/g, '\\|')
}

function checkedBy(cause: Cause): string {
  const parts: string[] = []
  if (cause.checks.length)
    parts.push(`Checked by ${cause.checks.map((id) => `[${codeSpan(id)}](../checks/${id}.md)`).join(', ')}.`)
  if (cause.manual)
    parts.push(
      `${cause.checks.length ? 'Also look at' : 'Not checkable from outside. Look at'}: ${inline(cause.manual)}`,
    )
  return `*${parts.join(' ')}*`
}

function entryPage(model: SiteModel, entry: Entry): string {
  const {kb} = model
  const out: string[] = [`# ${inline(entry.title)}`, '']
  const products = entry.products.length
    ? entry.products.map((p) => `[${inline(kb.product(p.id)?.name ?? p.id)}](../products/${p.id}.md)`).join(', ')
    : 'any deployment'
  out.push(
    `${codeSpan(entry.id)} · ${inline(AREA_TITLES[entry.area] ?? entry.area)} · ${products}${entry.kind === 'guide' ? ' · guide' : ''}`,
    '',
  )
  out.push(inline(entry.summary), '')
  if (entry.strings.length) out.push('## What you may see', '', ...entry.strings.map((s) => `- ${codeSpan(s)}`), '')
  const details = entry.products.filter((p) => p.details)
  if (details.length) {
    out.push('## In each product', '')
    for (const use of details)
      out.push(`### ${inline(kb.product(use.id)?.name ?? use.id)}`, '', inline(use.details!), '')
  }
  if (entry.kind === 'guide') {
    for (const section of entry.sections) {
      out.push(`## ${inline(section.title)}`, '')
      if (section.intro) out.push(inline(section.intro), '')
      out.push(steps(section.steps), '')
    }
  } else {
    if (entry.diagnose.length) out.push('## First steps', '', steps(entry.diagnose), '')
    if (entry.undetermined)
      out.push(
        '## When a check sees this but cannot tell the cause',
        '',
        inline(entry.undetermined.summary),
        '',
        steps(entry.undetermined.fix),
        '',
        '**Verify**',
        '',
        steps(entry.undetermined.verify),
        '',
      )
    out.push('## Likely causes', '')
    entry.causes.forEach((cause, i) => {
      out.push(`<a id="${cause.id}"></a>`, '', `### ${i + 1}. ${inline(cause.summary)}`, '')
      out.push(
        `${codeSpan(`${entry.id}#${cause.id}`)}${cause.products ? ` · only ${cause.products.map((p) => inline(kb.product(p)?.name ?? p)).join(', ')}` : ''}`,
        '',
      )
      out.push(inline(cause.explanation), '')
      if (cause.strings.length) out.push(...cause.strings.map((s) => `- ${codeSpan(s)}`), '')
      out.push(checkedBy(cause), '', '**Fix**', '', steps(cause.fix), '', '**Verify**', '', steps(cause.verify), '')
    })
  }
  if (entry.related.length)
    out.push('## Related', '', ...entry.related.map((id) => `- [${inline(kb.entry(id)?.title ?? id)}](${id}.md)`), '')
  out.push(`From a terminal: ${codeSpan(`doctor explain ${entry.id}`)}`, '')
  return out.join('\n')
}

function productPage(model: SiteModel, productId: string): string {
  const product = model.kb.product(productId)!
  const out: string[] = [`# ${inline(product.name)} troubleshooting`, '', inline(product.description), '']
  out.push(
    '## Start here',
    '',
    `Write a ${codeSpan('doctor.yaml')} with ${inline(product.name)}'s paths and conventions filled in, then run every check. ${codeSpan('doctor init --help')} lists the other values it takes (issuer, client id); the file marks what is left to fill in.`,
    '',
    codeBlockMarkdown(`doctor init --profile ${product.id} --base-url https://your-host\ndoctor all`),
    '',
  )
  out.push('## Symptom, cause, fix and verification', '')
  out.push('| Symptom | Likely cause | Fix | Verification | Checked by |', '|---|---|---|---|---|')
  for (const row of model.productRows(product)) {
    const symptom = row.first ? `[${inline(row.entry.title)}](../entries/${row.entry.id}.md)` : '〃'
    const checks = row.cause.checks.length
      ? row.cause.checks.map((id) => `[${codeSpan(id)}](../checks/${id}.md)`).join(', ')
      : 'manual'
    const cause = `[${inline(row.cause.summary)}](../entries/${row.entry.id}.md#${row.cause.id})`
    out.push(
      `| ${symptom.replace(/\|/g, '\\|')} | ${cause.replace(/\|/g, '\\|')} | ${stepsCell(row.cause.fix)} | ${stepsCell(row.cause.verify)} | ${checks} |`,
    )
  }
  out.push('')
  const guides = model.productGuides(product)
  if (guides.length)
    out.push('## Guides', '', ...guides.map((g) => `- [${inline(g.title)}](../entries/${g.id}.md)`), '')
  out.push(
    '## Every symptom on the original page',
    '',
    ...model
      .coverage(product)
      .map(
        (c) =>
          `- ${inline(c.symptom)} → ${c.entry ? `[${inline(c.entry.title)}](../entries/${c.entry.id}.md)` : 'not covered'}`,
      ),
    '',
  )
  return out.join('\n')
}

function checkPage(model: SiteModel, check: CheckMeta): string {
  const out: string[] = [
    `# ${codeSpan(check.id)}: ${inline(check.title)}`,
    '',
    `Area: ${inline(check.area)} · when it fails: “${inline(check.failureTitle)}”`,
    '',
    inline(check.description),
    '',
  ]
  out.push(
    '## Configuration it needs',
    '',
    ...(check.needs.length
      ? [...check.needs.map((n) => `- ${codeSpan(n)}`), '', 'Without these keys the check is skipped, never failed.']
      : ['No configuration: it always runs.']),
    '',
  )
  const causes = model.causesCheckedBy(check.id)
  out.push(
    '## Causes it confirms or rules out',
    '',
    ...(causes.length
      ? causes.map(
          ({entry, cause}) =>
            `- [${inline(cause.summary)}](../entries/${entry.id}.md#${cause.id}) (${codeSpan(`${entry.id}#${cause.id}`)})`,
        )
      : ['None linked yet.']),
    '',
  )
  out.push('## Run it', '', codeBlockMarkdown(`doctor run ${check.id} -c doctor.yaml`), '')
  return out.join('\n')
}

function indexPage(model: SiteModel): string {
  const {kb} = model
  const out: string[] = [
    '# Troubleshooting',
    '',
    `Symptoms of self-hosted web deployments, each with its likely causes, the fix and how to verify it (${kb.entries.length} entries). Search from a terminal with ${codeSpan('doctor explain "<error text>"')}.`,
    '',
  ]
  out.push('## Products', '', ...kb.products.map((p) => `- [${inline(p.name)}](products/${p.id}.md)`), '')
  for (const group of model.byArea) {
    out.push(
      `## ${inline(AREA_TITLES[group.area] ?? group.area)}`,
      '',
      ...group.entries.map((e) => `- [${inline(e.title)}](entries/${e.id}.md)${e.kind === 'guide' ? ' (guide)' : ''}`),
      '',
    )
  }
  out.push(
    '## Checks',
    '',
    ...model.checks.map((c) => `- [${codeSpan(c.id)}](checks/${c.id}.md): ${inline(c.title)}`),
    '',
  )
  return out.join('\n')
}
