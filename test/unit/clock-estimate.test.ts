import type {ServerResponse} from 'node:http'
import {afterEach, describe, expect, it} from 'vitest'
import {type ClockEstimate, type ClockSample, combine, sampleFrom, serverClock} from '../../src/facts/clock.js'
import {makeContext} from '../helpers/context.js'
import {startServer, type TestServer} from '../helpers/servers.js'

/**
 * The HTTP client times requests with performance.timeOrigin + performance.now(), the loopback
 * server stamps Date from Date.now(); the two epoch clocks differ by about a millisecond.
 */
const EPOCH_CLOCKS_EPSILON_S = 0.005

/** What a server whose clock runs `offsetS` ahead would answer to a request sent at `sentAtMs`. */
function synthetic(offsetS: number, sentAtMs: number, rttMs = 10): ClockSample {
  const stampedAtMs = sentAtMs + rttMs / 2
  const dateMs = Math.floor(stampedAtMs / 1000 + offsetS) * 1000
  return sampleFrom(sentAtMs, sentAtMs + rttMs, dateMs)
}

const combineSamples = (samples: ClockSample[]) => combine('http://x.test/', 'http://x.test', samples, [], [])

function stampDate(res: ServerResponse, skewMs: number): void {
  res.sendDate = false
  res.setHeader('Date', new Date(Date.now() + skewMs).toUTCString())
}

describe('combine', () => {
  const start = 1_700_000_000_123

  it('narrows the interval by intersecting samples spread over the second', () => {
    const offset = 10.3
    const single = combineSamples([synthetic(offset, start)])
    const spread = combineSamples([0, 1, 2, 3, 4].map((i) => synthetic(offset, start + i * 200)))
    for (const estimate of [single, spread]) {
      expect(estimate.lo).toBeLessThanOrEqual(offset)
      expect(estimate.hi).toBeGreaterThanOrEqual(offset)
      expect(estimate.inconsistent).toBe(false)
    }
    expect(single.uncertaintySeconds).toBeGreaterThan(0.5)
    expect(spread.uncertaintySeconds).toBeLessThan(0.15)
    expect(Math.abs(spread.offsetSeconds - offset)).toBeLessThanOrEqual(spread.uncertaintySeconds)
  })

  it('keeps slow samples in the intersection: they are wide, not wrong', () => {
    const offset = -3.6
    const estimate = combineSamples([synthetic(offset, start, 10), synthetic(offset, start + 500, 900)])
    expect(estimate.samples).toBe(2)
    expect(estimate.lo).toBeLessThanOrEqual(offset)
    expect(estimate.hi).toBeGreaterThanOrEqual(offset)
  })

  it('falls back to the median when samples disagree (two backends with different clocks)', () => {
    const samples = [0, 1, 2]
      .map((i) => synthetic(0, start + i * 300))
      .concat([3, 4].map((i) => synthetic(10, start + i * 300)))
    const estimate = combineSamples(samples)
    expect(estimate.inconsistent).toBe(true)
    expect(Math.abs(estimate.offsetSeconds)).toBeLessThan(1)
    expect(estimate.uncertaintySeconds).toBeGreaterThan(5)
    expect(estimate.notes.join(' ')).toMatch(/not consistent with a single clock/)
  })

  it('has no offset without samples', () => {
    const estimate = combineSamples([])
    expect(estimate.samples).toBe(0)
    expect(Number.isNaN(estimate.offsetSeconds)).toBe(true)
  })
})

