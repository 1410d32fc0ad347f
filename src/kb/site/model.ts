import type {CheckMeta} from '../../engine/check.js'
import type {KnowledgeBase} from '../load.js'
import type {Cause, Entry, GuideEntry, Product, SymptomEntry} from '../schema.js'
import {KB_AREAS} from '../schema.js'

/** What both renderers (HTML, Markdown) need, computed once. */
export interface SiteModel {
  kb: KnowledgeBase
  checks: CheckMeta[]
  version: string
  /** Entries grouped by area, in KB_AREAS order, symptoms before guides. */
  byArea: Array<{area: string; entries: Entry[]}>
  /** One row per (entry, cause) applying to the product; guides listed apart. */
  productRows(product: Product): Array<{entry: SymptomEntry; cause: Cause; first: boolean; span: number}>
  productGuides(product: Product): GuideEntry[]
  /** Causes that name this check under `checks:`. */
  causesCheckedBy(checkId: string): Array<{entry: SymptomEntry; cause: Cause}>
  /** Products' seed symptoms and the entry covering each. */
  coverage(product: Product): Array<{symptom: string; entry?: Entry}>
}

export const AREA_TITLES: Record<string, string> = {
  platform: 'Platform, health and upstreams',
  login: 'Login and sessions',
  access: 'API access and permissions',
  billing: 'Billing and licenses',
  evidence: 'Evidence connectors',
  mobile: 'Mobile and layout',
  tooling: 'Build, test and CI tooling',
}

export function buildModel(kb: KnowledgeBase, checks: CheckMeta[], version: string): SiteModel {
  const symptoms = kb.entries.filter((e): e is SymptomEntry => e.kind === 'symptom')
  const byArea = KB_AREAS.map((area) => ({
    area,
    entries: kb.entries
      .filter((e) => e.area === area)
      .sort((a, b) => (a.kind === b.kind ? a.title.localeCompare(b.title) : a.kind === 'symptom' ? -1 : 1)),
  })).filter((g) => g.entries.length > 0)
  return {
    kb,
    checks,
    version,
    byArea,
    productRows(product) {
      const rows: Array<{entry: SymptomEntry; cause: Cause; first: boolean; span: number}> = []
      // Entries that cover a seed symptom come first, in the seed page's order; then the rest.
      const order = (e: SymptomEntry) => {
        const use = e.products.find((p) => p.id === product.id)!
        const idx = Math.min(...use.covers.map((s) => product.symptoms.indexOf(s)).filter((i) => i >= 0), Infinity)
        return idx
      }
      const mine = symptoms
        .filter((e) => e.products.some((p) => p.id === product.id))
        .sort((a, b) => order(a) - order(b) || a.title.localeCompare(b.title))
      for (const entry of mine) {
        const causes = entry.causes.filter((c) => !c.products || c.products.includes(product.id))
        causes.forEach((cause, i) => rows.push({entry, cause, first: i === 0, span: causes.length}))
      }
      return rows
    },
    productGuides(product) {
      return kb.entries.filter(
        (e): e is GuideEntry => e.kind === 'guide' && e.products.some((p) => p.id === product.id),
      )
    },
    causesCheckedBy(checkId) {
      return symptoms.flatMap((entry) =>
        entry.causes.filter((c) => c.checks.includes(checkId)).map((cause) => ({entry, cause})),
      )
    },
    coverage(product) {
      return product.symptoms.map((symptom) => ({
        symptom,
        entry: kb.entries.find((e) => e.products.some((p) => p.id === product.id && p.covers.includes(symptom))),
      }))
    },
  }
}
