import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {send, startServer, type TestServer} from '../helpers/servers.js'
import {makeContext} from '../helpers/context.js'

let server: TestServer
beforeAll(async () => {
  server = await startServer((req, res) => send(res, 200, {path: req.url}))
})
afterAll(() => server.close())

describe('facts', () => {
  it('resolves paths against the base URL, keeping its path prefix', () => {
    for (const base of ['https://host.example/app', 'https://host.example/app/']) {
      const ctx = makeContext({target: {baseUrl: base}})
      expect(ctx.facts.resolveUrl('/readyz')).toBe('https://host.example/app/readyz')
      expect(ctx.facts.resolveUrl('/health?next=a//b')).toBe('https://host.example/app/health?next=a//b')
      expect(ctx.facts.resolveUrl('https://other.example/x')).toBe('https://other.example/x')
    }
  })

  it('fetches a URL once per run however many callers ask', async () => {
    const ctx = makeContext({target: {baseUrl: server.url}})
    const url = `${server.url}/once`
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => ctx.facts.fetch({url, purpose: 'test'})))
    expect(a).toBe(b)
    expect(b).toBe(c)
    expect(server.seen.filter((s) => s === 'GET /once')).toHaveLength(1)
    // Different headers are a different request.
    await ctx.facts.fetch({url, purpose: 'test', headers: {accept: 'text/plain'}})
    expect(server.seen.filter((s) => s === 'GET /once')).toHaveLength(2)
    await ctx.close()
  })
})
