import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

/** Layers depend one way: the engine knows checks and their contract, never reports, commands or the run that wires it all. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Runtime imports (type-only imports vanish at build time and are allowed). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^import (?!type )[^'"]*from '([^']+)'/gm), ...text.matchAll(/import\('([^']+)'\)/g)].map(
    (m) => m[1]!,
  )
}

describe('dependency direction', () => {
  it('src/engine imports nothing from report/, app/, cli/ or commands/', () => {
    const bad = sources(join(ROOT, 'src/engine')).flatMap((file) =>
      imports(file)
        .filter((spec) => /^\.\.\/(report|app|cli|commands)\//.test(spec))
        .map((spec) => `${relative(ROOT, file)} → ${spec}`),
    )
    expect(bad).toEqual([])
  })
})
