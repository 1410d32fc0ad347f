import type {FilledOutcome} from '../../src/kb/cause.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import billingStatus from '../../checks/billing-status.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/**
 * A loopback billing API (GET /billing/<case>) in the shapes runtimes report: a top-level status,
 * a Stripe-like subscription.status, a nested custom state, and the last webhook time under
 * several common names.
 */
let api: TestServer
const methods = new Set<string>()
const MIN = 60_000
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString()

beforeAll(async () => {
  api = await startServer((req, res) => {
    methods.add(req.method ?? '')
    const path = (req.url ?? '/').split('?')[0]
    switch (path) {
      case '/billing/active':
        return send(res, 200, {status: 'active', plan: 'production', lastWebhookAt: iso(-180 * MIN)})
      case '/billing/trialing':
        return send(res, 200, {subscription: {id: 'sub_1', status: 'trialing'}})
      case '/billing/past-due':
        return send(res, 200, {
          status: 'past_due',
          lastWebhookAt: iso(-180 * MIN),
          checkoutStartedAt: iso(-40 * 24 * 60 * MIN),
        })
      case '/billing/never':
        return send(res, 200, {status: 'pending', lastWebhookAt: null, checkoutStartedAt: iso(-20 * MIN)})
      case '/billing/stale':
        return send(res, 200, {
          state: 'pending',
          webhook: {lastReceivedAt: iso(-3 * 24 * 60 * MIN)},
          checkout: {createdAt: iso(-20 * MIN)},
        })
      case '/billing/after':
        return send(res, 200, {
          status: 'pending',
          last_webhook_at: Math.floor((Date.now() - 5 * MIN) / 1000),
          checkout_started_at: iso(-20 * MIN),
        })
      case '/billing/rejected':
        return send(res, 200, {
          status: 'pending',
          webhook: {
            lastReceivedAt: iso(-10 * MIN),
            lastError: 'No signatures found matching the expected signature for payload',
          },
        })
      case '/billing/pending':
        return send(res, 200, {status: 'pending'})
      case '/billing/canceled':
        return send(res, 200, {subscription: {status: 'canceled'}, lastEventAt: iso(-2 * 24 * 60 * MIN)})
      case '/billing/incomplete':
        return send(res, 200, {subscription: {status: 'incomplete'}})
      case '/billing/custom':
        return send(res, 200, {billing: {plan: {state: 'paid', seats: 25}}})
      case '/billing/custom-unpaid':
        return send(res, 200, {billing: {plan: {state: 'unpaid', seats: 25}}, lastWebhookAt: iso(-30 * MIN)})
      case '/billing/shapeless':
        return send(res, 200, {plan: 'production', seats: 25})
      case '/billing/html':
        return send(res, 200, '<!doctype html><html><body>Sign in</body></html>', 'text/html')
      case '/billing/broken':
        return send(res, 500, 'Internal Server Error', 'text/plain')
      default:
        return send(res, 404, {error: 'not found'})
    }
  })
})
afterAll(async () => {
  await api.close()
})

async function check(billing: Record<string, unknown> | undefined): Promise<FilledOutcome> {
  const ctx = makeContext({target: {baseUrl: api.url}, ...(billing ? {billing} : {})})
  try {
    return await runCheck(billingStatus, ctx)
  } finally {
    await ctx.close()
  }
}

describe('billing-status: healthy', () => {
  it('status active: pass with the state and the last webhook', async () => {
    const o = await check({statusUrl: '/billing/active'})
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toBe('billing is "active" ($.status); the last webhook arrived 3 h ago')
    expect(o.items).toEqual([{label: '$.status', status: 'pass', message: 'billing is "active" ($.status)'}])
    expect(o.cause).toBeUndefined()
  })

  it('subscription.status trialing: pass', async () => {
    const o = await check({statusUrl: '/billing/trialing'})
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toBe('billing is "trialing" ($.subscription.status)')
  })

  it('a custom billing.expect that holds: pass, one item per expectation', async () => {
    const o = await check({
      statusUrl: '/billing/custom',
      expect: ['$.billing.plan.state == paid', {path: '$.billing.plan.seats', equals: 25, label: 'seats'}],
    })
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toBe(
      'billing meets all 2 expectations ($.billing.plan.state is "paid"; seats ($.billing.plan.seats) is 25)',
    )
    expect(o.items?.map((i) => i.status)).toEqual(['pass', 'pass'])
  })
})

