import {http, HttpResponse} from 'msw'
import {describe, expect, it} from 'vitest'
import {defineCheck, fail, pass} from '../../src/engine/check.js'
import {runCase} from '../helpers/check-tester.js'

/** The tester itself: it must catch a wrong status, a wrong KB reference and a leaked secret. */
const probe = (leak: boolean) =>
  defineCheck({
    meta: {
      id: 'tester-probe',
      title: 'probe ok',
      failureTitle: 'probe broken',
      area: 'platform',
      description: 'x',
      needs: [],
      kb: ['portal-serves-json-banner'],
    },
    async run(ctx) {
      const r = await ctx.facts.fetch({url: ctx.facts.resolveUrl('/x'), purpose: 'probe'})
      const cookie = r.response?.raw.header('set-cookie') ?? ''
      if (r.response?.status === 200)
        return pass(leak ? `set ${cookie}` : `set ${r.response.header('set-cookie') ?? ''}`)
      return fail('not 200', {kb: 'portal-serves-json-banner', vars: {}})
    },
  })
const handlers = [http.get('*/x', () => HttpResponse.json({ok: true}))]
const config = (base: string) => ({target: {baseUrl: base}})

describe('check tester', () => {
  it('passes a check that reports what it should and repeats no secret from the redacted view', async () => {
    const {problems} = await runCase(probe(false), {
      name: 'ok',
      handlers,
      config,
      expect: {status: 'pass', kb: null, message: /^set tester_sid=‹redacted:cookie:[0-9a-f]{4}›/},
    })
    expect(problems).toEqual([])
  })

  it('reports a wrong status and a wrong reference', async () => {
    const {problems} = await runCase(probe(false), {
      name: 'wrong',
      handlers,
      config,
      expect: {status: 'fail', kb: 'portal-serves-json-banner'},
    })
    expect(problems).toEqual([
      expect.stringMatching(/^status: expected fail, got pass/),
      'kb: expected portal-serves-json-banner, got null',
    ])
  })

  it("catches a check that repeats the response's canary secret", async () => {
    const {problems} = await runCase(probe(true), {name: 'leak', handlers, config, expect: {status: 'pass'}})
    expect(problems).toEqual(["the response's canary secret reached the outcome (as is)"])
  })

  it('serves msw handlers on loopback and answers 404 for a route no handler takes', async () => {
    const {outcome, requests} = await runCase(probe(false), {
      name: '404',
      handlers: [],
      config,
      expect: {status: 'fail'},
    })
    expect(outcome.message).toBe('not 200')
    expect(requests).toEqual(['GET /x'])
  })
})
