import type {ExchangeRecord, NetError} from '../http/types.js'
import type {Facts} from './facts.js'

/**
 * Servers stamp Date from a time cached per event-loop turn (nginx) or per second with a timer
 * (Node's http), so just after a second boundary the header can still show the previous
 * second. Widening each interval's upper end by this much keeps a steady clock consistent.
 */
export const STALE_DATE_SLACK_S = 0.02

/**
 * One Date-header observation. The server stamped Date = D (whole seconds, so its clock read
 * somewhere in [D, D+1)) at some instant between our send (t0) and the headers' arrival (t1).
 * Hence offset = serverClock - localClock lies in [D - t1, D + 1 - t0].
 */
export interface ClockSample {
  t0: number
  t1: number
  date: number
  lo: number
  hi: number
  rttMs: number
}

export interface ClockEstimate {
  url: string
  origin: string
  /** Best estimate of server minus local clock, in seconds. */
  offsetSeconds: number
  /** Half-width of the interval the offset is known to lie in, in seconds. */
  uncertaintySeconds: number
  lo: number
  hi: number
  samples: number
  /** True when the per-sample intervals did not overlap (e.g. several backends with different clocks). */
  inconsistent: boolean
  notes: string[]
  exchanges: ExchangeRecord[]
  error?: NetError
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve()
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), {once: true})
  })

/**
 * Several HEAD requests spread over the sub-second phase, so the second boundaries of the
 * Date header cut the combined interval down (the idea behind htpdate). Falls back to GET when
 * HEAD is refused. A response with Age > 0 came from a cache and is not used.
 */
export function serverClock(facts: Facts, url: string, samples: number): Promise<ClockEstimate> {
  const origin = new URL(url).origin
  return facts.once(`clock ${origin} ${samples}`, async () => {
    const list: ClockSample[] = []
    const exchanges: ExchangeRecord[] = []
    const notes: string[] = []
    // Every sample of a misbehaving server says the same thing; one note per distinct problem.
    const note = (text: string) => {
      if (!notes.includes(text)) notes.push(text)
    }
    let method = 'HEAD'
    let lastError: NetError | undefined
    let firstPhase = 0
    let lastRttMs = 0
    for (let i = 0; i < samples && !facts.signal.aborted; i++) {
      if (i === 0) firstPhase = (Date.now() % 1000) / 1000
      else {
        // Aim each request to arrive at a different fraction of the second, 1/samples apart.
        const arrival = ((Date.now() + lastRttMs / 2) % 1000) / 1000
        const target = (firstPhase + i / samples) % 1
        await sleep(((target - arrival + 1) % 1) * 1000, facts.signal)
      }
      const result = await facts.http.request({
        method,
        url,
        purpose: `clock:${origin}`,
        signal: facts.signal,
        headers: {'cache-control': 'no-cache'},
      })
      exchanges.push(result.exchange)
      const res = result.response
      if (!res) {
        lastError = result.error
        break
      }
      if ((res.status === 405 || res.status === 501) && method === 'HEAD') {
        method = 'GET'
        note(`HEAD answered ${res.status}; sampled with GET instead`)
        i--
        continue
      }
      const dateHeader = res.header('date')
      if (!dateHeader) {
        note(`response ${res.status} carried no Date header`)
        continue
      }
      const age = Number(res.header('age') ?? 0)
      if (age > 0) {
        note(`response came from a cache (Age: ${age}); its Date is not the server's current time`)
        continue
      }
      const date = Date.parse(dateHeader)
      if (Number.isNaN(date)) {
        note(`unparseable Date header "${dateHeader}"`)
        continue
      }
      const via = res.header('via')
      // RFC 9110 lets the outermost server stamp Date: behind a CDN this may be its clock, not the app's.
      if (via)
        note(
          `the response passed through a proxy (Via: ${via}); its Date may be the proxy's clock rather than the origin's`,
        )
      lastRttMs = res.receivedAt - res.sentAt
      list.push(sampleFrom(res.sentAt, res.receivedAt, date))
    }
    return combine(url, origin, list, notes, exchanges, lastError)
  })
}

/** The offset interval one response proves, from send/receive times and its Date (all epoch ms). */
export function sampleFrom(sentAtMs: number, receivedAtMs: number, dateMs: number): ClockSample {
  const t0 = sentAtMs / 1000
  const t1 = receivedAtMs / 1000
  const d = dateMs / 1000
  return {t0, t1, date: d, lo: d - t1, hi: d + 1 + STALE_DATE_SLACK_S - t0, rttMs: receivedAtMs - sentAtMs}
}

export function combine(
  url: string,
  origin: string,
  list: ClockSample[],
  notes: string[],
  exchanges: ExchangeRecord[],
  error?: NetError,
): ClockEstimate {
  const base = {url, origin, samples: list.length, notes, exchanges, ...(error ? {error} : {})}
  if (list.length === 0)
    return {...base, offsetSeconds: NaN, uncertaintySeconds: NaN, lo: NaN, hi: NaN, inconsistent: false}
  // Every interval is a proof, however slow its exchange (a slow one is merely wide), so the
  // intersection uses them all.
  const lo = Math.max(...list.map((s) => s.lo))
  const hi = Math.min(...list.map((s) => s.hi))
  if (lo <= hi) {
    return {...base, offsetSeconds: (lo + hi) / 2, uncertaintySeconds: (hi - lo) / 2, lo, hi, inconsistent: false}
  }
  // Intervals disagree: the Date headers do not come from one steady clock. Use the median
  // midpoint of the fast samples; a sample whose RTT is over 3x the fastest says little.
  const fastest = Math.min(...list.map((s) => s.rttMs))
  const kept = list.filter((s) => s.rttMs <= Math.max(3 * fastest, fastest + 50))
  const mids = kept.map((s) => (s.lo + s.hi) / 2).sort((a, b) => a - b)
  const median = mids[Math.floor(mids.length / 2)]
  const spread = (mids[mids.length - 1] - mids[0]) / 2
  const half = 0.5 + Math.max(...kept.map((s) => s.rttMs)) / 2000 + spread
  notes.push(
    'the Date headers are not consistent with a single clock (several backends behind a load balancer, or a proxy stamping Date)',
  )
  return {
    ...base,
    offsetSeconds: median,
    uncertaintySeconds: half,
    lo: median - half,
    hi: median + half,
    inconsistent: true,
  }
}