describe('billing-status: each state gets its own diagnosis', () => {
  it('past_due with a recent webhook: payment-not-completed; webhooks arrive, so it is the payment', async () => {
    const o = await check({statusUrl: '/billing/past-due'})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('entitlement-not-active#payment-not-completed')
    expect(o.message).toBe(
      'billing is "past_due" ($.status), expected "active" or "trialing": the latest renewal charge failed and the provider is retrying it. Webhooks do reach the runtime: the last webhook arrived 3 h ago ($.lastWebhookAt), so this is the provider\'s own verdict on the payment; the payment has to be completed there',
    )
    expect(o.cause?.fix[1]).toMatch(/pay the open invoice/)
    expect(o.items).toEqual([{label: '$.status', status: 'fail', message: expect.stringContaining('"past_due"')}])
  })

  it('pending and no webhook ever received: webhook-not-accepted', async () => {
    const o = await check({statusUrl: '/billing/never'})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('entitlement-not-active#webhook-not-accepted')
    expect(o.message).toMatch(
      /^billing is "pending" \(\$\.status\), expected "active" or "trialing": billing still waits for a successful payment event\. No webhook was ever received \(\$\.lastWebhookAt is null\), and the checkout started 20 min ago \(\$\.checkoutStartedAt\): the payment webhook probably never arrived or was rejected$/,
    )
    expect(o.cause?.fix[0]).toMatch(/recent deliveries/)
  })

  it('pending, the last webhook older than the checkout: webhook-not-accepted, with both times', async () => {
    const o = await check({statusUrl: '/billing/stale'})
    expect(o.cause?.kb).toBe('entitlement-not-active#webhook-not-accepted')
    expect(o.message).toMatch(
      /The last webhook arrived 3 days ago \(\$\.webhook\.lastReceivedAt\), before the checkout started 20 min ago \(\$\.checkout\.createdAt\): the payment webhook for this checkout probably never arrived or was rejected$/,
    )
    expect(o.cause?.verify[0]).toMatch(
      /shows billing active, and \$\.webhook\.lastReceivedAt is the time of the resend\.$/,
    )
  })

  it('pending, a webhook recorded with a signature error: webhook-not-accepted, quoting the error', async () => {
    const o = await check({statusUrl: '/billing/rejected'})
    expect(o.cause?.kb).toBe('entitlement-not-active#webhook-not-accepted')
    expect(o.message).toMatch(
      /the status records its last webhook error: "No signatures found matching the expected signature for payload" \(\$\.webhook\.lastError\): the payment webhook was probably rejected$/,
    )
    expect(o.cause?.fix).toContain(
      'Start from the error the runtime recorded: "No signatures found matching the expected signature for payload".',
    )
  })

  it('pending, a webhook after the checkout (epoch seconds, snake_case): payment-not-completed', async () => {
    const o = await check({statusUrl: '/billing/after'})
    expect(o.cause?.kb).toBe('entitlement-not-active#payment-not-completed')
    expect(o.message).toMatch(
      /The last webhook arrived 5 min ago \(\$\.last_webhook_at\), after the checkout started 20 min ago \(\$\.checkout_started_at\), yet billing is not active: the provider has probably not reported the payment as succeeded yet/,
    )
  })

  it('pending with nothing about webhooks: the entry, not a guessed cause', async () => {
    const o = await check({statusUrl: '/billing/pending'})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('entitlement-not-active')
    expect(o.message).toMatch(
      /The status does not say when a webhook last arrived, so doctor cannot tell whether the payment event arrived/,
    )
  })

  it('canceled: subscription-canceled', async () => {
    const o = await check({statusUrl: '/billing/canceled'})
    expect(o.cause?.kb).toBe('entitlement-not-active#subscription-canceled')
    expect(o.message).toMatch(
      /^billing is "canceled" \(\$\.subscription\.status\), expected "active" or "trialing": the subscription was canceled .*\. The subscription is over; a new checkout \(or a reactivation at the provider\) is needed; the last webhook arrived 2 days ago/,
    )
  })

  it('incomplete: payment-not-completed, with the customer-action fix', async () => {
    const o = await check({statusUrl: '/billing/incomplete'})
    expect(o.cause?.kb).toBe('entitlement-not-active#payment-not-completed')
    expect(o.message).toMatch(/"incomplete" .*the first payment of the subscription did not complete/)
    expect(o.cause?.fix[1]).toMatch(/Have the customer complete the payment/)
  })

  it('a custom billing.expect that fails: names the expectation and the observed value', async () => {
    const o = await check({statusUrl: '/billing/custom-unpaid', expect: ['$.billing.plan.state == paid']})
    expect(o.status).toBe('fail')
    expect(o.message).toMatch(
      /^billing does not meet billing\.expect: \$\.billing\.plan\.state is "unpaid", expected "paid"\. /,
    )
    expect(o.items).toEqual([
      {
        label: '$.billing.plan.state == paid',
        status: 'fail',
        message: '$.billing.plan.state is "unpaid", expected "paid"',
      },
    ])
    expect(o.cause?.kb).toBe('entitlement-not-active')
  })

  it('only GET requests reach the billing API', () => {
    expect([...methods]).toEqual(['GET'])
  })
})

