import {randomBytes} from 'node:crypto'
import type {DoctorConfig} from '../src/config/schema.js'
import {
  type CheckContext,
  concluded,
  defineCheck,
  type Finding,
  type Item,
  leading,
  pass,
  skip,
} from '../src/engine/check.js'
import type {HttpResult} from '../src/http/client.js'
import type {ExchangeRecord} from '../src/http/types.js'
import {fingerprint} from '../src/redact/redactor.js'

type Webhook = NonNullable<DoctorConfig['webhooks']>[number]

const SIG = 'webhook-signature-invalid'
const PENDING = 'checkout-pending'
const OPEN = 'webhook-verification-disabled'

/** One receiver's result: its item line, and a finding when something is wrong. */
interface Probe {
  item: Item
  finding?: Finding
  exchanges: ExchangeRecord[]
  sent: string[]
}

export default defineCheck({
  meta: {
    id: 'webhook-signature',
    title: 'Webhook receivers accept signed events and reject forged ones',
    failureTitle: 'A webhook receiver rejects signed events or accepts forged ones',
    area: 'billing',
    description:
      'For each receiver whose config allows writes, POSTs three clearly marked test events: one signed with the configured secret the way the provider signs (Stripe, GitHub, Standard Webhooks, Svix, Slack, Shopify, Paddle), one with a wrong signature, one unsigned. Healthy: the first is accepted and the other two are refused. A refused signed event is retried compact to detect a receiver that re-serialises the body; unreachable, redirected and login-protected receivers are told apart.',
    needs: ['webhooks'],
    kb: [
      `${SIG}#wrong-secret`,
      `${SIG}#body-reserialized`,
      `${PENDING}#webhook-url-wrong`,
      `${PENDING}#webhook-not-reachable`,
      `${PENDING}#handler-error`,
      `${OPEN}#signature-not-checked`,
      `${OPEN}#unsigned-events-accepted`,
    ],
  },
  async run(ctx) {
    const hooks = ctx.config.webhooks ?? []
    const {signDelivery, schemeInfo} = await import('../src/webhooks/schemes.js')
    const probes: Probe[] = []
    for (const hook of hooks) {
      const label = hook.name ?? hook.scheme
      if (!hook.allowWrites && !ctx.allowWrites) {
        probes.push({
          item: {
            label,
            status: 'skip',
            message:
              'not probed: it sends test events, so it needs allowWrites: true for this receiver or --allow-writes',
          },
          exchanges: [],
          sent: [],
        })
        continue
      }
      const secret = ctx.facts.env[hook.secretEnv]
      if (!secret) {
        probes.push({
          item: {
            label,
            status: 'error',
            message: `${hook.secretEnv} is ${secret === undefined ? 'not set' : 'empty'} where doctor runs; it needs the receiver's signing secret to sign a test event`,
          },
          exchanges: [],
          sent: [],
        })
        continue
      }
      ctx.facts.http.redactor.addSecret(secret, 'secret', `env var ${hook.secretEnv} (webhooks[].secretEnv)`)
      probes.push(await probe(ctx, hook, label, secret, signDelivery, schemeInfo(hook.scheme).name))
    }
    const ran = probes.filter((p) => p.item.status !== 'skip')
    const exchanges = probes.flatMap((p) => p.exchanges)
    const items = probes.map((p) => p.item)
    const evidence = {
      observed: Object.fromEntries(probes.map((p) => [p.item.label, p.sent])),
      exchanges,
      notes: [
        'Test events are marked "doctor.test" with an id starting evt_doctor_; receivers should acknowledge and ignore them.',
      ],
    }
    if (ran.length === 0) return skip(probes[0]?.item.message ?? 'no webhook receiver configured')
    const findings = probes.flatMap((p) => (p.finding ? [p.finding] : []))
    if (findings.length === 0) {
      const errors = ran.filter((p) => p.item.status === 'error')
      if (errors.length === ran.length)
        return {
          status: 'error',
          message: errors.map((p) => `${p.item.label}: ${p.item.message}`).join('; '),
          evidence,
          items,
        }
      return pass(
        `${ran.length === 1 ? ran[0].item.label : `${ran.length} receivers`} accept${ran.length === 1 ? 's' : ''} a correctly signed event and refuse${ran.length === 1 ? 's' : ''} forged and unsigned ones`,
        {evidence, items},
      )
    }
    const top = leading(findings)
    evidence.notes.unshift(...findings.filter((f) => f !== top).map((f) => `also: ${f.message}`))
    return concluded(
      top,
      SUMMARY[top.kb] ?? top.message,
      [
        '`doctor run webhook-signature --allow-writes` passes: the signed test event gets 2xx, the forged and unsigned ones 4xx.',
        "In the provider's dashboard, resend a recent event and see it delivered (2xx).",
      ],
      {evidence, items},
    )
  },
})

