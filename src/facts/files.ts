import {open, readdir, stat} from 'node:fs/promises'
import {isAbsolute, join, relative, resolve, sep} from 'node:path'
import type {Facts} from './facts.js'

/**
 * Local text files named by globs (CI definitions), read once per run and capped: checks read
 * them through this fact, never from disk themselves. Reading only; nothing is executed.
 * Globs: `*` and `?` within a path segment, `**` across segments, `{a,b}` alternatives and
 * `[...]` classes. `*` also matches names starting with a dot. `node_modules` and `.git` are
 * never walked into.
 */

export interface TextFile {
  /** Absolute path. */
  path: string
  /** Relative to the root when inside it, else absolute: for messages. */
  shown: string
  text: string
  /** Longer than the size cap: only the start was read. */
  truncated: boolean
}

export interface FileSet {
  root: string
  files: TextFile[]
  /** Patterns that matched no file. */
  unmatched: string[]
  /** Files that matched but could not be read, with the reason. */
  unreadable: string[]
  /** Set when the file-count or walk cap stopped the search early. */
  capped?: string
}

export interface FileLimits {
  maxFiles: number
  maxBytes: number
  /** Directory entries looked at while expanding globs. */
  maxEntries: number
}

export const FILE_LIMITS: FileLimits = {maxFiles: 100, maxBytes: 256 * 1024, maxEntries: 20_000}

const SKIP_DIRS = new Set(['node_modules', '.git'])
const MAX_DEPTH = 12

export function readFiles(
  facts: Facts,
  root: string,
  patterns: readonly string[],
  limits: FileLimits = FILE_LIMITS,
): Promise<FileSet> {
  const base = resolve(root)
  return facts.once(`files ${base} ${JSON.stringify(patterns)} ${JSON.stringify(limits)}`, () =>
    collect(base, patterns, limits),
  )
}

async function collect(root: string, patterns: readonly string[], limits: FileLimits): Promise<FileSet> {
  const found = new Set<string>()
  const unmatched: string[] = []
  const budget = {entries: limits.maxEntries}
  let capped: string | undefined
  for (const pattern of patterns) {
    const before = found.size
    const absolute = isAbsolute(pattern) ? pattern : join(root, pattern)
    await expand(absolute, found, budget, limits.maxFiles)
    if (found.size === before) unmatched.push(pattern)
    if (found.size >= limits.maxFiles) {
      capped = `stopped at ${limits.maxFiles} files`
      break
    }
    if (budget.entries <= 0) {
      capped = `stopped after looking at ${limits.maxEntries} directory entries`
      break
    }
  }
  const files: TextFile[] = []
  const unreadable: string[] = []
  for (const path of [...found].sort()) {
    const shown = path.startsWith(root + sep) ? relative(root, path) : path
    try {
      const {text, truncated} = await readCapped(path, limits.maxBytes)
      files.push({path, shown, text, truncated})
    } catch (error) {
      unreadable.push(`${shown}: ${(error as Error).message}`)
    }
  }
  return {root, files, unmatched, unreadable, ...(capped ? {capped} : {})}
}

async function readCapped(path: string, maxBytes: number): Promise<{text: string; truncated: boolean}> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(maxBytes + 1)
    const {bytesRead} = await handle.read(buffer, 0, maxBytes + 1, 0)
    return {text: buffer.subarray(0, Math.min(bytesRead, maxBytes)).toString('utf8'), truncated: bytesRead > maxBytes}
  } finally {
    await handle.close()
  }
}

const GLOB_CHARS = /[*?[{]/

/** Add the regular files matching an absolute glob. */
async function expand(pattern: string, found: Set<string>, budget: {entries: number}, maxFiles: number): Promise<void> {
  const parts = pattern.split(/[\\/]+/)
  const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p))
  if (firstGlob === -1) {
    if (await isFile(pattern)) found.add(resolve(pattern))
    return
  }
  const start = parts.slice(0, firstGlob).join(sep) || sep
  const {default: picomatch} = await import('picomatch')
  const matcher = picomatch.makeRe(parts.slice(firstGlob).join('/'), {dot: true})
  const recursive = parts.slice(firstGlob).includes('**')
  const maxDepth = recursive ? MAX_DEPTH : parts.length - firstGlob
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    if (depth > maxDepth || budget.entries <= 0 || found.size >= maxFiles) return
    let entries
    try {
      entries = await readdir(dir, {withFileTypes: true})
    } catch {
      return
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (--budget.entries <= 0 || found.size >= maxFiles) return
      const path = join(dir, entry.name)
      const relPath = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await walk(path, relPath, depth + 1)
      } else if ((entry.isFile() || (entry.isSymbolicLink() && (await isFile(path)))) && matcher.test(relPath))
        found.add(path)
    }
  }
  await walk(start, '', 1)
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
