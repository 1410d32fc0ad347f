import {mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, basename} from 'node:path'
import {UsageError} from '../errors.js'

/** The last check before bytes leave doctor (the session's redactor). */
export interface OutputGuard {
  assertClean(output: string | Uint8Array, where?: string): void
}

/**
 * Write a file only after the guard has scanned its final bytes, and atomically (a temporary
 * file renamed into place), so a refused or failed write never leaves half a report behind.
 */
export function writeGuarded(path: string, content: string | Uint8Array, guard: OutputGuard): void {
  guard.assertClean(content, path)
  const dir = dirname(path)
  try {
    mkdirSync(dir, {recursive: true})
  } catch (error) {
    throw new UsageError(`doctor cannot create the folder for ${path}: ${(error as Error).message}.`)
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`)
  try {
    writeFileSync(tmp, content)
    renameSync(tmp, path)
  } catch (error) {
    rmSync(tmp, {force: true})
    throw new UsageError(`doctor cannot write ${path}: ${(error as Error).message}.`)
  }
}
