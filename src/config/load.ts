import {readFileSync} from 'node:fs'
import {isMap, LineCounter, parseDocument} from 'yaml'
import {z} from 'zod'
import {ConfigError} from '../errors.js'
import {didYouMean} from '../util/suggest.js'
import {formatPath, interpolate, type EnvRef} from './interpolate.js'
import {buildConfigSchema, type DoctorConfig} from './schema.js'

export interface LoadedConfig {
  /** Absolute path of the file, or undefined for an in-memory config (demo, tests). */
  path?: string
  config: DoctorConfig
  /** Values doctor must never print: secret fields and secret-named env vars. */
  /** Values that must never be printed, with where they came from (a field path or env var name; never the value). */
  secrets: Array<{value: string; kind: string; source: string}>
  envRefs: EnvRef[]
}

export {DEFAULT_CONFIG_FILES, resolveConfigPath} from './locate.js'

export function loadConfigFile(path: string, checkIds: readonly string[], env = process.env): LoadedConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${path}: ${(error as Error).message}`)
  }
  return parseConfigText(text, path, checkIds, env)
}

export function parseConfigText(
  text: string,
  path: string,
  checkIds: readonly string[],
  env = process.env,
): LoadedConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0])
      return `${path}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`
    })
    throw new ConfigError(
      `${path} is not valid ${path.endsWith('.json') ? 'JSON/' : ''}YAML; fix the syntax at the position below and run \`doctor config validate\` again.`,
      details,
    )
  }
  const raw = doc.toJS() ?? {}
  const where = (p: ReadonlyArray<PropertyKey>, atKey = false): string => {
    let node = doc.getIn(p as unknown[], true) as {range?: [number, number]} | undefined
    if (atKey || !node) {
      // Point at the key itself (unknown keys), or at the parent when the value is missing.
      const parent = p.length > 1 ? doc.getIn(p.slice(0, -1) as unknown[], true) : doc.contents
      const pair = isMap(parent)
        ? parent.items.find((item) => (item.key as {value?: unknown})?.value === p[p.length - 1])
        : undefined
      node = (pair?.key as typeof node) ?? (atKey ? node : (parent as typeof node))
    }
    const offset = node?.range?.[0]
    if (offset === undefined) return path
    const {line, col} = lineCounter.linePos(offset)
    return `${path}:${line}:${col}`
  }
  return validateConfig(raw, checkIds, env, path, where)
}

/** Validate a plain object (already parsed). `where` maps a key path to "file:line:col" for messages. */
export function validateConfig(
  raw: unknown,
  checkIds: readonly string[],
  env = process.env,
  path?: string,
  where: (p: ReadonlyArray<PropertyKey>, atKey?: boolean) => string = () => path ?? 'config',
): LoadedConfig {
  const label = path ?? 'config'
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(
      `${label} must be a mapping of keys (target:, readiness:, ...), not ${Array.isArray(raw) ? 'a list' : typeof raw}.`,
    )
  }
  const interpolated = interpolate(raw, env)
  if (interpolated.missing.length > 0) {
    throw new ConfigError(
      `${label} references environment variables that are ${interpolated.missing.every((m) => m.state === 'unset') ? 'not set' : 'unset or empty'}. Export them, or give a fallback with \${VAR:-default}.`,
      interpolated.missing.map((m) => `${m.path}: \${${m.name}} is ${m.state}`),
    )
  }
  const schema = buildConfigSchema(checkIds)
  const parsed = schema.safeParse(interpolated.value, {reportInput: true})
  if (!parsed.success) {
    const details = parsed.error.issues.flatMap((issue) => describeIssue(issue, schema, where))
    throw new ConfigError(
      `${label} has ${details.length === 1 ? 'an invalid setting' : `${details.length} invalid settings`}:`,
      details,
    )
  }
  const secrets = [
    ...collectWriteOnly(schema, parsed.data).map(({value, path}) => ({
      value,
      kind: 'secret',
      source: `config field ${path}`,
    })),
    ...interpolated.secretValues.map(({value, name, path}) => ({
      value,
      kind: 'env',
      source: `env var ${name} (config ${path})`,
    })),
  ]
  return {path, config: parsed.data, secrets, envRefs: interpolated.refs}
}

