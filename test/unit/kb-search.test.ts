import {readFileSync} from 'node:fs'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import {openKnowledgeBase, searchIndex} from '../../src/kb/kb.js'
import {buildIndex, normalize, search} from '../../src/kb/search.js'

const kb = openKnowledgeBase()
const index = searchIndex(kb)
const top = (q: string) => search(index, q, 5)[0]?.id

interface Case {
  set?: 'held-out'
  source: string
  expect: string
  query: string
}
const cases = parse(readFileSync(new URL('../fixtures/search-queries.yaml', import.meta.url), 'utf8')) as Case[]

describe('search quality on pasted strings from the seeds and the IdP reference', () => {
  it('has at least 30 cases, each naming an existing entry', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30)
    for (const c of cases) expect(kb.entry(c.expect), c.expect).toBeDefined()
  })

  it('ranks the right entry first for at least 95% of the tuning set, and in the top 3 for all', () => {
    const misses: string[] = []
    let first = 0
    const tuning = cases.filter((c) => c.set !== 'held-out')
    for (const c of tuning) {
      const hits = search(index, c.query, 3).map((h) => h.id)
      if (hits[0] === c.expect) first++
      else misses.push(`${c.query} → ${hits.join(', ')} (want ${c.expect})`)
      expect(hits, c.query).toContain(c.expect)
    }
    const accuracy = first / tuning.length
    console.log(
      `search top-1 accuracy (tuning set): ${first}/${tuning.length} (${(accuracy * 100).toFixed(1)}%)${misses.length ? `\n  ${misses.join('\n  ')}` : ''}`,
    )
    expect(accuracy).toBeGreaterThanOrEqual(0.95)
  })

  it('ranks the right entry first for at least 85% of the held-out set, and in the top 3 for 95%', () => {
    const held = cases.filter((c) => c.set === 'held-out')
    expect(held.length).toBeGreaterThanOrEqual(15)
    const misses: string[] = []
    let first = 0
    let top3 = 0
    for (const c of held) {
      const hits = search(index, c.query, 3).map((h) => h.id)
      if (hits[0] === c.expect) first++
      else misses.push(`${c.query} → ${hits.join(', ')} (want ${c.expect})`)
      if (hits.includes(c.expect)) top3++
    }
    console.log(
      `search top-1 accuracy (held-out set): ${first}/${held.length}, top-3 ${top3}/${held.length}${misses.length ? `\n  ${misses.join('\n  ')}` : ''}`,
    )
    expect(first / held.length).toBeGreaterThanOrEqual(0.85)
    expect(top3 / held.length).toBeGreaterThanOrEqual(0.95)
  })
})

describe('search robustness', () => {
  const target = 'oidc-redirect-uri-rejected'
  it('ignores case and punctuation', () => {
    expect(top('INVALID PARAMETER REDIRECT URI')).toBe(target)
    expect(top('invalid-parameter::redirect_uri!!!')).toBe(target)
  })

  it('finds an error inside context lines', () => {
    const log = [
      '10:01:01 INFO  starting login for user=alice',
      '10:01:02 DEBUG GET https://idp.example.com/realms/app/protocol/openid-connect/auth?client_id=console',
      '10:01:02 ERROR idp page: We are sorry... Invalid parameter: redirect_uri',
      '10:01:03 INFO  request finished status=400 duration=12ms',
    ].join('\n')
    expect(top(log)).toBe(target)
  })

  it('accepts partial strings', () => {
    expect(top('redirect_uri_mis')).toBe(target)
    expect(top('Callback URL mism')).toBe(target)
    expect(top('timestamp outside the tolerance')).toBe('webhook-timestamp-outside-tolerance')
  })

  it('returns nothing for text that matches no entry, and scores fall between 0 and 1', () => {
    expect(search(index, 'qwertyuiop zxcvbnm')).toEqual([])
    expect(search(index, '   ')).toEqual([])
    for (const hit of search(index, 'cookie', 10)) {
      expect(hit.score).toBeGreaterThan(0)
      expect(hit.score).toBeLessThanOrEqual(1)
    }
  })

  it('reports which string matched, and the cause it belongs to', () => {
    const [hit] = search(index, 'error_kind=user_disabled')
    expect(hit.id).toBe('local-login-401')
    expect(hit.matched?.cause).toBe('user-disabled')
  })

  it('normalises like the docs site expects', () => {
    expect(normalize('Error 400: redirect_uri_mismatch')).toBe('error 400 redirect uri mismatch')
    expect(normalize('Cookie “sid” rejected')).toBe('cookie sid rejected')
  })

  it('prefers a specific phrase over a common word', () => {
    const small = buildIndex([
      {id: 'a', title: 'A', phrases: [{text: '401', field: 'string'}], body: 'login login'},
      {id: 'b', title: 'B', phrases: [{text: 'token revoked by admin', field: 'string'}], body: ''},
    ])
    expect(search(small, 'HTTP 401: token revoked by admin')[0].id).toBe('b')
  })
})
