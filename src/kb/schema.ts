import {z} from 'zod'

/**
 * The knowledge base's shape. Data lives in kb/ (one YAML file per entry, products.yaml,
 * retired.yaml); this schema is what the loader, `doctor explain` and the docs site read.
 * Everything a program reads is a structured field; prose is for people.
 */

export const KB_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/
const id = (what: string) => z.string().regex(KB_ID, `${what} must be kebab-case (a-z, 0-9, single dashes)`)

/** Topics for grouping entries; the check areas plus `tooling` (build, test and CI tooling). */
export const KB_AREAS = ['platform', 'login', 'access', 'billing', 'evidence', 'mobile', 'tooling'] as const

const text = z.string().trim().min(1)

/**
 * One step: plain text, or text with a command. A command is always marked as read-only
 * (safe to paste while diagnosing) or as changing something (restart, rotate, migrate).
 */
export const stepSchema = z.union([
  text,
  z.strictObject({
    text,
    command: text.optional(),
    effect: z.enum(['read-only', 'changes']).optional(),
    expect: text.optional(),
  }),
])

/** A verification step says what to run or look at, and what a good result looks like. */
export const verifyStepSchema = z.strictObject({
  text,
  command: text.optional(),
  effect: z.enum(['read-only', 'changes']).optional(),
  expect: text,
})

export const causeSchema = z.strictObject({
  id: id('cause id'),
  /** One line, the "Likely cause" column of a troubleshooting table. */
  summary: text,
  explanation: text,
  /** Strings a user may paste that point at this cause in particular. */
  strings: z.array(text).default([]),
  /** Only for these products (default: every product the entry lists). */
  products: z.array(id('product id')).optional(),
  /** Registered checks that can confirm or rule this cause out. */
  checks: z.array(id('check id')).default([]),
  /** When no check can observe the cause from outside: what a person should look at. */
  manual: text.optional(),
  /**
   * The same cause as described in other entries ("entry#cause"): a check that confirms one of
   * them confirms this one. Lets a product's symptom reuse a generic cause's checks.
   */
  sameAs: z.array(z.string().regex(/^[a-z0-9-]+#[a-z0-9-]+$/, 'an "entry#cause" reference')).default([]),
  fix: z.array(stepSchema).min(1),
  verify: z.array(verifyStepSchema).min(1),
})

export const productUseSchema = z.strictObject({
  id: id('product id'),
  /** The seed page's symptom headings or table rows this entry covers, verbatim. */
  covers: z.array(text).default([]),
  /** What is different about this symptom in this product: paths, settings, env vars. */
  details: text.optional(),
})

const baseEntry = {
  id: id('entry id'),
  /** Worded as the symptom the user sees. */
  title: text,
  area: z.enum(KB_AREAS),
  summary: text,
  /** Exact strings a user may paste: error messages, status lines, log lines. */
  strings: z.array(text).default([]),
  /** Extra search words that are not error text (synonyms, component names). */
  keywords: z.array(text).default([]),
  /** Products where it happens; empty means any deployment. */
  products: z.array(productUseSchema).default([]),
  related: z.array(id('entry id')).default([]),
}

/**
 * What doctor reports when a check sees the symptom but cannot tell its causes apart from outside
 * (the reference is the bare entry id): one summary covering the likely causes, and the steps
 * that settle which one it is.
 */
export const undeterminedSchema = z.strictObject({
  summary: text,
  fix: z.array(stepSchema).min(1),
  verify: z.array(verifyStepSchema).min(1),
})

export const symptomEntrySchema = z.strictObject({
  ...baseEntry,
  kind: z.literal('symptom').default('symptom'),
  /** Read-only first steps before looking at individual causes. */
  diagnose: z.array(stepSchema).default([]),
  undetermined: undeterminedSchema.optional(),
  causes: z.array(causeSchema).min(1),
})

export const guideEntrySchema = z.strictObject({
  ...baseEntry,
  kind: z.literal('guide'),
  sections: z
    .array(
      z.strictObject({
        title: text,
        intro: text.optional(),
        steps: z.array(stepSchema).min(1),
      }),
    )
    .min(1),
})

export const entrySchema = z.discriminatedUnion('kind', [
  symptomEntrySchema.extend({kind: z.literal('symptom')}),
  guideEntrySchema,
])

/** Entry files may omit `kind: symptom`. */
export function parseEntry(raw: unknown) {
  const withKind =
    raw && typeof raw === 'object' && !Array.isArray(raw) && !('kind' in raw) ? {...raw, kind: 'symptom'} : raw
  return entrySchema.safeParse(withKind, {reportInput: true})
}

export const productSchema = z.strictObject({
  id: id('product id'),
  name: text,
  description: text,
  /** The seed page this product's symptoms come from (file name under ../shared/seeds/). */
  seed: text.optional(),
  /** Every symptom heading or table row on the seed page: the coverage checklist. */
  symptoms: z.array(text).default([]),
})

export const retiredSchema = z.strictObject({
  id: id('retired id'),
  /** The entry (or entry#cause) that replaces it. */
  replacedBy: z.string().regex(/^[a-z][a-z0-9-]*(#[a-z][a-z0-9-]*)?$/),
  reason: text,
  retiredOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
})

export type Step = z.infer<typeof stepSchema>
export type VerifyStep = z.infer<typeof verifyStepSchema>
export type Cause = z.infer<typeof causeSchema>
export type Undetermined = z.infer<typeof undeterminedSchema>
export type ProductUse = z.infer<typeof productUseSchema>
export type SymptomEntry = z.infer<typeof symptomEntrySchema> & {kind: 'symptom'}
export type GuideEntry = z.infer<typeof guideEntrySchema>
export type Entry = SymptomEntry | GuideEntry
export type Product = z.infer<typeof productSchema>
export type Retired = z.infer<typeof retiredSchema>

/** Normalised step: always an object. */
export interface StepObject {
  text: string
  command?: string
  effect?: 'read-only' | 'changes'
  expect?: string
}

export function stepObject(step: Step | VerifyStep): StepObject {
  return typeof step === 'string' ? {text: step} : step
}