function describeIssue(
  issue: z.core.$ZodIssue,
  schema: z.ZodType,
  where: (p: ReadonlyArray<PropertyKey>, atKey?: boolean) => string,
): string[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(schema, issue.path)
    return issue.keys.map((key) => {
      const keyPath = [...issue.path, key]
      return `${where(keyPath, true)} ${formatPath(keyPath as Array<string | number>)}: unknown key "${key}".${didYouMean(key, known)}${known.length ? ` Known keys here: ${known.join(', ')}.` : ''}`
    })
  }
  const p = formatPath(issue.path as Array<string | number>)
  let message = issue.message
  if (issue.code === 'invalid_type') {
    const input = (issue as {input?: unknown}).input
    message =
      input === undefined
        ? `required (${issue.expected}), but it is missing`
        : `expected ${issue.expected}, got ${describeValue(input)}`
  }
  if (issue.code === 'invalid_union') message = 'expected a URL/path string or an object with url:'
  return [`${where(issue.path)} ${p}: ${message}`]
}

function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v} ${JSON.stringify(v)}`
}

type Def = {
  type: string
  shape?: Record<string, z.ZodType>
  innerType?: z.ZodType
  in?: z.ZodType
  element?: z.ZodType
  valueType?: z.ZodType
  options?: z.ZodType[]
}
const defOf = (s: z.ZodType): Def => (s as unknown as {_zod: {def: Def}})._zod.def

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s
  for (;;) {
    const d = defOf(cur)
    if (d.innerType) cur = d.innerType
    else if (d.type === 'pipe' && d.in) cur = d.in
    else return cur
  }
}

function knownKeys(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let cur: z.ZodType | undefined = unwrap(schema)
  for (const seg of path) {
    if (!cur) return []
    const d = defOf(cur)
    if (d.type === 'object') cur = d.shape?.[String(seg)]
    else if (d.type === 'array') cur = d.element
    else if (d.type === 'record') cur = d.valueType
    else if (d.type === 'union') cur = d.options?.find((o) => defOf(unwrap(o)).type === 'object')
    cur = cur && unwrap(cur)
    if (cur && defOf(cur).type === 'union')
      cur = unwrap(defOf(cur).options!.find((o) => defOf(unwrap(o)).type === 'object') ?? cur)
  }
  return cur && defOf(cur).type === 'object' ? Object.keys(defOf(cur).shape ?? {}) : []
}

/** Every string value sitting in a schema position marked writeOnly, with its key path. */
export function collectWriteOnly(schema: z.ZodType, value: unknown): Array<{value: string; path: string}> {
  const out: Array<{value: string; path: string}> = []
  const visit = (s: z.ZodType, v: unknown, at: Array<string | number> = []): void => {
    if (v === undefined || v === null) return
    let cur: z.ZodType = s
    for (;;) {
      if (z.globalRegistry.get(cur)?.writeOnly && typeof v === 'string') {
        out.push({value: v, path: formatPath(at)})
        return
      }
      const d = defOf(cur)
      if (d.innerType) cur = d.innerType
      else if (d.type === 'pipe' && d.in) cur = d.in
      else break
    }
    const d = defOf(cur)
    if (d.type === 'object' && typeof v === 'object')
      for (const [k, child] of Object.entries(d.shape ?? {}))
        visit(child, (v as Record<string, unknown>)[k], [...at, k])
    else if (d.type === 'array' && Array.isArray(v)) v.forEach((item, i) => visit(d.element!, item, [...at, i]))
    else if (d.type === 'record' && typeof v === 'object')
      for (const [k, item] of Object.entries(v as object)) visit(d.valueType!, item, [...at, k])
    else if (d.type === 'union')
      for (const option of d.options ?? []) if (option.safeParse(v).success) visit(option, v, at)
  }
  visit(schema, value)
  return out
}
