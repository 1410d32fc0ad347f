import {existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs'
import {basename, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {LineCounter, parseDocument} from 'yaml'
import {z} from 'zod'
import {UsageError} from '../errors.js'
import {
  type Entry,
  type Product,
  type Retired,
  parseEntry,
  productSchema,
  retiredSchema,
  stepObject,
  type Step,
  type VerifyStep,
} from './schema.js'
import {docsStep, docsText} from './fill.js'

/** kb/ ships at the package root: dist/src/kb/load.js → ../../../kb, or src/kb/load.ts → ../../kb when run from source. */
export const DEFAULT_KB_DIR =
  [new URL('../../../kb/', import.meta.url), new URL('../../kb/', import.meta.url)]
    .map((u) => fileURLToPath(u))
    .find((dir) => existsSync(join(dir, 'entries'))) ?? fileURLToPath(new URL('../../../kb/', import.meta.url))

export interface KnowledgeBase {
  dir: string
  entries: Entry[]
  products: Product[]
  retired: Retired[]
  entry(id: string): Entry | undefined
  product(id: string): Product | undefined
  /** Where an entry came from, for messages: "kb/entries/x.yaml". */
  fileOf(id: string): string | undefined
  /**
   * The text a finding with this reference carries, placeholders unfilled: a cause's summary, fix
   * and verify ("entry#cause"), or the entry's `undetermined` block ("entry"). `entries` above
   * show placeholders as their docs words; this is the one place the raw templates are read.
   */
  template(ref: string): CauseTemplate | undefined
}

export interface CauseTemplate {
  summary: string
  fix: Step[]
  verify: VerifyStep[]
}

export interface LoadOptions {
  /** Registered check ids; causes may only name these under `checks:`. */
  checkIds: readonly string[]
}

export class KnowledgeBaseError extends UsageError {
  constructor(dir: string, problems: string[]) {
    super(
      `The knowledge base in ${dir} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}; fix ${problems.length === 1 ? 'it' : 'them'} and try again:`,
      problems,
    )
    this.name = 'KnowledgeBaseError'
  }
}

interface Parsed<T> {
  value: T
  where(path: ReadonlyArray<PropertyKey>): string
}

function readYaml(file: string, label: string, problems: string[]): Parsed<unknown> | undefined {
  const lineCounter = new LineCounter()
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    problems.push(`${label}: cannot read: ${(error as Error).message}`)
    return undefined
  }
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0])
      problems.push(`${label}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`)
    }
    return undefined
  }
  return {
    value: doc.toJS(),
    where(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true)) as {
          range?: [number, number]
        } | null
        if (node?.range) {
          const {line, col} = lineCounter.linePos(node.range[0])
          return `${label}:${line}:${col}`
        }
      }
      return label
    },
  }
}

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '')
  let message = issue.message
  if (issue.code === 'invalid_type' && (issue as {input?: unknown}).input === undefined)
    message = `required (${issue.expected}), but it is missing`
  if (issue.code === 'unrecognized_keys')
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  return `${path || '(top level)'}: ${message}`
}

/**
 * Load and cross-check the knowledge base. Every problem is collected (with file:line) before
 * anything throws, so one run of `doctor docs build` or the tests lists them all.
 */
export function loadKnowledgeBase(
  dir: string = DEFAULT_KB_DIR,
  options: LoadOptions & {cache?: boolean} = {checkIds: []},
): KnowledgeBase {
  const root = resolve(dir)
  if (options.cache) {
    const cached = readCache(root)
    if (cached) {
      // The cache holds a knowledge base that passed every check; only the registry can have
      // changed since. On any problem, reload from YAML for messages with file:line.
      const problems = crossCheck({
        ...cached,
        checkIds: new Set(options.checkIds),
        files: new Map(cached.files),
        where: () => () => 'kb',
      })
      if (problems.length === 0)
        return assemble(root, cached.entries, cached.products, cached.retired, new Map(cached.files))
    }
  }
  const loaded = parseKnowledgeBase(root, options.checkIds)
  if (options.cache) writeCache(root, loaded)
  return loaded
}

