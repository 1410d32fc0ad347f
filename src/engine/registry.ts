import {checks} from '../../checks/index.js'
import {UsageError} from '../errors.js'
import {didYouMean} from '../util/suggest.js'
import {type Check, validateMeta} from './check.js'

let validated: readonly Check[] | undefined

/** All registered checks, validated once: a check with broken metadata stops doctor at load time. */
export function allChecks(): readonly Check[] {
  if (validated) return validated
  const problems: string[] = []
  const ids = new Set<string>()
  for (const check of checks) {
    problems.push(...validateMeta(check?.meta))
    if (ids.has(check.meta.id)) problems.push(`duplicate check id ${check.meta.id}`)
    ids.add(check.meta.id)
    if (typeof check.run !== 'function') problems.push(`${check.meta.id}: run is not a function`)
  }
  if (problems.length > 0) throw new Error(`The check registry is invalid:\n  - ${problems.join('\n  - ')}`)
  validated = checks
  return validated
}

export function checkIds(): string[] {
  return allChecks().map((c) => c.meta.id)
}

/** Look up ids given on the command line; an unknown id is a usage error with a suggestion. */
export function selectChecks(ids: readonly string[]): Check[] {
  const all = allChecks()
  const known = all.map((c) => c.meta.id)
  const unknown = ids.filter((id) => !known.includes(id))
  if (unknown.length > 0) {
    throw new UsageError(
      `Unknown check id${unknown.length > 1 ? 's' : ''}: ${unknown.map((id) => `"${id}".${didYouMean(id, known)}`).join(' ')} Run \`doctor list\` to see every check.`,
    )
  }
  const wanted = new Set(ids)
  return all.filter((c) => wanted.has(c.meta.id))
}
