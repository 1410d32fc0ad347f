import {UsageError} from '../errors.js'
import type {Profile} from './profiles.js'
import {VARIABLES, type Variable, type VariableFlag} from './variables.js'

export type Values = Partial<Record<VariableFlag, string | undefined>>

export interface Rendered {
  profile: string
  /** The doctor.yaml to write. */
  text: string
  /** Values given by flags or prompts, as written. */
  filled: Array<{flag: VariableFlag; key: string; value: string}>
  /** Values not given that stay as "${ENV:-example}": the file validates, the env var can supply them. */
  placeholders: Array<{flag: VariableFlag; key: string; env: string; example: string; placeholder: boolean}>
  /** Optional values not given: their lines are commented out. */
  commentedOut: Array<{flag: VariableFlag; key: string}>
  /** Values given that this profile has no place for (e.g. --issuer for a product without OIDC). */
  unused: VariableFlag[]
}

/** "${DOCTOR_X:-default}" inside a template line. */
const REF = /\$\{(DOCTOR_[A-Z0-9_]+):-([^}]*)\}/g

/** Check a value given on the command line or at a prompt; returns it normalised. */
export function normaliseValue(variable: Variable, raw: string): string {
  const value = raw.trim()

  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new UsageError(`--${variable.flag} contains a line break or control character; give the value on one line.`)
  if (variable.kind !== 'url') return value
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(
      `--${variable.flag} "${value}" is not an absolute URL; give it with its scheme, e.g. https://app.example.com.`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--${variable.flag} "${value}" is not an http:// or https:// URL.`)
  // Paths are appended to the base URL ("${DOCTOR_BASE_URL}/api/v1/health"); the issuer is kept exactly, trailing slash and all.
  return variable.flag === 'base-url' ? value.replace(/\/+$/, '') : value
}

/** A value inside a double-quoted YAML scalar that doctor then interpolates ($$ is a literal $). */
const quoted = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$')

const variableByEnv = new Map(VARIABLES.map((v) => [v.env, v]))

function commentOut(line: string): string {
  const indent = /^\s*/.exec(line)![0]
  return line.trimStart().startsWith('#') ? line : `${indent}# ${line.slice(indent.length)}`
}

/** Fill the profile's template with the values given; see kb/profiles/README.md for the rules. */
export function renderProfile(profile: Profile, values: Values, version?: string): Rendered {
  const given = new Map<VariableFlag, string>()
  for (const variable of VARIABLES) {
    const raw = values[variable.flag]
    if (raw !== undefined && raw.trim() !== '') given.set(variable.flag, normaliseValue(variable, raw))
  }
  const seen = new Set<VariableFlag>()
  const placeholders = new Map<VariableFlag, Rendered['placeholders'][number]>()
  const commented = new Map<VariableFlag, Rendered['commentedOut'][number]>()
  const lines = profile.template.split('\n').map((line) => {
    let drop = false
    const active = !line.trimStart().startsWith('#')
    const filled = line.replace(REF, (whole, env: string, example: string) => {
      const variable = variableByEnv.get(env)
      if (!variable)
        throw new Error(`${profile.file}: unknown variable ${env} (known: ${[...variableByEnv.keys()].join(', ')})`)
      seen.add(variable.flag)
      const value = given.get(variable.flag)
      if (value !== undefined) return quoted(value)
      if (active && example === '') {
        drop = true
        commented.set(variable.flag, {flag: variable.flag, key: variable.key})
      } else if (active) {
        placeholders.set(variable.flag, {
          flag: variable.flag,
          key: variable.key,
          env,
          example,
          placeholder: isPlaceholderHost(example),
        })
      }
      return whole
    })
    return drop ? commentOut(filled) : filled
  })
  const rendered: Omit<Rendered, 'text'> = {
    profile: profile.id,
    filled: [...given]
      .filter(([flag]) => seen.has(flag))
      .map(([flag, value]) => ({flag, key: VARIABLES.find((v) => v.flag === flag)!.key, value})),
    placeholders: [...placeholders.values()],
    commentedOut: [...commented.values()],
    unused: [...given.keys()].filter((flag) => !seen.has(flag)),
  }
  return {...rendered, text: header(profile, rendered, version) + lines.join('\n')}
}

function header(profile: Profile, r: Omit<Rendered, 'text'>, version?: string): string {
  const out = [
    `# doctor.yaml for ${profile.name}, written by \`doctor init --profile ${profile.id}\`${version ? ` (doctor ${version})` : ''}.`,
    '# Check it with `doctor config validate`, then run `doctor all`. Every key: `doctor config schema`.',
  ]
  if (r.placeholders.length) {
    out.push('# Still to fill in: replace the whole "${…}" with your value, or export the variable:')
    for (const p of r.placeholders)
      out.push(`#   ${p.key}: ${p.env} (until then ${p.example}${p.placeholder ? ', a host that does not exist' : ''})`)
  }
  if (r.commentedOut.length)
    out.push(`# Commented out until you have it: ${r.commentedOut.map((c) => c.key).join(', ')}.`)
  return `${out.join('\n')}\n\n`
}

/** The templates' stand-in hosts end in .invalid (RFC 2606): they never resolve. */
function isPlaceholderHost(url: string): boolean {
  try {
    return new URL(url).hostname.endsWith('.invalid')
  } catch {
    return false
  }
}

export interface RenderedCheck {
  /** Checks the file enables, and why the others stay off. */
  enabled: string[]
  notConfigured: Array<{id: string; reason: string}>
}

/**
 * Validate the rendered file against the real schema, the way `doctor config validate` reads it,
 * with none of the DOCTOR_* variables set (the placeholders' defaults must be valid on their own).
 */
export async function checkRendered(text: string, path = 'doctor.yaml'): Promise<RenderedCheck> {
  const {parseConfigText} = await import('../config/load.js')
  const {allChecks, checkIds} = await import('../engine/registry.js')
  const {skipReason} = await import('../app/session.js')
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !variableByEnv.has(name)))
  const {config} = parseConfigText(text, path, checkIds(), env)
  const enabled: string[] = []
  const notConfigured: RenderedCheck['notConfigured'] = []
  for (const check of allChecks()) {
    const reason = skipReason(check, config)
    if (reason) notConfigured.push({id: check.meta.id, reason})
    else enabled.push(check.meta.id)
  }
  return {enabled, notConfigured}
}