function parseKnowledgeBase(root: string, checkIdList: readonly string[]): KnowledgeBase {
  const label = (file: string) => relative(process.cwd(), file) || file
  const problems: string[] = []
  if (!existsSync(join(root, 'entries')))
    throw new KnowledgeBaseError(root, [`${root} has no entries/ folder (expected kb/entries/*.yaml)`])

  const readList = <T>(name: string, schema: z.ZodType<T>): T[] => {
    const file = join(root, name)
    const raw = existsSync(file) ? readYaml(file, label(file), problems) : undefined
    if (!raw) return []
    const parsed = z.array(schema).safeParse(raw.value ?? [])
    if (parsed.success) return parsed.data
    for (const issue of parsed.error.issues) problems.push(`${raw.where(issue.path)}: ${describe(issue)}`)
    return []
  }
  const products = readList('products.yaml', productSchema)
  const retired = readList('retired.yaml', retiredSchema)

  const entries: Entry[] = []
  const files = new Map<string, string>()
  const whereOf = new Map<string, Parsed<unknown>['where']>()
  const entryFiles = readdirSync(join(root, 'entries'))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
  for (const name of entryFiles) {
    const file = join(root, 'entries', name)
    const raw = readYaml(file, label(file), problems)
    if (!raw) continue
    const parsed = parseEntry(raw.value)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${raw.where(issue.path)}: ${describe(issue)}`)
      continue
    }
    const entry = parsed.data as Entry
    const stem = basename(name).replace(/\.ya?ml$/, '')
    if (entry.id !== stem) problems.push(`${raw.where(['id'])}: id "${entry.id}" must equal the file name "${stem}"`)
    if (files.has(entry.id))
      problems.push(`${raw.where(['id'])}: id "${entry.id}" is already used by ${files.get(entry.id)}`)
    files.set(entry.id, label(file))
    whereOf.set(entry.id, raw.where)
    entries.push(entry)
  }

  problems.push(
    ...crossCheck({entries, products, retired, checkIds: new Set(checkIdList), files, where: (id) => whereOf.get(id)!}),
  )
  if (problems.length > 0) throw new KnowledgeBaseError(label(root), problems)
  return assemble(root, entries, products, retired, files)
}

interface CrossCheckInput {
  entries: Entry[]
  products: Product[]
  retired: Retired[]
  checkIds: Set<string>
  files: Map<string, string>
  where(entryId: string): (path: ReadonlyArray<PropertyKey>) => string
}

/** References between entries, products, retired ids and registered checks. */
function crossCheck({entries, products, retired, checkIds, files, where: whereFor}: CrossCheckInput): string[] {
  const problems: string[] = []
  const entryIds = new Set(entries.map((e) => e.id))
  const productIds = new Set(products.map((p) => p.id))

  for (const r of retired) {
    if (entryIds.has(r.id))
      problems.push(`retired.yaml: "${r.id}" is retired and must not be reused by ${files.get(r.id)}`)
    const [target, cause] = r.replacedBy.split('#')
    const replacement = entries.find((e) => e.id === target)
    if (!replacement) problems.push(`retired.yaml: "${r.id}" is replaced by "${r.replacedBy}", which is not an entry`)
    else if (cause && (replacement.kind !== 'symptom' || !replacement.causes.some((c) => c.id === cause)))
      problems.push(`retired.yaml: "${r.id}" is replaced by "${r.replacedBy}", but ${target} has no cause "${cause}"`)
  }

  for (const entry of entries) {
    const where = whereFor(entry.id)
    const checkStep = (step: Step, path: PropertyKey[]) => {
      const s = stepObject(step)
      if (s.command && !s.effect)
        problems.push(
          `${where(path)}: ${pathText(path)}: a step with a command must say effect: read-only or effect: changes`,
        )
      if (s.effect && !s.command)
        problems.push(`${where(path)}: ${pathText(path)}: effect is set but there is no command`)
    }
    entry.products.forEach((use, i) => {
      const product = products.find((p) => p.id === use.id)
      if (!product) {
        problems.push(
          `${where(['products', i, 'id'])}: products[${i}].id: unknown product "${use.id}" (known: ${[...productIds].join(', ')})`,
        )
        return
      }
      for (const covered of use.covers) {
        if (!product.symptoms.includes(covered))
          problems.push(
            `${where(['products', i, 'covers'])}: products[${i}].covers: "${covered}" is not one of ${product.name}'s seed symptoms in products.yaml`,
          )
      }
    })
    if (new Set(entry.products.map((p) => p.id)).size !== entry.products.length)
      problems.push(`${where(['products'])}: products: a product is listed twice`)
    entry.related.forEach((rel, i) => {
      if (!entryIds.has(rel)) problems.push(`${where(['related', i])}: related[${i}]: unknown entry "${rel}"`)
      if (rel === entry.id) problems.push(`${where(['related', i])}: related[${i}]: an entry cannot relate to itself`)
    })
    if (entry.kind === 'guide') {
      entry.sections.forEach((section, s) =>
        section.steps.forEach((step, i) => checkStep(step, ['sections', s, 'steps', i])),
      )
      continue
    }
    entry.diagnose.forEach((step, i) => checkStep(step, ['diagnose', i]))
    const causeIds = new Set<string>()
    entry.causes.forEach((cause, c) => {
      const at = (...rest: PropertyKey[]) => where(['causes', c, ...rest])
      if (causeIds.has(cause.id))
        problems.push(`${at('id')}: causes[${c}].id "${cause.id}" is used twice in ${entry.id}`)
      causeIds.add(cause.id)
      for (const p of cause.products ?? []) {
        if (!entry.products.some((use) => use.id === p))
          problems.push(`${at('products')}: causes[${c}].products: "${p}" is not among the entry's products`)
      }
      cause.checks.forEach((check, i) => {
        if (!checkIds.has(check)) {
          problems.push(`${at('checks', i)}: causes[${c}].checks[${i}]: no registered check "${check}"`)
        }
      })
      cause.sameAs.forEach((ref, i) => {
        const [entryId, causeId] = ref.split('#')
        const target = entries.find((e) => e.id === entryId)
        if (!target || target.kind !== 'symptom' || !target.causes.some((x) => x.id === causeId))
          problems.push(`${at('sameAs', i)}: causes[${c}].sameAs[${i}]: "${ref}" is not a cause of any entry`)
        else if (entryId === entry.id && causeId === cause.id)
          problems.push(`${at('sameAs', i)}: causes[${c}].sameAs[${i}]: a cause cannot be the same as itself`)
      })
      if (cause.checks.length === 0 && !cause.manual) {
        problems.push(
          `${at()}: causes[${c}] (${cause.id}): no check can observe it, so say what to look at under manual:`,
        )
      }
      cause.fix.forEach((step, i) => checkStep(step, ['causes', c, 'fix', i]))
      cause.verify.forEach((step, i) => checkStep(step, ['causes', c, 'verify', i]))
    })
  }

  return problems
}

