import {
  type CauseRef,
  type CheckOutcome,
  defineCheck,
  type Evidence,
  fail,
  type Item,
  pass,
  skip,
} from '../src/engine/check.js'
import {
  allOf,
  compact,
  evaluate,
  type ExpectationResult,
  type Field,
  invalidExpectations,
  type JsonRead,
  lookup,
  parseDate,
  readJson,
  relative,
  unreadable,
} from '../src/expect/expectations.js'
import type {ExchangeRecord} from '../src/http/types.js'

const E = 'entitlement-not-active'

export default defineCheck({
  meta: {
    id: 'billing-status',
    title: 'Billing is active',
    failureTitle: 'Billing is not active',
    area: 'billing',
    description:
      'GETs the billing status (billing.statusUrl) and judges it by billing.expect, or by its status field (active or trialing); when it is not active, names the state and, from the last webhook time, whether the payment event ever arrived.',
    needs: ['billing.statusUrl'],
    kb: [E, `${E}#webhook-not-accepted`, `${E}#payment-not-completed`, `${E}#subscription-canceled`],
  },
  async run(ctx) {
    const cfg = ctx.config.billing
    if (!cfg) return skip('no billing section in the config: set billing.statusUrl to check the billing state')
    const invalid = invalidExpectations(cfg.expect ?? [], 'billing.expect')
    if (invalid.length > 0) return {status: 'error', message: `fix the config first: ${invalid.join('; ')}`}
    const url = ctx.facts.resolveUrl(cfg.statusUrl)
    const read = await readJson(ctx.facts, {url, headers: cfg.headers, purpose: 'billing-status'})
    if (read.kind !== 'json') return notRead(read)
    const now = ctx.now()
    const s = describe(read.json, now, read.url, read.exchange, cfg.headers)
    const results = cfg.expect ? await evaluate(cfg.expect, read.json, now) : undefined

    if (!results && !s.state) {
      return {
        status: 'error',
        message: `the billing status at ${s.url} has no status, state or subscription.status field (it has ${keysOf(read.json)}), so doctor cannot tell whether billing is active: say what active looks like in billing.expect (e.g. "$.billing.state == paid")`,
        evidence: evidence(s, undefined),
      }
    }
    const items: Item[] = results
      ? results.map((r) => ({label: r.expectation.text, status: r.ok ? 'pass' : 'fail', message: r.message}))
      : [{label: s.state!.path, status: HEALTHY.has(s.word!) ? 'pass' : 'fail', message: stateMessage(s)}]
    const healthy = results ? results.every((r) => r.ok) : HEALTHY.has(s.word!)
    if (healthy) return pass(healthyMessage(s, results), {evidence: evidence(s, results), items})

    const failing = results?.filter((r) => !r.ok) ?? []
    const what = results
      ? `billing does not meet billing.expect: ${failing.map((r) => r.message).join('; ')}${s.state ? ` (its state: ${compact(s.state.value)} at ${s.state.path})` : ''}`
      : stateMessage(s)
    const d = diagnose(s)
    return fail(`${what}. ${d.message}`, d.cause, {evidence: evidence(s, results), items})
  },
})

// ---------------------------------------------------------------------------------------------
// Reading the status

interface Status {
  url: string
  curl: string
  exchange: ExchangeRecord
  now: number
  state?: Field
  /** The state in lower case with underscores: "past_due". */
  word?: string
  webhook: Webhook
  checkout?: Field & {at: number}
  webhookError?: Field
}

type Webhook = {kind: 'unknown'} | {kind: 'never'; field: Field} | {kind: 'at'; field: Field; at: number}

const HEALTHY = new Set(['active', 'trialing'])
const CANCELED = new Set(['canceled', 'cancelled', 'incomplete_expired', 'expired', 'ended', 'terminated'])
const PAYMENT = new Set([
  'past_due',
  'unpaid',
  'incomplete',
  'requires_action',
  'requires_payment_method',
  'payment_failed',
  'paused',
])

