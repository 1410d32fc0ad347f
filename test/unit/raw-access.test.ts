import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

/**
 * Collect → redact → analyse. A response reaches checks already redacted; its `raw` view is
 * for protocol steps only (following a redirect, the cookie jar, submitting a form, handing a
 * document to openid-client). This test keeps the list of files allowed to read it, so a new
 * check cannot quietly reformat raw server text into a report.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ALLOWED: Record<string, string> = {
  'src/http/client.ts': 'builds both views; follows redirects by the Location as sent',
  'src/login/walk.ts': 'the browser walk: Set-Cookie into the jar, Location, forms and meta refresh as sent',
  'src/facts/login.ts': 'replays the discovery document to openid-client byte for byte',
  'checks/portal-spa.ts': "follows the page's script and stylesheet links as written (signed asset URLs)",
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'sandbox' ? [] : sources(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

describe('raw responses stay in the protocol layer', () => {
  it('only the listed files read response.raw', () => {
    const readers = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'checks'))]
      .filter((file) => /\.raw\.(?:body|text|header|headers|url)\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file))
      .sort()
    expect(readers).toEqual(Object.keys(ALLOWED).sort())
  })
})