describe('billing-status: when the status cannot be judged', () => {
  it('no status field and no billing.expect: error asking for billing.expect, listing the keys', async () => {
    const o = await check({statusUrl: '/billing/shapeless'})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(
      /has no status, state or subscription\.status field \(it has the keys \["plan","seats"\]\), so doctor cannot tell whether billing is active: say what active looks like in billing\.expect/,
    )
  })

  it('HTML instead of JSON: error with a snippet', async () => {
    const o = await check({statusUrl: '/billing/html'})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(
      /answered 200 \(text\/html\), but it does not parse as JSON .*: <!doctype html><html><body>Sign in/,
    )
  })

  it('a 500: error with the status and the body', async () => {
    const o = await check({statusUrl: '/billing/broken'})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(
      /the billing status at .*\/billing\/broken answered 500 \(text\/plain\), not 2xx, so doctor cannot read it: Internal Server Error$/,
    )
  })

  it('a wrong path (404): error pointing at billing.statusUrl', async () => {
    const o = await check({statusUrl: '/billing/nope'})
    expect(o.status).toBe('error')
    expect(o.evidence?.notes?.[0]).toMatch(/is not the billing status endpoint: check billing\.statusUrl/)
  })

  it('nothing listening: error with the reason', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    const o = await check({statusUrl: `${closed.url}/billing/status`})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(
      new RegExp(`^could not read the billing status at ${closed.url}/billing/status: .*refused`, 'i'),
    )
  })

  it('a billing.expect doctor cannot read: error naming it', async () => {
    const o = await check({
      statusUrl: '/billing/custom',
      expect: ['$.billing.plan.state == paid', '$.billing.seats contains'],
    })
    expect(o.status).toBe('error')
    expect(o.message).toMatch(
      /^fix the config first: billing\.expect\[1\]: "\$\.billing\.seats contains": "contains" needs a value/,
    )
  })

  it('no billing section: skipped', async () => {
    const o = await check(undefined)
    expect(o.status).toBe('skip')
  })
})
