import {createServer as createTlsServer, type Server as TlsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {HttpClient} from '../../src/http/client.js'
import {classifyNetError} from '../../src/http/errors.js'
import {exchangeSchema} from '../../src/report/schema.js'
import {Redactor} from '../../src/redact/redactor.js'
import {send, startServer, streamBytes, type TestServer} from '../helpers/servers.js'
import {makeCertificates} from '../helpers/tls.js'

let main: TestServer
let other: TestServer
let hung: TestServer
const seenHeaders: Array<{url: string; authorization?: string; cookie?: string}> = []

beforeAll(async () => {
  other = await startServer((req, res) => {
    seenHeaders.push({url: `other${req.url}`, authorization: req.headers.authorization, cookie: req.headers.cookie})
    send(res, 200, {where: 'other'})
  })
  main = await startServer((req, res) => {
    seenHeaders.push({url: `main${req.url}`, authorization: req.headers.authorization, cookie: req.headers.cookie})
    const url = new URL(req.url!, 'http://x')
    if (url.pathname === '/hop1') return res.writeHead(302, {location: '/hop2'}).end()
    if (url.pathname === '/hop2') return res.writeHead(301, {location: '/final'}).end()
    if (url.pathname === '/final') return send(res, 200, {ok: true})
    if (url.pathname === '/loop-a') return res.writeHead(302, {location: '/loop-b'}).end()
    if (url.pathname === '/loop-b') return res.writeHead(302, {location: '/loop-a'}).end()
    if (url.pathname === '/away') return res.writeHead(302, {location: `${other.url}/landing`}).end()
    if (url.pathname === '/see-other') return res.writeHead(303, {location: '/final'}).end()
    if (url.pathname === '/forever') {
      const n = Number(url.searchParams.get('n') ?? 0)
      return res.writeHead(302, {location: `/forever?n=${n + 1}`}).end()
    }
    if (url.pathname === '/huge') return streamBytes(res, 50 * 1024 * 1024) // the client must stop at its cap
    if (url.pathname === '/cookie')
      return res
        .writeHead(200, {'set-cookie': 'sid=abcdef0123456789; Path=/; HttpOnly', 'content-type': 'text/plain'})
        .end('ok')
    send(res, 404, {error: 'nope'})
  })
  hung = await startServer(() => {
    /* accepts and never answers */
  })
})

afterAll(async () => {
  await Promise.all([main.close(), other.close(), hung.close()])
})

const client = (opts = {}) => new HttpClient({timeoutMs: 2000, connectTimeoutMs: 1000, ...opts}, new Redactor())

describe('HTTP client', () => {
  it('does not follow redirects by itself', async () => {
    const c = client()
    const r = await c.request({url: `${main.url}/hop1`, purpose: 't'})
    expect(r.response?.status).toBe(302)
    expect(r.response?.header('location')).toBe('/hop2')
    await c.close()
  })

  it('follows redirects explicitly and records each hop', async () => {
    const c = client()
    const chain = await c.follow({url: `${main.url}/hop1`, purpose: 't'})
    expect(chain.hops.map((h) => h.response?.status)).toEqual([302, 301, 200])
    expect(chain.final.response?.json()).toEqual({ok: true})
    expect(chain.stopped).toBeUndefined()
    expect(c.exchanges.map((e) => new URL(e.url).pathname)).toEqual(['/hop1', '/hop2', '/final'])
    await c.close()
  })

  it('detects a redirect loop', async () => {
    const c = client()
    const chain = await c.follow({url: `${main.url}/loop-a`, purpose: 't'})
    expect(chain.stopped?.reason).toBe('loop')
    expect(chain.hops).toHaveLength(2)
    await c.close()
  })

  it('stops after the hop limit', async () => {
    const c = client()
    const chain = await c.follow({url: `${main.url}/forever`, purpose: 't'}, 5)
    expect(chain.stopped?.reason).toBe('too-many-hops')
    expect(chain.hops.length).toBeLessThanOrEqual(6)
    await c.close()
  })

  it('never forwards Authorization or Cookie to another origin', async () => {
    seenHeaders.length = 0
    const c = client()
    await c.follow({
      url: `${main.url}/away`,
      purpose: 't',
      headers: {Authorization: 'Bearer secret-token-1', Cookie: 'sid=1'},
    })
    expect(seenHeaders[0]).toMatchObject({url: 'main/away', authorization: 'Bearer secret-token-1', cookie: 'sid=1'})
    expect(seenHeaders[1]).toEqual({url: 'other/landing', authorization: undefined, cookie: undefined})
    await c.close()
  })

  it('keeps credentials on same-origin hops and turns 303 into GET', async () => {
    seenHeaders.length = 0
    const c = client()
    const chain = await c.follow({
      url: `${main.url}/see-other`,
      method: 'POST',
      body: 'x=1',
      purpose: 't',
      headers: {Authorization: 'Bearer same-origin-tok'},
    })
    expect(chain.hops.map((h) => h.exchange.method)).toEqual(['POST', 'GET'])
    expect(seenHeaders[1].authorization).toBe('Bearer same-origin-tok')
    await c.close()
  })

  it('reads a 50 MB body only up to the cap', async () => {
    const c = client({maxBodyBytes: 1024 * 1024})
    const r = await c.request({url: `${main.url}/huge`, purpose: 't'})
    expect(r.response?.truncated).toBe(true)
    expect(r.response?.size).toBe(1024 * 1024)
    expect(r.exchange.truncated).toBe(true)
    await c.close()
  }, 15_000) // a hang guard: reading all 50 MB would still pass the size checks, so the cap is what ends it

  it('classifies a refused connection', async () => {
    const closed = await startServer(() => {})
    const url = closed.url
    await closed.close()
    const c = client()
    const r = await c.request({url: `${url}/x`, purpose: 't'})
    expect(r.error?.kind).toBe('refused')
    expect(r.error?.hint).toMatch(/listening/)
    await c.close()
  })

  it('times out a server that accepts and never answers', async () => {
    const c = client({timeoutMs: 400})
    const r = await c.request({url: `${hung.url}/`, purpose: 't'})
    expect(r.error?.kind).toBe('timeout')
    // AbortSignal.timeout's DOMException has the numeric code 23; the report schema wants a string.
    expect(typeof r.error?.code).toBe('string')
    expect(exchangeSchema.safeParse(JSON.parse(JSON.stringify(r.exchange))).success).toBe(true)
    expect(r.error?.message).toContain('400 ms')
    await c.close()
  }, 15_000)

  it('rejects non-http URLs without a request', async () => {
    const c = client()
    const r = await c.request({url: 'ftp://example.com/x', purpose: 't'})
    expect(r.error?.kind).toBe('invalid-url')
    await c.close()
  })

  it('records exchanges with credentials redacted', async () => {
    const c = client()
    await c.request({
      url: `${main.url}/cookie?token=abc123456789`,
      purpose: 't',
      headers: {Authorization: 'Bearer tok-abcdef-123'},
    })
    const text = JSON.stringify(c.exchanges)
    expect(text).not.toMatch(/tok-abcdef-123|abcdef0123456789|abc123456789/)
    expect(String(c.exchanges[0].responseHeaders['set-cookie'])).toMatch(
      /^sid=‹redacted:cookie:[0-9a-f]{4}›; Path=\/; HttpOnly$/,
    )
    await c.close()
  })

  describe('TLS', () => {
    let certs: ReturnType<typeof makeCertificates>
    let trusted: TlsServer
    let selfSigned: TlsServer
    const urlOf = (s: TlsServer) => `https://127.0.0.1:${(s.address() as AddressInfo).port}/`
    beforeAll(async () => {
      certs = makeCertificates()
      trusted = createTlsServer({key: certs.key, cert: certs.cert}, (_req, res) => res.end('tls ok'))
      selfSigned = createTlsServer({key: certs.selfSignedKey, cert: certs.selfSignedCert}, (_req, res) =>
        res.end('tls ok'),
      )
      await Promise.all([trusted, selfSigned].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))))
    })
    afterAll(() => {
      trusted.close()
      selfSigned.close()
    })

    it('says a self-signed certificate is the problem and mentions --ca', async () => {
      const c = client()
      const r = await c.request({url: urlOf(selfSigned), purpose: 't'})
      expect(r.error?.kind).toBe('tls')
      expect(r.error?.hint).toContain('--ca')
      await c.close()
    })

    it('trusts a private CA given with --ca, keeping verification on', async () => {
      const withCa = client({caFile: certs.caFile})
      expect((await withCa.request({url: urlOf(trusted), purpose: 't'})).response?.text()).toBe('tls ok')
      // The CA does not vouch for the self-signed server: still rejected.
      expect((await withCa.request({url: urlOf(selfSigned), purpose: 't'})).error?.kind).toBe('tls')
      await withCa.close()
      const without = client()
      expect((await without.request({url: urlOf(trusted), purpose: 't'})).error?.kind).toBe('tls')
      await without.close()
    })

    it('skips verification only with insecure', async () => {
      const c = client({insecure: true})
      expect((await c.request({url: urlOf(selfSigned), purpose: 't'})).response?.status).toBe(200)
      await c.close()
    })
  })
})