describe('serverClock against a loopback server', () => {
  const servers: TestServer[] = []
  const contexts: Array<ReturnType<typeof makeContext>> = []
  afterEach(async () => {
    await Promise.all([...servers.splice(0).map((s) => s.close()), ...contexts.splice(0).map((c) => c.close())])
  })

  async function estimateOf(
    handler: Parameters<typeof startServer>[0],
    samples: number,
  ): Promise<{estimate: ClockEstimate; server: TestServer}> {
    const server = await startServer(handler)
    servers.push(server)
    const ctx = makeContext({target: {baseUrl: server.url}})
    contexts.push(ctx)
    return {estimate: await serverClock(ctx.facts, server.url, samples), server}
  }

  it.each([95, -40, 0])(
    'estimates a %s s skew within its uncertainty, to better than 0.6 s with 5 samples',
    async (skewS) => {
      const {estimate} = await estimateOf((_req, res) => {
        stampDate(res, skewS * 1000)
        res.end()
      }, 5)
      expect(estimate.samples).toBe(5)
      expect(estimate.inconsistent).toBe(false)
      expect(estimate.uncertaintySeconds).toBeLessThan(0.6)
      expect(Math.abs(estimate.offsetSeconds - skewS)).toBeLessThanOrEqual(
        estimate.uncertaintySeconds + EPOCH_CLOCKS_EPSILON_S,
      )
      expect(estimate.exchanges.every((e) => e.method === 'HEAD')).toBe(true)
    },
  )

  it('reads the Date header Node stamps itself (cached per second) without calling it inconsistent', async () => {
    const {estimate} = await estimateOf((_req, res) => res.end(), 5)
    expect(estimate.inconsistent).toBe(false)
    expect(Math.abs(estimate.offsetSeconds)).toBeLessThanOrEqual(estimate.uncertaintySeconds + EPOCH_CLOCKS_EPSILON_S)
  })

  it('falls back to GET when HEAD is refused with 405', async () => {
    const {estimate, server} = await estimateOf((req, res) => {
      stampDate(res, 30_000)
      if (req.method === 'HEAD') {
        res.writeHead(405, {allow: 'GET'})
        return res.end()
      }
      res.end('ok')
    }, 3)
    expect(server.seen).toEqual(['HEAD /', 'GET /', 'GET /', 'GET /'])
    expect(estimate.samples).toBe(3)
    expect(estimate.notes).toContain('HEAD answered 405; sampled with GET instead')
    expect(Math.abs(estimate.offsetSeconds - 30)).toBeLessThanOrEqual(
      estimate.uncertaintySeconds + EPOCH_CLOCKS_EPSILON_S,
    )
  })

  it('ignores responses served from a cache (Age > 0)', async () => {
    let count = 0
    const {estimate} = await estimateOf((_req, res) => {
      // Every other answer is a 5-minute-old cached copy: its Date is the time it was generated.
      const cached = count++ % 2 === 0
      stampDate(res, cached ? -300_000 : 0)
      if (cached) res.setHeader('Age', '300')
      res.end()
    }, 4)
    expect(estimate.samples).toBe(2)
    expect(estimate.inconsistent).toBe(false)
    expect(Math.abs(estimate.offsetSeconds)).toBeLessThanOrEqual(estimate.uncertaintySeconds + EPOCH_CLOCKS_EPSILON_S)
    expect(estimate.notes.filter((n) => n.includes('Age: 300'))).toHaveLength(1)
  })

  it('reports no offset, with one note, when the server sends no Date header', async () => {
    const {estimate, server} = await estimateOf((_req, res) => {
      res.sendDate = false
      res.end()
    }, 3)
    expect(server.seen).toHaveLength(3)
    expect(estimate.samples).toBe(0)
    expect(estimate.error).toBeUndefined()
    expect(Number.isNaN(estimate.offsetSeconds)).toBe(true)
    expect(estimate.notes).toEqual(['response 200 carried no Date header'])
  })

  it('stops at the first network error and reports it', async () => {
    const server = await startServer((_req, res) => res.end())
    const url = server.url
    await server.close()
    const ctx = makeContext({target: {baseUrl: url}})
    contexts.push(ctx)
    const estimate = await serverClock(ctx.facts, url, 5)
    expect(estimate.samples).toBe(0)
    expect(estimate.exchanges).toHaveLength(1)
    expect(estimate.error?.kind).toBe('refused')
  })
})