const MEANING: Record<string, string> = {
  past_due: 'the latest renewal charge failed and the provider is retrying it',
  unpaid: 'renewal charges failed and the provider has stopped retrying; the invoice stays open',
  incomplete:
    'the first payment of the subscription did not complete (declined, or waiting for the customer to authenticate the card)',
  requires_action: 'the payment waits for the customer to authenticate it',
  requires_payment_method: 'the payment failed and needs another payment method',
  payment_failed: 'the payment failed',
  paused: 'the subscription is paused, typically because a trial ended without a payment method',
  canceled: 'the subscription was canceled (by the customer, or by the provider after failed payments)',
  cancelled: 'the subscription was cancelled (by the customer, or by the provider after failed payments)',
  incomplete_expired: 'the first payment never completed and the provider expired the subscription',
  expired: 'the subscription has expired',
  ended: 'the subscription has ended',
  terminated: 'the subscription was terminated',
  pending: 'billing still waits for a successful payment event',
}

const STATE_PATHS = [
  'status',
  'state',
  'subscription.status',
  'subscription.state',
  'billing.status',
  'billing.state',
  'billingstatus',
  'subscriptionstatus',
]
const WEBHOOK_PATHS = [
  'lastwebhookat',
  'lastwebhookreceivedat',
  'lastwebhook.receivedat',
  'lastwebhook.at',
  'webhook.lastreceivedat',
  'webhook.lastat',
  'webhook.lasteventat',
  'webhooks.lastreceivedat',
  'webhooks.lastat',
  'lasteventat',
  'lasteventreceivedat',
  'lastevent.receivedat',
  'webhook.receivedat',
  'lastwebhook',
  'lastevent',
]
const WEBHOOK_ERROR_PATHS = [
  'lastwebhookerror',
  'webhook.lasterror',
  'webhooks.lasterror',
  'lastwebhook.error',
  'webhook.error',
  'lasteventerror',
  'lastevent.error',
]
const CHECKOUT_PATHS = [
  'checkoutstartedat',
  'checkoutcreatedat',
  'checkout.createdat',
  'checkout.startedat',
  'checkout.at',
  'lastcheckoutat',
  'checkoutat',
  'pendingsince',
  'pending.since',
]
const NEVER = new Set(['', 'never', 'none', 'n/a', 'null'])

function describe(
  json: unknown,
  now: number,
  url: string,
  exchange: ExchangeRecord,
  headers?: Record<string, string>,
): Status {
  let state: Field | undefined
  for (const candidate of STATE_PATHS) {
    const f = lookup(json, [candidate])
    if (f && typeof f.value === 'string') {
      state = f
      break
    }
  }
  const word = state
    ? String(state.value)
        .trim()
        .toLowerCase()
        .replace(/[\s-]+/g, '_')
    : undefined
  let webhook: Webhook = {kind: 'unknown'}
  const w = lookup(json, WEBHOOK_PATHS)
  if (w) {
    const at = parseDate(w.value)
    if (at !== undefined) webhook = {kind: 'at', field: w, at}
    else if (
      w.value === null ||
      w.value === 0 ||
      (typeof w.value === 'string' && NEVER.has(w.value.trim().toLowerCase()))
    )
      webhook = {kind: 'never', field: w}
  }
  const c = lookup(json, CHECKOUT_PATHS)
  const checkoutAt = c ? parseDate(c.value) : undefined
  const e = lookup(json, WEBHOOK_ERROR_PATHS)
  const h = Object.keys(headers ?? {})
    .map((name) => ` -H '${name}: …'`)
    .join('')
  return {
    url,
    curl: `curl -sS${h} '${url}'`,
    exchange,
    now,
    state,
    word,
    webhook,
    ...(c && checkoutAt !== undefined ? {checkout: {...c, at: checkoutAt}} : {}),
    ...(e && typeof e.value === 'string' && e.value.trim() !== '' ? {webhookError: e} : {}),
  }
}

function keysOf(json: unknown): string {
  if (json === null || typeof json !== 'object') return `a JSON ${json === null ? 'null' : typeof json}`
  const keys = Array.isArray(json) ? [] : Object.keys(json)
  return keys.length > 0 ? `the keys ${compact(keys)}` : Array.isArray(json) ? 'a list' : 'no keys'
}