describe('classifyNetError', () => {
  const url = 'http://127.0.0.1:9/readyz'
  const netErrorSchema = exchangeSchema.shape.error

  it("gives an AbortSignal.timeout abort a string code, not the DOMException's numeric 23", async () => {
    const signal = AbortSignal.timeout(1)
    await new Promise((resolve) => signal.addEventListener('abort', resolve, {once: true}))
    expect((signal.reason as {code: unknown}).code).toBe(23) // what undici rethrows
    const error = classifyNetError(signal.reason, url, 1)
    expect(error).toMatchObject({kind: 'timeout', code: 'TIMEOUT'})
    expect(netErrorSchema.safeParse(error).success).toBe(true)
  })

  it('an abort DOMException (numeric code 20) is aborted, with a string code', () => {
    const error = classifyNetError(new DOMException('This operation was aborted', 'AbortError'), url, 1000)
    expect(error).toMatchObject({kind: 'aborted', code: 'ABORTED'})
  })

  it('skips numeric codes in the cause chain and classifies by the string codes below them', () => {
    const reset = Object.assign(new Error('other side closed'), {
      code: 'UND_ERR_SOCKET',
      cause: Object.assign(new Error('read ECONNRESET'), {code: 'ECONNRESET', errno: -104}),
    })
    const error = classifyNetError(Object.assign(new Error('fetch failed'), {code: 42, cause: reset}), url, 1000)
    expect(error).toMatchObject({kind: 'reset', code: 'UND_ERR_SOCKET'})
  })

  it('whatever was thrown, every field of the NetError is what the report schema accepts', () => {
    const thrown: unknown[] = [
      Object.assign(new Error('numeric'), {code: 500}),
      {code: 7, name: 8, message: 9},
      {message: {nested: true}},
      Object.create(null),
      'a string',
      undefined,
      null,
    ]
    for (const value of thrown) {
      const error = classifyNetError(value, url, 1000)
      expect(netErrorSchema.safeParse(error).error?.issues, String(JSON.stringify(value))).toBeUndefined()
      expect(typeof error.message).toBe('string')
    }
  })
})