const SUMMARY: Record<string, string> = {
  [`${SIG}#wrong-secret`]: 'The receiver verifies with another secret than the one the provider signs with.',
  [`${SIG}#body-reserialized`]: 'The receiver verifies a re-serialised body instead of the raw bytes that were signed.',
  [`${PENDING}#webhook-url-wrong`]: 'Events are posted to a URL that is not the receiver (a redirect, a 404).',
  [`${PENDING}#webhook-not-reachable`]:
    'The receiver cannot be reached, or sits behind a login the provider cannot pass.',
  [`${PENDING}#handler-error`]: 'The receiver verifies the event, then fails while handling it.',
  [`${OPEN}#signature-not-checked`]:
    'The receiver accepts events whose signature is wrong: anyone can forge payment events.',
  [`${OPEN}#unsigned-events-accepted`]:
    'The receiver accepts events without any signature: anyone can forge payment events.',
}

function testEvent(pretty: boolean): {id: string; body: string} {
  const id = `evt_doctor_${randomBytes(8).toString('hex')}`
  const event = {
    type: 'doctor.test',
    id,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: {object: {note: 'doctor webhook test delivery: safe to ignore', amount: 0}},
  }
  // Unusual spacing and key order on purpose: a receiver that re-serialises the body breaks on it.
  const body = pretty
    ? `{\n    "type" :  "doctor.test",\n    "id": "${id}",\n    "livemode": false,\n    "created": ${event.created},\n    "data": {"object": {"note": "doctor webhook test delivery: safe to ignore", "amount": 0}}\n}\n`
    : JSON.stringify(event)
  return {id, body}
}

const statusOf = (r: HttpResult) => r.response?.status
const ok = (r: HttpResult) => {
  const s = statusOf(r)
  return s !== undefined && s >= 200 && s < 300
}
const describe = (r: HttpResult) =>
  r.response
    ? `${r.response.status}${r.response.header('location') ? ` to ${r.response.header('location')}` : ''}`
    : (r.error?.message ?? 'no response')

