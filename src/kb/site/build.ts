import {mkdirSync, rmSync, writeFileSync, existsSync, readdirSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import type {CheckMeta} from '../../engine/check.js'
import {UsageError} from '../../errors.js'
import type {KnowledgeBase} from '../load.js'
import {searchScript, STYLE} from './assets.js'
import {htmlPages, type Page} from './html.js'
import {markdownPages} from './markdown.js'
import {buildModel} from './model.js'

export type SiteFormat = 'html' | 'markdown'

export interface BuildResult {
  out: string
  format: SiteFormat
  files: string[]
  entries: number
  products: number
  checks: number
}

/** Render the site into `out`. Refuses a non-empty folder that is not a previous doctor build. */
export function buildSite(
  kb: KnowledgeBase,
  checks: CheckMeta[],
  options: {out: string; format: SiteFormat; version: string; clean?: boolean},
): BuildResult {
  const out = resolve(options.out)
  if (existsSync(out)) {
    const existing = readdirSync(out)
    const ours = existing.length === 0 || existing.includes('.doctor-docs')
    if (!ours && !options.clean) {
      throw new UsageError(
        `${options.out} is not empty and was not written by \`doctor docs build\`; choose an empty or new folder, or pass --clean to replace its contents.`,
      )
    }
    for (const name of existing) rmSync(join(out, name), {recursive: true, force: true})
  }
  const model = buildModel(kb, checks, options.version)
  const pages: Page[] = options.format === 'html' ? htmlPages(model) : markdownPages(model)
  if (options.format === 'html') {
    pages.push(
      {path: 'assets/style.css', content: STYLE.trimStart()},
      {path: 'assets/search.js', content: searchScript()},
    )
  }
  pages.push({
    path: '.doctor-docs',
    content: `Written by doctor docs build (${options.format}); the next build replaces this folder's contents.\n`,
  })
  for (const page of pages) {
    const file = join(out, page.path)
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(file, page.content)
  }
  return {
    out,
    format: options.format,
    files: pages.map((p) => p.path).filter((p) => p !== '.doctor-docs'),
    entries: kb.entries.length,
    products: kb.products.length,
    checks: checks.length,
  }
}
