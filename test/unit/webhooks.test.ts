import {createHmac} from 'node:crypto'
import {sign as octokitSign, verify as octokitVerify} from '@octokit/webhooks-methods'
import {Webhook} from 'standardwebhooks'
import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'
import {
  type DeliveryInput,
  type DeliveryVerdict,
  parseHeaderLines,
  verifyDelivery,
} from '../../src/webhooks/diagnose.js'
import {
  expectedSignature,
  parseSignatureHeaders,
  SCHEMES,
  schemeInfo,
  secretKey,
  signDelivery,
  type WebhookScheme,
} from '../../src/webhooks/schemes.js'

const NOW = Math.floor(Date.now() / 1000)
const OBJ = {id: 'evt_1', object: 'event', type: 'invoice.paid', data: {amount: 1200, name: 'Zoë'}}
const BODY = JSON.stringify(OBJ)
const PRETTY = JSON.stringify(OBJ, null, 2)
const STD_SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`
const SECRETS: Record<WebhookScheme, string> = {
  stripe: 'whsec_Q4fTtest9xLmN2pR7sV1wY3zA5bC8dE',
  github: "It's a Secret to Everybody",
  standard: STD_SECRET,
  svix: STD_SECRET,
  slack: '8f742231b10e8888abcd99yyyzzz85a5',
  shopify: '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',
  paddle: 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI',
}
const LIVE = 'whsec_L1vEmodeDifferentSecret0000000'
const hmac = (key: string | Buffer, data: string, enc: 'hex' | 'base64') =>
  createHmac('sha256', key).update(data).digest(enc)
const stripe = Stripe.webhooks

function verify(
  scheme: WebhookScheme,
  headers: DeliveryInput['headers'],
  extra: Partial<DeliveryInput> = {},
): DeliveryVerdict {
  return verifyDelivery({scheme, secret: SECRETS[scheme], body: BODY, headers, now: NOW, ...extra})
}
/** Every verdict the diagnosis tests produce, for the leak test at the end. */
const seen: Array<{verdict: DeliveryVerdict; secrets: string[]; signatures: string[]}> = []
function check(
  scheme: WebhookScheme,
  headers: Record<string, string>,
  extra: Partial<DeliveryInput> = {},
): DeliveryVerdict {
  const verdict = verify(scheme, headers, extra)
  const secret = extra.secret ?? SECRETS[scheme]
  const sigs = parseSignatureHeaders(scheme, headers).signatures.map((s) => s.value)
  const body = Buffer.from(String(extra.body ?? BODY))
  const p = parseSignatureHeaders(scheme, headers)
  sigs.push(
    expectedSignature(scheme, secretKey(scheme, secret), body, p),
    expectedSignature(scheme, secretKey(scheme, secret.trim()), body, p),
  )
  seen.push({verdict, secrets: [secret, secret.trim(), SECRETS[scheme]], signatures: sigs})
  return verdict
}

describe("signing schemes against the providers' own libraries", () => {
  it('GitHub: the documentation test vector, and @octokit/webhooks-methods agrees both ways', async () => {
    const secret = "It's a Secret to Everybody"
    const want = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
    const headers = signDelivery('github', secret, 'Hello, World!')
    expect(headers['x-hub-signature-256']).toBe(want)
    expect(await octokitSign(secret, 'Hello, World!')).toBe(want)
    expect(await octokitVerify(secret, 'Hello, World!', headers['x-hub-signature-256'])).toBe(true)
    const ours = verifyDelivery({
      scheme: 'github',
      secret,
      body: 'Hello, World!',
      headers: {'X-Hub-Signature-256': await octokitSign(secret, 'Hello, World!')},
      now: NOW,
    })
    expect(ours).toMatchObject({ok: true, notes: []})
    expect(headers['x-hub-signature']).toBe(`sha1=${createHmac('sha1', secret).update('Hello, World!').digest('hex')}`)
  })

  it('Stripe: generateTestHeaderString verifies here, signDelivery passes constructEvent', () => {
    const header = stripe.generateTestHeaderString({payload: BODY, secret: SECRETS.stripe, timestamp: NOW})
    expect(verify('stripe', {'Stripe-Signature': header})).toMatchObject({ok: true, notes: []})
    const ours = signDelivery('stripe', SECRETS.stripe, BODY, {timestamp: NOW})
    expect(ours['stripe-signature']).toBe(header)
    expect(stripe.constructEvent(BODY, ours['stripe-signature'], SECRETS.stripe).id).toBe('evt_1')
  })

  it('Stripe rejects only stale timestamps (as stripe-node does): a future one is ok, with a clock note', () => {
    const h = signDelivery('stripe', SECRETS.stripe, BODY, {timestamp: NOW + 600})
    expect(() =>
      stripe.constructEvent(BODY, h['stripe-signature'], SECRETS.stripe, 300, undefined, NOW * 1000),
    ).not.toThrow()
    const v = verify('stripe', h)
    expect(v.ok).toBe(true)
    expect(v.notes.join(' ')).toMatch(/600 s in the future.*clock is behind/)
  })

  it('Standard Webhooks: the standardwebhooks library agrees both ways; Svix uses the same values under svix-*', () => {
    const lib = new Webhook(STD_SECRET)
    const ours = signDelivery('standard', STD_SECRET, BODY, {timestamp: NOW, id: 'msg_1'})
    expect(ours['webhook-signature']).toBe(lib.sign('msg_1', new Date(NOW * 1000), BODY))
    expect(lib.verify(BODY, ours)).toEqual(OBJ)
    const libHeaders = {
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(NOW),
      'webhook-signature': lib.sign('msg_2', new Date(NOW * 1000), BODY),
    }
    expect(verify('standard', libHeaders)).toMatchObject({ok: true, notes: []})
    const svix = signDelivery('svix', STD_SECRET, BODY, {timestamp: NOW, id: 'msg_1'})
    expect(svix).toEqual({
      'svix-id': 'msg_1',
      'svix-timestamp': String(NOW),
      'svix-signature': ours['webhook-signature'],
    })
    expect(
      lib.verify(BODY, {
        'webhook-id': svix['svix-id'],
        'webhook-timestamp': svix['svix-timestamp'],
        'webhook-signature': svix['svix-signature'],
      }),
    ).toEqual(OBJ)
    expect(secretKey('standard', STD_SECRET).toString()).toBe('0123456789abcdef0123456789abcdef')
    expect(secretKey('stripe', SECRETS.stripe).toString()).toBe(SECRETS.stripe)
  })

  it('Slack: the documentation vector and an independent computation', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
    const h = signDelivery('slack', SECRETS.slack, body, {timestamp: 1531420618})
    expect(h).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    })
    expect(verifyDelivery({scheme: 'slack', secret: SECRETS.slack, body, headers: h, now: 1531420618 + 10}).ok).toBe(
      true,
    )
    expect(signDelivery('slack', SECRETS.slack, BODY, {timestamp: NOW})['x-slack-signature']).toBe(
      `v0=${hmac(SECRETS.slack, `v0:${NOW}:${BODY}`, 'hex')}`,
    )
  })

  it('Shopify and Paddle: independent computations and round trips', () => {
    expect(signDelivery('shopify', SECRETS.shopify, BODY)).toEqual({
      'x-shopify-hmac-sha256': hmac(SECRETS.shopify, BODY, 'base64'),
    })
    expect(signDelivery('paddle', SECRETS.paddle, BODY, {timestamp: NOW})).toEqual({
      'paddle-signature': `ts=${NOW};h1=${hmac(SECRETS.paddle, `${NOW}:${BODY}`, 'hex')}`,
    })
    expect(schemeInfo('paddle')).toEqual({
      scheme: 'paddle',
      name: 'Paddle',
      headers: ['paddle-signature'],
      defaultToleranceSeconds: 5,
    })
    expect(schemeInfo('shopify').defaultToleranceSeconds).toBeUndefined()
  })

  it('parses signature headers with their versions', () => {
    expect(parseSignatureHeaders('stripe', {'Stripe-Signature': 't=12,v1=aa,v1=bb,v0=cc'})).toEqual({
      timestamp: '12',
      signatures: [
        {version: 'v1', value: 'aa'},
        {version: 'v1', value: 'bb'},
        {version: 'v0', value: 'cc'},
      ],
    })
    expect(
      parseSignatureHeaders('standard', {
        'webhook-id': 'm',
        'webhook-timestamp': '5',
        'webhook-signature': ['v1,QQ==', 'v1a,Qg=='],
      }),
    ).toMatchObject({
      id: 'm',
      timestamp: '5',
      signatures: [
        {version: 'v1', value: 'QQ=='},
        {version: 'v1a', value: 'Qg=='},
      ],
    })
    expect(parseSignatureHeaders('paddle', {'paddle-signature': 'ts=9;h1=aa;h1=bb'}).signatures).toHaveLength(2)
    expect(parseSignatureHeaders('slack', {'x-slack-signature': 'v0=aa'}).missing).toEqual([
      'x-slack-request-timestamp',
    ])
    expect(parseSignatureHeaders('stripe', {'stripe-signature': 'v1=aa'}).error).toMatch(
      /^Unable to extract timestamp and signatures from header/,
    )
  })
})

describe('verifyDelivery diagnoses', () => {
  it('accepts a valid delivery for every scheme without a false alarm', () => {
    for (const scheme of SCHEMES) {
      const v = check(scheme, signDelivery(scheme, SECRETS[scheme], BODY, {timestamp: NOW - 2}))
      expect(v, scheme).toMatchObject({ok: true, notes: []})
      expect(v.problem ?? v.kb, scheme).toBeUndefined()
    }
  })

  it('missing header, naming the expected one, and the Svix / Standard Webhooks naming confusion', () => {
    const v = check('stripe', {'content-type': 'application/json'})
    expect(v).toMatchObject({
      ok: false,
      problem: 'header-missing',
      kb: 'webhook-signature-invalid#header-missing-or-malformed',
      details: {libraryError: 'No stripe-signature header value was provided.'},
    })
    expect(v.message).toContain('stripe-signature')
    const svixHeaders = signDelivery('svix', STD_SECRET, BODY, {timestamp: NOW})
    const std = check('standard', svixHeaders)
    expect(std).toMatchObject({
      problem: 'header-missing',
      details: {
        libraryError: 'Missing required headers',
        missingHeaders: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
      },
    })
    expect(std.message).toMatch(/svix-id.*Svix sends the same Standard Webhooks scheme under svix-\* names/)
    // The svix library itself falls back to webhook-* names: ok, with a note.
    const svix = check('svix', signDelivery('standard', STD_SECRET, BODY, {timestamp: NOW}))
    expect(svix.ok).toBe(true)
    expect(svix.notes[0]).toMatch(/unbranded webhook-id, webhook-timestamp and webhook-signature/)
    expect(check('github', {'stripe-signature': 't=1,v1=aa'}).message).toMatch(
      /Stripe's: is the receiver configured for the wrong provider/,
    )
    expect(check('stripe', svixHeaders).message).toMatch(/svix-signature, which is Svix's/)
  })

  it('garbled headers', () => {
    const v = check('stripe', {
      'stripe-signature': 'v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
    })
    expect(v).toMatchObject({
      problem: 'header-malformed',
      details: {
        libraryError: 'Unable to extract timestamp and signatures from header',
        headerShape: {'stripe-signature': 'v1=<64 chars>'},
      },
    })
    const std = check('standard', {...signDelivery('standard', STD_SECRET, BODY), 'webhook-timestamp': 'yesterday'})
    expect(std).toMatchObject({problem: 'header-malformed', details: {libraryError: 'Invalid Signature Headers'}})
    expect(check('paddle', {'paddle-signature': 'h1=abc'}).problem).toBe('header-malformed')
  })

  it('only other signature versions: Stripe v0, Slack v1, Standard v1a (ed25519)', () => {
    const s = signDelivery('stripe', SECRETS.stripe, BODY, {timestamp: NOW})['stripe-signature'].replace('v1=', 'v0=')
    expect(() => stripe.constructEvent(BODY, s, SECRETS.stripe)).toThrow('No signatures found with expected scheme')
    expect(check('stripe', {'stripe-signature': s})).toMatchObject({
      problem: 'scheme-version',
      details: {libraryError: 'No signatures found with expected scheme', versions: ['v0']},
    })
    const slack = signDelivery('slack', SECRETS.slack, BODY, {timestamp: NOW})
    expect(
      check('slack', {...slack, 'x-slack-signature': slack['x-slack-signature'].replace('v0=', 'v1=')}),
    ).toMatchObject({
      problem: 'scheme-version',
      details: {libraryError: 'Failed to verify authenticity: unknown signature version'},
    })
    const std = signDelivery('standard', STD_SECRET, BODY, {timestamp: NOW})
    const ed = check('standard', {...std, 'webhook-signature': std['webhook-signature'].replace('v1,', 'v1a,')})
    expect(ed).toMatchObject({
      problem: 'ed25519-unsupported',
      kb: 'webhook-signature-invalid#header-missing-or-malformed',
    })
    expect(ed.message).toMatch(/ed25519.*not with an HMAC secret/)
  })

  it('timestamp too old: skew, tolerance, direction and the kb cause, agreeing with stripe-node', () => {
    const h = signDelivery('stripe', SECRETS.stripe, BODY, {timestamp: NOW - 412})
    expect(() =>
      stripe.constructEvent(BODY, h['stripe-signature'], SECRETS.stripe, 300, undefined, NOW * 1000),
    ).toThrow('Timestamp outside the tolerance zone')
    const v = check('stripe', h)
    expect(v).toMatchObject({
      ok: false,
      problem: 'timestamp-outside-tolerance',
      kb: 'webhook-timestamp-outside-tolerance#receiver-clock-skew',
      details: {
        skewSeconds: -412,
        toleranceSeconds: 300,
        direction: 'past',
        libraryError: 'Timestamp outside the tolerance zone',
      },
    })
    expect(v.message).toMatch(/412 s in the past, tolerance 300 s.*clock is ahead.*doctor run clock-skew/)
    const replay = check('standard', signDelivery('standard', STD_SECRET, BODY, {timestamp: NOW - 7200}))
    expect(replay).toMatchObject({
      problem: 'timestamp-outside-tolerance',
      kb: 'webhook-timestamp-outside-tolerance#delayed-or-replayed-delivery',
      details: {skewSeconds: -7200, libraryError: 'Message timestamp too old'},
    })
    expect(() =>
      new Webhook(STD_SECRET).verify(BODY, signDelivery('standard', STD_SECRET, BODY, {timestamp: NOW - 7200})),
    ).toThrow('Message timestamp too old')
    const paddle = signDelivery('paddle', SECRETS.paddle, BODY, {timestamp: NOW - 6})
    expect(check('paddle', paddle)).toMatchObject({
      problem: 'timestamp-outside-tolerance',
      details: {skewSeconds: -6, toleranceSeconds: 5},
    })
    expect(verify('paddle', paddle, {toleranceSeconds: 10}).ok).toBe(true)
  })

  it('timestamp too new: rejected by Standard Webhooks, only noted for Slack (stale-only)', () => {
    const h = signDelivery('standard', STD_SECRET, BODY, {timestamp: NOW + 400})
    expect(() => new Webhook(STD_SECRET).verify(BODY, h)).toThrow('Message timestamp too new')
    const v = check('standard', h)
    expect(v).toMatchObject({
      problem: 'timestamp-outside-tolerance',
      kb: 'webhook-timestamp-outside-tolerance#receiver-clock-skew',
      details: {skewSeconds: 400, direction: 'future', libraryError: 'Message timestamp too new'},
    })
    expect(v.message).toMatch(/400 s in the future.*clock is behind/)
    const slack = check('slack', signDelivery('slack', SECRETS.slack, BODY, {timestamp: NOW + 400}))
    expect(slack.ok).toBe(true)
    expect(slack.notes.join(' ')).toMatch(/400 s in the future/)
  })

  it('body re-serialised: signed pretty, captured compact, and the reverse', () => {
    const signedPretty = signDelivery('stripe', SECRETS.stripe, PRETTY, {timestamp: NOW})
    expect(() => stripe.constructEvent(BODY, signedPretty['stripe-signature'], SECRETS.stripe)).toThrow(
      'No signatures found matching the expected signature for payload',
    )
    const v = check('stripe', signedPretty)
    expect(v).toMatchObject({
      problem: 'body-reserialized',
      kb: 'webhook-signature-invalid#body-reserialized',
      details: {
        matchedVariant: 'JSON pretty-printed with 2 spaces',
        bodyBytes: Buffer.byteLength(BODY),
        signedBodyBytes: Buffer.byteLength(PRETTY),
      },
    })
    expect(v.message).toMatch(/the bytes you captured are not the bytes that were signed/)
    const reverse = check('standard', signDelivery('standard', STD_SECRET, BODY, {timestamp: NOW}), {body: PRETTY})
    expect(reverse).toMatchObject({problem: 'body-reserialized', details: {matchedVariant: 'compact JSON'}})
    const crlf = check('github', signDelivery('github', SECRETS.github, 'line one\nline two\n'), {
      body: 'line one\r\nline two\r\n',
    })
    expect(crlf).toMatchObject({
      problem: 'body-reserialized',
      details: {matchedVariant: 'the body with CRLF line endings turned into LF'},
    })
  })

  it('receiver secret with a trailing newline', () => {
    const h = signDelivery('stripe', SECRETS.stripe, BODY, {timestamp: NOW})
    expect(() => stripe.constructEvent(BODY, h['stripe-signature'], `${SECRETS.stripe}\n`)).toThrow(
      /contains whitespace/,
    )
    const v = check('stripe', h, {secret: `${SECRETS.stripe}\n`})
    expect(v).toMatchObject({
      problem: 'secret-whitespace',
      kb: 'webhook-signature-invalid#secret-whitespace',
      details: {matchedVariant: 'secret without a trailing newline'},
    })
    expect(v.message).toMatch(
      new RegExp(`whsec_… \\(${SECRETS.stripe.length + 1} chars, fingerprint [0-9a-f]{4}\\).*removed`),
    )
    expect(
      check('slack', signDelivery('slack', SECRETS.slack, BODY, {timestamp: NOW}), {secret: `"${SECRETS.slack}"`})
        .details.matchedVariant,
    ).toBe('secret without surrounding quotes')
  })

  it('Standard Webhooks secret not base64-decoded by the signer', () => {
    const id = 'msg_enc'
    const sig = hmac(STD_SECRET, `${id}.${NOW}.${BODY}`, 'base64')
    const v = check('standard', {'webhook-id': id, 'webhook-timestamp': String(NOW), 'webhook-signature': `v1,${sig}`})
    expect(v).toMatchObject({
      problem: 'secret-encoding',
      kb: 'webhook-signature-invalid#secret-or-signature-encoding',
      details: {matchedVariant: 'secret used as UTF-8 text (not base64-decoded)'},
    })
    expect(v.message).toMatch(
      /used as UTF-8 text, whsec_ included, instead of base64-decoding it: the sender and receiver disagree on the secret's encoding/,
    )
    // The reverse: a Stripe-style receiver, but the signer base64-decoded whsec_.
    const stripeSig = hmac(Buffer.from(SECRETS.stripe.slice(6), 'base64'), `${NOW}.${BODY}`, 'hex')
    expect(check('stripe', {'stripe-signature': `t=${NOW},v1=${stripeSig}`}).problem).toBe('secret-encoding')
  })

  it('signature written in the other encoding (hex vs base64)', () => {
    const b64 = hmac(SECRETS.stripe, `${NOW}.${BODY}`, 'base64')
    expect(check('stripe', {'stripe-signature': `t=${NOW},v1=${b64}`})).toMatchObject({
      problem: 'signature-encoding',
      kb: 'webhook-signature-invalid#secret-or-signature-encoding',
      details: {matchedVariant: 'signature written as base64'},
    })
    expect(check('shopify', {'x-shopify-hmac-sha256': hmac(SECRETS.shopify, BODY, 'hex')}).details.matchedVariant).toBe(
      'signature written as hex',
    )
  })

  it('rotation: a later signature matches → ok, with a note', () => {
    const old = hmac('whsec_oldSecretBeforeRotation0000', `${NOW}.${BODY}`, 'hex')
    const header = `t=${NOW},v1=${old},v1=${hmac(SECRETS.stripe, `${NOW}.${BODY}`, 'hex')}`
    expect(stripe.constructEvent(BODY, header, SECRETS.stripe).id).toBe('evt_1')
    const v = check('stripe', {'stripe-signature': header})
    expect(v.problem).toBeUndefined()
    expect(v).toMatchObject({
      ok: true,
      details: {signatureIndex: 1, kb: 'webhook-signature-invalid#rotation-multiple-signatures'},
    })
    expect(v.notes[0]).toMatch(/number 2 of 2.*checks only the first signature rejects/)
    const std = signDelivery('standard', STD_SECRET, BODY, {timestamp: NOW, id: 'msg_r'})
    const rotated = {
      ...std,
      'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${std['webhook-signature']}`,
    }
    expect(() => new Webhook(STD_SECRET).verify(BODY, rotated)).not.toThrow()
    expect(check('standard', rotated)).toMatchObject({ok: true, details: {signatureIndex: 1}})
    const paddle = signDelivery('paddle', SECRETS.paddle, BODY, {timestamp: NOW})['paddle-signature']
    expect(check('paddle', {'paddle-signature': `${paddle};h1=${'0'.repeat(64)}`}).notes[0]).toMatch(
      /Paddle Node SDK keeps only the last h1/,
    )
  })

  it('plain wrong secret (test vs live mode)', () => {
    const h = signDelivery('stripe', LIVE, BODY, {timestamp: NOW})
    expect(() => stripe.constructEvent(BODY, h['stripe-signature'], SECRETS.stripe)).toThrow(
      'No signatures found matching the expected signature for payload. Are you passing the raw request body you received from Stripe?',
    )
    const v = check('stripe', h)
    expect(v).toMatchObject({
      ok: false,
      problem: 'secret-mismatch',
      kb: 'webhook-signature-invalid#wrong-secret',
      details: {libraryError: expect.stringContaining('Are you passing the raw request body')},
    })
    expect(v.message).toMatch(/test vs live mode/)
    expect((v.details.tried as string[]).length).toBeGreaterThan(5)
    expect(check('stripe', h, {secret: 'sk_test_51Habcdefghijklmnop'}).notes[0]).toMatch(
      /Stripe API key, not a webhook signing secret/,
    )
    expect(check('github', signDelivery('github', 'other', BODY)).problem).toBe('secret-mismatch')
  })

  it('never leaks the secret, its decoded key, or a full signature', () => {
    expect(seen.length).toBeGreaterThan(20)
    for (const {verdict, secrets, signatures} of seen) {
      const text = JSON.stringify(verdict)
      for (const s of secrets) {
        const forms = [
          s,
          s.slice(6),
          secretKey('standard', s).toString('base64'),
          secretKey('standard', s).toString('hex'),
          secretKey('standard', s).toString('latin1'),
        ]
        for (const f of forms) if (f.length >= 8) expect(text, verdict.message).not.toContain(f)
      }
      for (const sig of signatures) if (sig.length >= 16) expect(text).not.toContain(sig)
    }
  })
})

