import type {IncomingMessage, ServerResponse} from 'node:http'
import type {FilledOutcome} from '../../src/kb/cause.js'
import {verify as githubVerify} from '@octokit/webhooks-methods'
import {Webhook} from 'standardwebhooks'
import Stripe from 'stripe'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import webhookSignature from '../../checks/webhook-signature.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/**
 * Loopback receivers that verify with the providers' own libraries (stripe's constructEvent,
 * standardwebhooks, @octokit/webhooks-methods), and receivers with each classic bug.
 */
const STRIPE_SECRET = 'whsec_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0'
const STRIPE_TEST_SECRET = 'whsec_test_0a1b2c3d4e5f60718293a4b5c6d7e8f9'
const STANDARD_SECRET = `whsec_${Buffer.from('standard-webhooks-secret-key-32b').toString('base64')}`
const GITHUB_SECRET = 'gh-webhook-secret-5d4c3b2a'
const stripe = new Stripe('sk_test_doctor_not_used')

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (data += c))
    req.on('end', () => resolve(data))
  })
}

type Receiver = (raw: string, req: IncomingMessage, res: ServerResponse) => void | Promise<void>
const receivers: Record<string, Receiver> = {
  '/stripe': (raw, req, res) => {
    try {
      stripe.webhooks.constructEvent(raw, String(req.headers['stripe-signature'] ?? ''), STRIPE_SECRET)
      send(res, 200, {received: true})
    } catch (error) {
      send(res, 400, {error: (error as Error).message})
    }
  },
  '/stripe-test-secret': (raw, req, res) => {
    try {
      stripe.webhooks.constructEvent(raw, String(req.headers['stripe-signature'] ?? ''), STRIPE_TEST_SECRET)
      send(res, 200, {received: true})
    } catch (error) {
      send(res, 400, {error: (error as Error).message})
    }
  },
  // The classic Express bug: verify JSON.stringify(req.body) instead of the raw bytes.
  '/stripe-reserialized': (raw, req, res) => {
    try {
      stripe.webhooks.constructEvent(
        JSON.stringify(JSON.parse(raw)),
        String(req.headers['stripe-signature'] ?? ''),
        STRIPE_SECRET,
      )
      send(res, 200, {received: true})
    } catch (error) {
      send(res, 400, {error: (error as Error).message})
    }
  },
  '/anything': (_raw, _req, res) => send(res, 200, {received: true}),
  // Verifies only when the header is there.
  '/optional': (raw, req, res) => {
    if (!req.headers['stripe-signature']) return send(res, 200, {received: true})
    return receivers['/stripe'](raw, req, res)
  },
  '/standard': (raw, req, res) => {
    try {
      new Webhook(STANDARD_SECRET).verify(raw, req.headers as Record<string, string>)
      send(res, 204, '')
    } catch (error) {
      send(res, 400, {error: (error as Error).message})
    }
  },
  '/github': async (raw, req, res) => {
    const sig = String(req.headers['x-hub-signature-256'] ?? '')
    if (sig && (await githubVerify(GITHUB_SECRET, raw, sig))) return send(res, 200, {ok: true})
    send(res, 401, {error: 'bad signature'})
  },
  '/moved': (_raw, _req, res) => {
    res.writeHead(308, {location: '/stripe'})
    res.end()
  },
  '/behind-login': (_raw, _req, res) => {
    res.writeHead(401, {'www-authenticate': 'Basic realm="admin"'})
    res.end('Login required')
  },
  '/crashes': (_raw, _req, res) => send(res, 500, {error: 'cannot read property of undefined'}),
}

let server: TestServer
beforeAll(async () => {
  server = await startServer((req, res) => {
    const handler = receivers[(req.url ?? '/').split('?')[0]]
    if (!handler) return send(res, 404, {error: 'not found'})
    void body(req).then((raw) => handler(raw, req, res))
  })
})
afterAll(() => server.close())

const ENV = {
  STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
  STANDARD_WEBHOOK_SECRET: STANDARD_SECRET,
  GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
}