/** An entry as people read it (terminal, docs site, search): placeholders as their docs words. */
function docsView(entry: Entry): Entry {
  if (entry.kind !== 'symptom') return entry
  const causes = entry.causes.map((c) => ({
    ...c,
    summary: docsText(c.summary),
    fix: c.fix.map(docsStep),
    verify: c.verify.map(docsStep),
  }))
  const undetermined = entry.undetermined && {
    summary: docsText(entry.undetermined.summary),
    fix: entry.undetermined.fix.map(docsStep),
    verify: entry.undetermined.verify.map(docsStep),
  }
  return {...entry, causes, ...(undetermined ? {undetermined} : {})}
}

function assemble(
  root: string,
  entries: Entry[],
  products: Product[],
  retired: Retired[],
  files: Map<string, string>,
): KnowledgeBase {
  const raw = new Map(entries.map((e) => [e.id, e]))
  const shown = entries.map(docsView)
  const byId = new Map(shown.map((e) => [e.id, e]))
  return {
    dir: root,
    entries: shown,
    template(ref) {
      const [entryId, causeId] = ref.split('#')
      const entry = raw.get(entryId!)
      if (!entry || entry.kind !== 'symptom') return undefined
      if (!causeId) return entry.undetermined
      return entry.causes.find((c) => c.id === causeId)
    },
    products,
    retired,
    entry: (id) => byId.get(id),
    product: (id) => products.find((p) => p.id === id),
    fileOf: (id) => files.get(id),
  }
}

// ---------------------------------------------------------------------------------------------
// Parsed-KB cache: YAML parsing is most of `doctor explain`'s start-up, so the validated result
// is kept as JSON next to the compiled code, keyed by the names, sizes and mtimes of the files.

// Only for the compiled package (dist/src/kb/load.js → dist/kb-cache.json); never when run from source.
const CACHE_FILE = import.meta.url.endsWith('.js')
  ? fileURLToPath(new URL('../../kb-cache.json', import.meta.url))
  : undefined

function signature(root: string): string {
  // The compiled loader and schema are part of the key: a rebuild invalidates the cache.
  const code = ['load.js', 'schema.js'].map(
    (f) => statSync(fileURLToPath(new URL(f, import.meta.url)), {throwIfNoEntry: false})?.mtimeMs,
  )
  const parts: string[] = [root, ...code.map(String)]
  for (const file of ['products.yaml', 'retired.yaml']) {
    const st = statSync(join(root, file), {throwIfNoEntry: false})
    parts.push(`${file}:${st?.size}:${st?.mtimeMs}`)
  }
  for (const name of readdirSync(join(root, 'entries')).sort()) {
    const st = statSync(join(root, 'entries', name))
    parts.push(`${name}:${st.size}:${st.mtimeMs}`)
  }
  return parts.join('|')
}

interface CacheData {
  signature: string
  entries: Entry[]
  products: Product[]
  retired: Retired[]
  files: Array<[string, string]>
}

function readCache(root: string): CacheData | undefined {
  try {
    if (!CACHE_FILE || !existsSync(join(root, 'entries'))) return undefined
    const data = JSON.parse(readFileSync(CACHE_FILE, 'utf8')) as CacheData
    return data.signature === signature(root) ? data : undefined
  } catch {
    return undefined
  }
}

function writeCache(root: string, kb: KnowledgeBase): void {
  if (!CACHE_FILE) return
  try {
    const files = kb.entries.map((e) => [e.id, kb.fileOf(e.id) ?? ''] as [string, string])
    const data: CacheData = {
      signature: signature(root),
      entries: kb.entries,
      products: kb.products,
      retired: kb.retired,
      files,
    }
    const tmp = `${CACHE_FILE}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(data))
    renameSync(tmp, CACHE_FILE)
  } catch {
    // A read-only install just parses the YAML every time.
  }
}

function pathText(path: PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '')
}