describe('parseHeaderLines', () => {
  it('reads a curl -i style capture: status line, CRLF, repeats joined, body ignored', () => {
    const text =
      'HTTP/1.1 100 Continue\r\n\r\nPOST /hooks/stripe HTTP/1.1\r\nHost: app.example\r\nStripe-Signature: t=1,v1=aa\r\nX-Forwarded-For: 10.0.0.1\r\nx-forwarded-for: 10.0.0.2\r\nContent-Type: application/json\r\n\r\n{"id": "evt_1", "x": 1}\r\n'
    expect(parseHeaderLines(text)).toEqual({
      host: 'app.example',
      'stripe-signature': 't=1,v1=aa',
      'x-forwarded-for': '10.0.0.1, 10.0.0.2',
      'content-type': 'application/json',
    })
    expect(parseHeaderLines('HTTP/1.1 POST /webhook\nStripe-Signature: t=1,v1=aa\n')).toEqual({
      'stripe-signature': 't=1,v1=aa',
    })
    expect(parseHeaderLines('\nwebhook-id: m1\n\nwebhook-timestamp: 5\n')).toEqual({
      'webhook-id': 'm1',
      'webhook-timestamp': '5',
    })
    const h = signDelivery('slack', SECRETS.slack, BODY, {timestamp: NOW})
    const lines = `HTTP/2 200\nX-Slack-Signature: ${h['x-slack-signature']}\nX-Slack-Request-Timestamp: ${NOW}\n`
    expect(verify('slack', parseHeaderLines(lines)).ok).toBe(true)
    const verbose =
      '* Connected to app.example\n> POST /hooks HTTP/1.1\n> Host: app.example\n> X-Shopify-Hmac-SHA256: q83v\n>\n< HTTP/1.1 401 Unauthorized\n< Server: nginx\n<\n'
    expect(parseHeaderLines(verbose)).toEqual({host: 'app.example', 'x-shopify-hmac-sha256': 'q83v'})
  })
})