function stateMessage(s: Status): string {
  const state = s.state!
  const meaning = MEANING[s.word!]
  const expected = HEALTHY.has(s.word!) ? '' : `, expected "active" or "trialing"`
  return `billing is ${compact(state.value)} (${state.path})${expected}${meaning && !HEALTHY.has(s.word!) ? `: ${meaning}` : ''}`
}

function webhookText(s: Status): string {
  const w = s.webhook
  if (w.kind === 'never') return `no webhook was ever received (${w.field.path} is ${compact(w.field.value)})`
  if (w.kind === 'at') return `the last webhook arrived ${relative(w.at, s.now)} (${w.field.path})`
  return ''
}

function healthyMessage(s: Status, results: ExpectationResult[] | undefined): string {
  const webhook = s.webhook.kind === 'at' ? `; the last webhook arrived ${relative(s.webhook.at, s.now)}` : ''
  if (!results) return `${stateMessage(s)}${webhook}`
  return `billing meets ${allOf(results.length)} (${results.map((r) => r.message).join('; ')})${webhook}`
}

// ---------------------------------------------------------------------------------------------
// Why billing is not active

interface Diagnosis {
  message: string
  cause: CauseRef
}

function diagnose(s: Status): Diagnosis {
  const word = s.word ?? ''
  const w = s.webhook
  if (CANCELED.has(word))
    return {
      message: `The subscription is over; a new checkout (or a reactivation at the provider) is needed${w.kind === 'at' ? `; ${webhookText(s)}` : ''}`,
      cause: causes.canceled(s),
    }
  if (PAYMENT.has(word)) {
    const heard =
      w.kind === 'at'
        ? `Webhooks do reach the runtime: ${webhookText(s)}, so this is the provider's own verdict on the payment`
        : w.kind === 'never'
          ? `The status also says ${webhookText(s)}, but this state can only come from the provider, so it is the provider's verdict on the payment`
          : 'This state comes from the provider: its verdict on the payment'
    return {message: `${heard}; the payment has to be completed there`, cause: causes.payment(s)}
  }
  // Pending, inactive or unknown: did the payment event ever arrive?
  const checkout = s.checkout ? `the checkout started ${relative(s.checkout.at, s.now)} (${s.checkout.path})` : ''
  const rejected = s.webhookError
    ? `; the status records its last webhook error: ${compact(s.webhookError.value)} (${s.webhookError.path})`
    : ''
  if (w.kind === 'never') {
    return {
      message: `${cap(webhookText(s))}${checkout ? `, and ${checkout}` : ''}: the payment webhook probably never arrived or was rejected${rejected}`,
      cause: causes.webhook(s),
    }
  }
  if (w.kind === 'at' && s.checkout && w.at < s.checkout.at) {
    return {
      message: `${cap(webhookText(s))}, before ${checkout}: the payment webhook for this checkout probably never arrived or was rejected${rejected}`,
      cause: causes.webhook(s),
    }
  }
  if (s.webhookError) {
    return {
      message: `${cap(webhookText(s) || 'the status does not say when a webhook last arrived')}${rejected}: the payment webhook was probably rejected`,
      cause: causes.webhook(s),
    }
  }
  if (w.kind === 'at' && s.checkout) {
    return {
      message: `${cap(webhookText(s))}, after ${checkout}, yet billing is not active: the provider has probably not reported the payment as succeeded yet (processing, or waiting for the customer to authenticate)`,
      cause: causes.payment(s),
    }
  }
  if (w.kind === 'at') {
    return {
      message: `${cap(webhookText(s))}; the status does not say when the checkout started: if the payment was made after that webhook, its event never arrived or was rejected`,
      cause: causes.unknown(s),
    }
  }
  return {
    message:
      "The status does not say when a webhook last arrived, so doctor cannot tell whether the payment event arrived: check the provider's delivery log for the webhook endpoint",
    cause: causes.unknown(s),
  }
}

const cap = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

// ---------------------------------------------------------------------------------------------
// Output

function notRead(read: Exclude<JsonRead, {kind: 'json'}>): CheckOutcome {
  const {message, notes} = unreadable(read, 'billing status', 'billing.statusUrl')
  const status = read.kind === 'unreachable' && read.error.kind === 'aborted' ? 'timeout' : 'error'
  return {
    status,
    message,
    evidence: {
      observed: {
        url: read.url,
        ...(read.kind === 'unreachable' ? {error: read.error.message} : {status: read.status, body: read.snippet}),
      },
      notes,
      exchanges: [read.exchange],
    },
  }
}

