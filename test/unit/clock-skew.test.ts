import type {IncomingMessage, ServerResponse} from 'node:http'
import type {FilledOutcome} from '../../src/kb/cause.js'
import {afterEach, describe, expect, it} from 'vitest'
import check from '../../checks/clock-skew.js'
import type {Item} from '../../src/engine/check.js'
import type {HttpOptions} from '../../src/http/client.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {startServer, type TestServer} from '../helpers/servers.js'

// Precision is not the point here: 3 samples still give about ±0.2 s on loopback and keep the suite fast.
const FAST = {samples: 3}

describe('clock-skew', () => {
  const servers: TestServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = await startServer(handler)
    servers.push(server)
    return server.url
  }

  /** A server whose clock runs `skewS` seconds ahead of this machine (behind when negative). */
  const skewed = (skewS: number) =>
    serve((_req, res) => {
      res.sendDate = false
      res.setHeader('Date', new Date(Date.now() + skewS * 1000).toUTCString())
      res.end()
    })

  /** A port nothing listens on any more. */
  async function refusedUrl(): Promise<string> {
    const server = await startServer((_req, res) => res.end())
    await server.close()
    return server.url
  }

  async function run(config: Record<string, unknown>, http: HttpOptions = {}): Promise<FilledOutcome> {
    const ctx = makeContext(config, http)
    try {
      return await runCheck(check, ctx)
    } finally {
      await ctx.close()
    }
  }

  const item = (outcome: FilledOutcome, labelStart: string): Item => {
    const found = outcome.items?.find((i) => i.label.startsWith(labelStart))
    if (!found) throw new Error(`no item "${labelStart}" in ${JSON.stringify(outcome.items)}`)
    return found
  }

  it('passes when every clock agrees, with no false alarm', async () => {
    const app = await serve((_req, res) => res.end()) // Node stamps its own Date
    const idp = await skewed(0)
    const extra = await skewed(0)
    const outcome = await run({
      target: {baseUrl: app},
      oidc: {issuer: idp},
      clock: {...FAST, servers: [{url: extra, name: 'billing'}]},
    })
    expect(outcome.status, outcome.message).toBe('pass')
    expect(outcome.cause).toBeUndefined()
    expect(outcome.message).toMatch(/All 3 server clocks agree/)
    expect(outcome.message).toContain('tightest tolerance: oidcLeeway 30 s')
    expect(outcome.items?.map((i) => i.label)).toEqual([
      expect.stringMatching(/^app \(/),
      expect.stringMatching(/^IdP \(/),
      expect.stringMatching(/^billing \(/),
      'app vs IdP',
      'app vs billing',
      'IdP vs billing',
    ])
    expect(outcome.items?.every((i) => i.status === 'pass')).toBe(true)
    expect(outcome.evidence?.exchanges).toHaveLength(9)
  })

  it('fails naming the app when its clock is 95 s ahead of the IdP and this machine', async () => {
    const outcome = await run({target: {baseUrl: await skewed(95)}, oidc: {issuer: await skewed(0)}, clock: FAST})
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toMatch(
      /^app's clock is likely wrong: it is \+9[45]\.\d s ± 0\.\d s off this machine, while this machine and IdP agree/,
    )
    expect(item(outcome, 'app').message).toMatch(
      /^offset \+9[45]\.\d s ± 0\.\d s vs this machine, beyond the 30 s tolerance/,
    )
    expect(item(outcome, 'app').status).toBe('fail')
    expect(item(outcome, 'IdP').status).toBe('pass')
    expect(item(outcome, 'app vs IdP').status).toBe('fail')
    expect(outcome.cause?.kb).toBe('clock-skew#server-clock')
    expect(outcome.cause?.summary).toMatch(/ahead of the IdP: tokens look expired early \(exp/)
    expect(outcome.cause?.fix.join(' ')).toMatch(/Enable NTP on app \(127\.0\.0\.1:\d+\).*chrony/)
    expect(outcome.cause?.fix.join(' ')).toMatch(/TOTP.*resync the device's time/)
    expect(outcome.cause?.fix.join(' ')).toMatch(/clock_skew_seconds.*stopgap/)
    expect(outcome.cause?.verify.join(' ')).toMatch(/doctor run clock-skew.*under 15 s/)
    expect(outcome.evidence?.expected).toMatchObject({tolerance: {name: 'oidcLeeway', seconds: 30}})
  })

  it('names the IdP when it runs ahead of the app (tokens look issued in the future)', async () => {
    const outcome = await run({target: {baseUrl: await skewed(0)}, oidc: {issuer: await skewed(95)}, clock: FAST})
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toMatch(/^IdP's clock is likely wrong/)
    expect(outcome.cause?.summary).toMatch(/behind the IdP: fresh tokens look issued in the future \(iat\/nbf/)
  })

  it('says it cannot tell which side is wrong with a single server', async () => {
    const outcome = await run({target: {baseUrl: await skewed(-95)}, clock: FAST})
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toMatch(
      /cannot tell which side is wrong, app or this machine: app is -9[45]\.\d s ± 0\.\d s off this machine; check time sync \(NTP\/chrony\) on this machine and app/,
    )
    expect(outcome.cause?.kb).toBe('clock-skew')
  })

  it('warns at 20 s, over half of the 30 s tolerance', async () => {
    const outcome = await run({target: {baseUrl: await skewed(20)}, clock: FAST})
    expect(outcome.status).toBe('warn')
    expect(item(outcome, 'app').message).toMatch(/over half of \(or possibly beyond\) the 30 s tolerance/)
  })

  it('uses the tightest configured tolerance and names it', async () => {
    const outcome = await run({target: {baseUrl: await skewed(8)}, clock: {...FAST, tolerances: {paddle: 5}}})
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain('tightest tolerance: paddle 5 s')
    expect(outcome.evidence?.expected).toMatchObject({tolerance: {name: 'paddle', seconds: 5}})
  })

  it("blames this machine's clock when the servers agree with each other but not with it", async () => {
    const outcome = await run({target: {baseUrl: await skewed(120)}, oidc: {issuer: await skewed(120)}, clock: FAST})
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toMatch(
      /^This machine's clock is likely wrong: app and IdP agree with each other but are both about 1(19|2\d)\.\d s ahead of it; check `timedatectl status`/,
    )
    expect(item(outcome, 'app vs IdP').status).toBe('pass')
    expect(outcome.cause?.kb).toBe('clock-skew#local-clock')
    expect(outcome.cause?.fix.join(' ')).toMatch(/timedatectl/)
  })

  it('names the one server of three that is off', async () => {
    const outcome = await run({
      target: {baseUrl: await skewed(0)},
      oidc: {issuer: await skewed(0)},
      clock: {...FAST, servers: [{url: await skewed(60), name: 'billing'}]},
    })
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toMatch(
      /^billing's clock is likely wrong: it is \+[56]\d\.\d s ± 0\.\d s off this machine, while this machine, app and IdP agree/,
    )
    expect(outcome.message).not.toMatch(/app's clock|IdP's clock|This machine's clock/)
    expect(outcome.cause?.summary).toMatch(
      /^The clock of billing \(127\.0\.0\.1:\d+\) is off by \+[56]\d\.\d s relative to this machine, app and IdP\./,
    )
    expect(item(outcome, 'app vs IdP').status).toBe('pass')
    expect(item(outcome, 'app vs billing').status).toBe('fail')
  })

  it('reports an unreachable server as an error and still judges the others', async () => {
    const outcome = await run({
      target: {baseUrl: await skewed(0)},
      clock: {...FAST, servers: [{url: await refusedUrl(), name: 'ntp-box'}]},
    })
    expect(outcome.status).toBe('error')
    expect(item(outcome, 'ntp-box').status).toBe('error')
    expect(item(outcome, 'ntp-box').message).toMatch(/connection refused by 127\.0\.0\.1:\d+\. Nothing is listening/)
    expect(item(outcome, 'app').status).toBe('pass')
    expect(outcome.message).toMatch(
      /^app's clock agrees with this machine: .*Could not read: ntp-box \(connection refused/,
    )
  })

  it('errors with a clear message when no server could be read', async () => {
    const dateless = await serve((_req, res) => {
      res.sendDate = false
      res.end()
    })
    const outcome = await run({target: {baseUrl: dateless}, oidc: {issuer: await refusedUrl()}, clock: FAST})
    expect(outcome.status).toBe('error')
    expect(outcome.message).toMatch(
      /^Could not read the clock of any server: app \(answered HTTP 200 without a usable Date header\); IdP \(connection refused/,
    )
    expect(item(outcome, 'app').status).toBe('skip')
    expect(item(outcome, 'app').message).toContain('response 200 carried no Date header')
  })

  it('gives up on a server that never answers within the HTTP timeout', async () => {
    const silent = await serve(() => {})
    const outcome = await run({target: {baseUrl: silent}, clock: FAST}, {timeoutMs: 500})
    expect(outcome.status).toBe('error')
    expect(item(outcome, 'app').message).toMatch(/did not answer within 500 ms/)
  })

  it('counts one origin once, whatever config keys name it', async () => {
    const shared = await skewed(0)
    const outcome = await run({
      target: {baseUrl: shared},
      oidc: {issuer: `${shared}/realms/main`},
      clock: {...FAST, servers: [shared]},
    })
    expect(outcome.status).toBe('pass')
    expect(outcome.items?.map((i) => i.label)).toEqual([expect.stringMatching(/^app\/IdP \(127\.0\.0\.1:\d+\)$/)])
  })

  it('skips with a reason when no server is configured', async () => {
    const skipReasonFor = async (config: Record<string, unknown>) => {
      const ctx = makeContext(config)
      await ctx.close()
      return check.skipReason?.(ctx.config)
    }
    expect(await skipReasonFor({})).toMatch(/set target\.baseUrl, oidc\.issuer or clock\.servers/)
    expect(await skipReasonFor({clock: {servers: ['http://127.0.0.1:9/']}})).toBeUndefined()
    expect((await run({})).status).toBe('skip')
  })
})
