import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {reportJsonSchema} from '../../src/report/schema.js'
import {allChecks} from '../../src/engine/registry.js'
import {validateMeta} from '../../src/engine/check.js'

const SCHEMA_FILE = new URL('../../src/report/report.schema.json', import.meta.url)

describe('committed schemas', () => {
  it('report.schema.json matches the zod report schema (run with UPDATE_SCHEMA=1 to regenerate after a deliberate change)', () => {
    const generated = `${JSON.stringify(reportJsonSchema(), null, 2)}\n`
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_FILE, generated)
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(generated)
  })
})

describe('check registry', () => {
  it('lists exactly the check modules in checks/, sorted by id', () => {
    const files = readdirSync(new URL('../../checks/', import.meta.url))
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort()
    const ids = allChecks().map((c) => c.meta.id)
    expect(ids).toEqual(files)
    expect(ids).toEqual([...ids].sort())
  })

  it('every check has valid metadata and a unit test file', () => {
    const tests = readdirSync(new URL('../unit/', import.meta.url))
    for (const check of allChecks()) {
      expect(validateMeta(check.meta, check.meta.id)).toEqual([])
      expect(tests, `test/unit/${check.meta.id}.test.ts`).toContain(`${check.meta.id}.test.ts`)
    }
  })

  /** Bare module names reachable through static imports from a compiled entry (dynamic import() is not followed). */
  function staticImports(entry: string): {files: number; bare: string[]} {
    const seen = new Set<string>()
    const bare = new Set<string>()
    const queue = [new URL(entry, import.meta.url)]
    while (queue.length > 0) {
      const file = queue.pop()!
      if (seen.has(file.href)) continue
      seen.add(file.href)
      const source = readFileSync(file, 'utf8')
      for (const m of source.matchAll(
        /^\s*(?:import|export)\s[^;]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm,
      )) {
        const spec = m[1] ?? m[2]
        if (spec.startsWith('.')) queue.push(new URL(spec, file))
        else bare.add(spec)
      }
    }
    return {files: seen.size, bare: [...bare]}
  }

  it('check modules stay light at import time: heavy libraries load inside run()', () => {
    const heavy = [
      'openid-client',
      'htmlparser2',
      'tough-cookie',
      'jose',
      'playwright-core',
      '@kubernetes/client-node',
      'jsonpath-plus',
      'marked',
    ]
    const {files, bare} = staticImports('../../dist/checks/index.js')
    expect(files).toBeGreaterThan(5)
    for (const lib of heavy) expect(bare, lib).not.toContain(lib)
  })

  it('every command module loads without zod, undici or the checks, so --version and help start fast', () => {
    const {bare} = staticImports('../../dist/src/commands/index.js')
    expect(bare.filter((m) => !m.startsWith('node:'))).toEqual(['@oclif/core'])
  })

  it('refuses broken metadata', () => {
    expect(
      validateMeta(
        {id: 'Bad_Id', title: 'x', failureTitle: 'x', area: 'nowhere' as never, description: '', needs: [], kb: []},
        'bad-id',
      ),
    ).toEqual([
      'id "Bad_Id" is not kebab-case',
      'id "Bad_Id" does not match its file name "bad-id"',
      'Bad_Id: description is missing',
      'Bad_Id: failureTitle must differ from title',
      'Bad_Id: area "nowhere" is not one of platform, login, access, billing, evidence, mobile',
    ])
  })
})

describe('command map', () => {
  it('src/commands/index.ts lists every command file, with ids from their paths', async () => {
    const {readdirSync, statSync} = await import('node:fs')
    const root = new URL('../../src/commands/', import.meta.url)
    const ids: string[] = []
    const walk = (dir: URL, prefix: string) => {
      for (const name of readdirSync(dir)) {
        if (statSync(new URL(name, dir)).isDirectory()) walk(new URL(`${name}/`, dir), `${prefix}${name}:`)
        else if (name.endsWith('.ts') && name !== 'index.ts') ids.push(`${prefix}${name.replace(/\.ts$/, '')}`)
      }
    }
    walk(root, '')
    const {COMMANDS} = await import('../../src/commands/index.js')
    expect(Object.keys(COMMANDS).sort()).toEqual(ids.sort())
  })
})
