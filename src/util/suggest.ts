import {createRequire} from 'node:module'

// Loaded on first use: suggestions are only needed on the error path, and `doctor list` imports this.
let levenshtein: typeof import('fastest-levenshtein') | undefined
const lib = () =>
  (levenshtein ??= createRequire(import.meta.url)('fastest-levenshtein') as typeof import('fastest-levenshtein'))

/** "did you mean" for ids and keys: the closest candidate, if it is close enough to be a typo. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined
  const lower = input.toLowerCase()
  const exactCase = candidates.find((c) => c.toLowerCase() === lower)
  if (exactCase) return exactCase
  const prefix = candidates.filter((c) => c.startsWith(lower) || lower.startsWith(c))
  if (prefix.length === 1) return prefix[0]
  const {closest, distance} = lib()
  const best = closest(lower, candidates as string[])
  const limit = Math.max(2, Math.floor(Math.max(best.length, lower.length) / 3))
  return distance(lower, best) <= limit ? best : undefined
}

export function didYouMean(input: string, candidates: readonly string[]): string {
  const s = suggest(input, candidates)
  return s ? ` Did you mean "${s}"?` : ''
}