function evidence(s: Status, results: ExpectationResult[] | undefined): Evidence {
  return {
    observed: {
      url: s.url,
      ...(s.state ? {state: {path: s.state.path, value: s.state.value}} : {}),
      ...(s.webhook.kind !== 'unknown'
        ? {lastWebhook: {path: s.webhook.field.path, value: s.webhook.field.value}}
        : {}),
      ...(s.checkout ? {checkout: {path: s.checkout.path, value: s.checkout.value}} : {}),
      ...(s.webhookError ? {webhookError: {path: s.webhookError.path, value: s.webhookError.value}} : {}),
      ...(results
        ? {expectations: results.map((r) => ({expectation: r.expectation.text, ok: r.ok, observed: r.observed}))}
        : {}),
    },
    expected: results
      ? results.map((r) => r.expectation.text)
      : 'a status, state or subscription.status field equal to "active" or "trialing"',
    exchanges: [s.exchange],
  }
}

const verify = (s: Status, when = ''): string[] => [
  `\`${s.curl}\` shows billing active${when}.`,
  '`doctor run billing-status` passes, then `doctor run entitlement`.',
]

const causes = {
  webhook: (s: Status): CauseRef => ({
    kb: `${E}#webhook-not-accepted`,
    summary:
      'The payment-success webhook never reached the runtime or was rejected, so billing stayed pending and no entitlement was granted.',
    fix: [
      "In the provider's dashboard, open the webhook endpoint's recent deliveries for the payment event: no attempt means the registered URL or the subscribed events are wrong; a 4xx from the runtime means the signature or timestamp was rejected; a 5xx means the handler failed.",
      ...(s.webhookError ? [`Start from the error the runtime recorded: ${compact(s.webhookError.value)}.`] : []),
      "Fix that (`doctor explain checkout-pending` lists the causes), then resend the payment event from the provider's dashboard.",
    ],
    verify: verify(s, s.webhook.kind !== 'unknown' ? `, and ${s.webhook.field.path} is the time of the resend` : ''),
  }),
  payment: (s: Status): CauseRef => ({
    kb: `${E}#payment-not-completed`,
    summary: `The provider reports the payment as not completed${s.word ? ` (${s.word})` : ''}, so billing is not active and the entitlement is withheld.`,
    fix: [
      "Open the subscription and its latest invoice or payment in the provider's dashboard (Stripe: Customers › the customer › Subscriptions) and read why the payment did not complete.",
      s.word === 'incomplete' || s.word === 'requires_action'
        ? 'Have the customer complete the payment (authenticate the card, or pay with another method); an incomplete Stripe subscription expires after about 23 hours, and then a new checkout is needed.'
        : "Update the payment method and pay the open invoice (the provider's customer portal, or retry the charge in the dashboard); the provider then sends the success event and billing turns active on its own.",
    ],
    verify: verify(s),
  }),
  canceled: (s: Status): CauseRef => ({
    kb: `${E}#subscription-canceled`,
    summary: `The subscription is ${s.word ?? 'over'}: billing will not turn active again by itself.`,
    fix: [
      "Read the subscription's event history in the provider's dashboard to see who or what ended it (the customer portal, an API call, or cancellation after failed payments).",
      'Start a new checkout from the workspace that needs the entitlement (a canceled Stripe subscription cannot be reactivated), and make sure its payment completes.',
    ],
    verify: verify(s),
  }),
  unknown: (s: Status): CauseRef => ({
    kb: E,
    summary: `Billing is ${s.state ? compact(s.state.value) : 'not active'}; the status does not show whether the payment event arrived.`,
    fix: [
      "Open the payment in the provider's dashboard: if it has not succeeded, complete it; if it has, open the webhook endpoint's deliveries for its success event and fix what they show (`doctor explain checkout-pending`).",
      "Resend the payment event from the provider's dashboard once the webhook is fixed.",
    ],
    verify: verify(s),
  }),
}