async function probe(
  ctx: CheckContext,
  hook: Webhook,
  label: string,
  secret: string,
  signDelivery: (
    scheme: Webhook['scheme'],
    secret: string,
    body: string,
    options?: {timestamp?: number; id?: string},
  ) => Record<string, string>,
  provider: string,
): Promise<Probe> {
  const url = ctx.facts.resolveUrl(hook.url)
  const exchanges: ExchangeRecord[] = []
  const sent: string[] = []
  const post = async (what: string, body: string, headers: Record<string, string>): Promise<HttpResult> => {
    // Deliveries are state-changing POSTs: sent directly, never memoised, never retried.
    const result = await ctx.facts.http.request({
      method: 'POST',
      url,
      body,
      headers: {'content-type': 'application/json', 'user-agent': 'doctor webhook test', ...headers},
      purpose: 'webhook-signature',
      signal: ctx.signal,
    })
    exchanges.push(result.exchange)
    sent.push(`${what}: ${describe(result)}`)
    return result
  }
  const secretLabel = `${hook.secretEnv} (${secret.length} chars, fingerprint ${fingerprint(secret)})`
  const signed = testEvent(true)
  const good = await post(
    'signed test event',
    signed.body,
    signDelivery(hook.scheme, secret, signed.body, {id: signed.id}),
  )
  const item = (status: Item['status'], message: string): Item => ({label, status, message})

  if (!good.response) {
    const f: Finding = {
      status: 'fail',
      kb: `${PENDING}#webhook-not-reachable`,
      message: `${label}: ${url} cannot be reached: ${good.error?.message ?? 'no response'}`,
      fix: [
        "Make the receiver reachable from the provider's network (DNS, firewall, TLS certificate, a public route to the API).",
      ],
    }
    return {item: item('fail', f.message), finding: f, exchanges, sent}
  }
  const s = good.response.status
  if (s >= 300 && s < 400) {
    const f: Finding = {
      status: 'fail',
      kb: `${PENDING}#webhook-url-wrong`,
      message: `${label}: ${url} answers ${describe(good)}; providers do not follow redirects for webhook deliveries`,
      fix: [
        `Register the final URL (${good.response.header('location') ?? 'the Location target'}) as the endpoint at ${provider}, https and path included.`,
      ],
    }
    return {item: item('fail', f.message), finding: f, exchanges, sent}
  }
  if (s === 404 || s === 405) {
    const f: Finding = {
      status: 'fail',
      kb: `${PENDING}#webhook-url-wrong`,
      message: `${label}: ${url} answers ${s} to a POST: no webhook receiver there`,
      fix: [`Point the ${provider} endpoint at the path the API serves its webhook on.`],
    }
    return {item: item('fail', f.message), finding: f, exchanges, sent}
  }
  if (s >= 500) {
    const f: Finding = {
      status: 'fail',
      kb: `${PENDING}#handler-error`,
      message: `${label}: the receiver answers ${s} to a correctly signed test event: it fails while handling it (or before verifying)`,
      fix: [
        'Read the API log at the time of the test event; receivers should acknowledge event types they do not handle with 2xx.',
      ],
    }
    return {item: item('fail', f.message), finding: f, exchanges, sent}
  }

  // Forged and unsigned deliveries must be refused whatever happened to the signed one.
  const forged = testEvent(false)
  const wrong = await post(
    'wrongly signed test event',
    forged.body,
    signDelivery(hook.scheme, `${secret.slice(0, 6)}${randomBytes(24).toString('base64')}`, forged.body, {
      id: forged.id,
    }),
  )
  const bare = testEvent(false)
  const none = await post('unsigned test event', bare.body, {})
  const security: Finding[] = []
  if (ok(wrong))
    security.push({
      status: 'fail',
      kb: `${OPEN}#signature-not-checked`,
      message: `${label}: the receiver accepts an event with a wrong signature (${describe(wrong)}): anyone can forge ${provider} events`,
      fix: [
        'Verify every delivery against the raw body and the signing secret before acting on it, and answer 400 when verification fails.',
      ],
    })
  if (ok(none))
    security.push({
      status: 'fail',
      kb: `${OPEN}#unsigned-events-accepted`,
      message: `${label}: the receiver accepts an event with no signature at all (${describe(none)}): anyone can forge ${provider} events`,
      fix: [
        'Refuse deliveries without the signature header (400) instead of skipping verification when it is missing.',
      ],
    })

  if (ok(good)) {
    if (security.length)
      return {item: item('fail', security.map((f) => f.message).join('; ')), finding: security[0], exchanges, sent}
    return {
      item: item(
        'pass',
        `signed ${describe(good)}, wrong signature ${describe(wrong)}, unsigned ${describe(none)} (secret ${secretLabel})`,
      ),
      exchanges,
      sent,
    }
  }
  if (s === 401 || s === 403) {
    if (statusOf(wrong) === s && statusOf(none) === s && !/signature|hmac|webhook/i.test(good.response.text())) {
      const f: Finding = {
        status: 'fail',
        kb: `${PENDING}#webhook-not-reachable`,
        message: `${label}: every delivery gets ${s}, signed or not, without a word about signatures: the path sits behind a login or an auth proxy the provider cannot pass`,
        fix: ['Exempt the webhook path from login and auth proxies; the signature is its authentication.'],
      }
      return {item: item('fail', f.message), finding: f, exchanges, sent}
    }
  }
  // Refused although correctly signed: re-serialised body, or another secret.
  const compact = testEvent(false)
  const retry = await post(
    'signed test event, compact JSON',
    compact.body,
    signDelivery(hook.scheme, secret, compact.body, {id: compact.id}),
  )
  const f: Finding = ok(retry)
    ? {
        status: 'fail',
        kb: `${SIG}#body-reserialized`,
        message: `${label}: the receiver refuses a correctly signed event with unusual JSON spacing (${s}) but accepts the same kind of event as compact JSON (${describe(retry)}): it verifies a re-serialised body, not the raw bytes the provider signed`,
        fix: [
          "Verify the signature over the raw request body (before any JSON parsing or body middleware), as the provider's SDK expects.",
        ],
      }
    : {
        status: 'fail',
        kb: `${SIG}#wrong-secret`,
        message: `${label}: the receiver refuses an event signed with ${secretLabel} (${describe(good)}; compact JSON too: ${describe(retry)}): it verifies with another secret (test vs live mode, another endpoint's secret, a rotated one) or does not read the ${provider} signature headers`,
        fix: [
          `Copy the signing secret of this exact endpoint from ${provider} (live mode if the endpoint is live) into the receiver's configuration and into ${hook.secretEnv}, then restart the receiver.`,
        ],
      }
  return {item: item('fail', [f.message, ...security.map((x) => x.message)].join('; ')), finding: f, exchanges, sent}
}
