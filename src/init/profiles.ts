import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'yaml'
import {z} from 'zod'
import {UsageError} from '../errors.js'
import {DEFAULT_KB_DIR} from '../kb/load.js'
import {didYouMean} from '../util/suggest.js'
import {VARIABLES, type VariableFlag} from './variables.js'

/** kb/profiles/: one starter doctor.yaml per product (see kb/profiles/README.md). */
export const PROFILES_DIR = join(DEFAULT_KB_DIR, 'profiles')

const flagNames = VARIABLES.map((v) => v.flag) as [VariableFlag, ...VariableFlag[]]

const metaSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a kebab-case id'),
  name: z.string().min(1),
  summary: z.string().min(1),
  product: z.string().min(1).optional(),
  prompts: z.partialRecord(z.enum(flagNames), z.string().min(1)).default({}),
})

export interface Profile extends z.output<typeof metaSchema> {
  /** The doctor.yaml template: the file's second YAML document, comments included. */
  template: string
  file: string
}

/** The separator line between the metadata and the template. */
const SEPARATOR = /^---[ \t]*\r?\n/m

export function parseProfile(text: string, file: string): Profile {
  const match = SEPARATOR.exec(text)
  if (!match)
    throw new UsageError(
      `${file}: a profile is two YAML documents (metadata, then the template) separated by a "---" line.`,
    )
  const meta = metaSchema.safeParse(parse(text.slice(0, match.index)))
  if (!meta.success)
    throw new UsageError(
      `${file}: invalid profile metadata.`,
      meta.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    )
  const template = text.slice(match.index + match[0].length)
  return {...meta.data, template, file}
}

export function profileIds(dir = PROFILES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort()
}

export function loadProfile(id: string, dir = PROFILES_DIR): Profile {
  const ids = profileIds(dir)
  if (!ids.includes(id)) {
    throw new UsageError(
      `There is no profile "${id}".${didYouMean(id, ids)} Profiles: ${ids.join(', ')} (\`doctor init --list\` describes them).`,
    )
  }
  const file = join(dir, `${id}.yaml`)
  const profile = parseProfile(readFileSync(file, 'utf8'), file)
  if (profile.id !== id) throw new UsageError(`${file}: its id "${profile.id}" differs from the file name "${id}".`)
  return profile
}

export function loadProfiles(dir = PROFILES_DIR): Profile[] {
  return profileIds(dir).map((id) => loadProfile(id, dir))
}