async function run(
  path: string,
  scheme = 'stripe',
  secretEnv = 'STRIPE_WEBHOOK_SECRET',
  options: {allowWrites?: boolean; flag?: boolean; env?: Record<string, string>} = {},
): Promise<FilledOutcome> {
  const ctx = makeContext(
    {
      webhooks: [
        {
          name: scheme,
          url: `${server.url}${path}`,
          scheme,
          secretEnv,
          ...(options.allowWrites === false ? {} : {allowWrites: true}),
        },
      ],
    },
    {},
    options.env ?? ENV,
    options.flag ?? false,
  )
  try {
    return await runCheck(webhookSignature, ctx)
  } finally {
    await ctx.close()
  }
}

describe("webhook-signature against receivers verified by the providers' libraries", () => {
  for (const [path, scheme, env] of [
    ['/stripe', 'stripe', 'STRIPE_WEBHOOK_SECRET'],
    ['/standard', 'standard', 'STANDARD_WEBHOOK_SECRET'],
    ['/github', 'github', 'GITHUB_WEBHOOK_SECRET'],
  ] as const) {
    it(`healthy ${scheme} receiver: signed accepted, forged and unsigned refused, no false alarm`, async () => {
      const o = await run(path, scheme, env)
      expect(o.status, o.message).toBe('pass')
      expect(o.items?.[0].message).toMatch(/^signed 20\d, wrong signature 4\d\d, unsigned 4\d\d/)
      expect(JSON.stringify(o)).not.toContain(ENV[env])
    })
  }

  const faults: Array<[string, string, RegExp]> = [
    [
      '/stripe-test-secret',
      'webhook-signature-invalid#wrong-secret',
      /refuses an event signed with STRIPE_WEBHOOK_SECRET \(\d+ chars, fingerprint [0-9a-f]{4}\)/,
    ],
    [
      '/stripe-reserialized',
      'webhook-signature-invalid#body-reserialized',
      /accepts the same kind of event as compact JSON .* verifies a re-serialised body/,
    ],
    ['/anything', 'webhook-verification-disabled#signature-not-checked', /accepts an event with a wrong signature/],
    [
      '/optional',
      'webhook-verification-disabled#unsigned-events-accepted',
      /accepts an event with no signature at all/,
    ],
    ['/moved', 'checkout-pending#webhook-url-wrong', /answers 308 to \/stripe; providers do not follow redirects/],
    ['/nowhere', 'checkout-pending#webhook-url-wrong', /answers 404 to a POST/],
    ['/behind-login', 'checkout-pending#webhook-not-reachable', /behind a login or an auth proxy/],
    ['/crashes', 'checkout-pending#handler-error', /answers 500 to a correctly signed test event/],
  ]
  for (const [path, kb, message] of faults) {
    it(`${path}: ${kb}`, async () => {
      const o = await run(path)
      expect(o.status, o.message).toBe('fail')
      expect(o.cause?.kb).toBe(kb)
      expect(o.message).toMatch(message)
      expect(JSON.stringify(o)).not.toContain(STRIPE_SECRET)
    })
  }

  it('an unreachable receiver', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    const ctx = makeContext(
      {
        webhooks: [
          {url: `${closed.url}/hook`, scheme: 'stripe', secretEnv: 'STRIPE_WEBHOOK_SECRET', allowWrites: true},
        ],
      },
      {},
      ENV,
    )
    const o = await runCheck(webhookSignature, ctx)
    await ctx.close()
    expect(o.cause?.kb).toBe('checkout-pending#webhook-not-reachable')
    expect(o.message).toMatch(/cannot be reached: connection refused/)
  })
})

describe('webhook-signature sends nothing unless allowed', () => {
  it('without allowWrites or --allow-writes: skipped with how to allow it, and no request made', async () => {
    const before = server.seen.length
    const o = await run('/stripe', 'stripe', 'STRIPE_WEBHOOK_SECRET', {allowWrites: false})
    expect(o.status).toBe('skip')
    expect(o.message).toMatch(/allowWrites: true .* --allow-writes/)
    expect(server.seen.length).toBe(before)
  })

  it('--allow-writes opts in for the run', async () => {
    const o = await run('/stripe', 'stripe', 'STRIPE_WEBHOOK_SECRET', {allowWrites: false, flag: true})
    expect(o.status, o.message).toBe('pass')
  })

  it('the secret variable unset: an error that names it', async () => {
    const o = await run('/stripe', 'stripe', 'STRIPE_WEBHOOK_SECRET', {env: {}})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(/STRIPE_WEBHOOK_SECRET is not set/)
  })
})
