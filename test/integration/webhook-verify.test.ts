import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import Stripe from 'stripe'
import {describe, expect, it} from 'vitest'
import type {Report} from '../../src/report/schema.js'
import {runCli} from '../helpers/cli.js'

/** `doctor webhook verify` as a user runs it, with deliveries signed by Stripe's own library. */
const SECRET = 'whsec_5f4e3d2c1b0a99887766554433221100'
const stripe = new Stripe('sk_test_doctor_not_used')
const dir = mkdtempSync(join(tmpdir(), 'doctor-webhook-'))
const pretty = JSON.stringify(
  {id: 'evt_1', type: 'checkout.session.completed', data: {object: {id: 'cs_1', amount_total: 4200}}},
  null,
  2,
)

function capture(name: string, payload: string, header: string): {payload: string; headers: string} {
  const p = join(dir, `${name}.json`)
  const h = join(dir, `${name}.headers.txt`)
  writeFileSync(p, payload)
  writeFileSync(h, `HTTP/1.1 POST /webhook\nContent-Type: application/json\nStripe-Signature: ${header}\n`)
  return {payload: p, headers: h}
}

describe('doctor webhook verify', () => {
  it('a delivery signed by stripe-node is valid (exit 0), and the secret is never printed', async () => {
    const header = stripe.webhooks.generateTestHeaderString({payload: pretty, secret: SECRET})
    const files = capture('good', pretty, header)
    const r = await runCli(
      [
        'webhook',
        'verify',
        '--scheme',
        'stripe',
        '--secret-env',
        'WH_SECRET',
        '--payload',
        files.payload,
        '--headers',
        files.headers,
      ],
      {env: {WH_SECRET: SECRET}},
    )
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(
      /^✓ valid — stripe signature, \d+-byte payload, secret WH_SECRET \(\d+ chars, fingerprint [0-9a-f]{4}\)/,
    )
    expect(r.stdout + r.stderr).not.toContain(SECRET)
  })

  it('the receiver saw a re-serialised body: exit 1, named, with the KB cause', async () => {
    const header = stripe.webhooks.generateTestHeaderString({payload: pretty, secret: SECRET})
    const files = capture('reserialized', JSON.stringify(JSON.parse(pretty)), header)
    const r = await runCli(
      [
        'webhook',
        'verify',
        '--scheme',
        'stripe',
        '--secret-env',
        'WH_SECRET',
        '--payload',
        files.payload,
        '--headers',
        files.headers,
        '--json',
      ],
      {env: {WH_SECRET: SECRET}},
    )
    expect(r.code).toBe(1)
    const result = JSON.parse(r.stdout) as {valid: boolean; problem: string; kb: string}
    expect(result).toMatchObject({
      valid: false,
      problem: 'body-reserialized',
      kb: 'webhook-signature-invalid#body-reserialized',
    })
    expect(r.stdout).not.toContain(SECRET)
  })

  it('a secret with a trailing newline, an old timestamp, and another secret are each named', async () => {
    const header = stripe.webhooks.generateTestHeaderString({payload: pretty, secret: SECRET})
    const files = capture('plain', pretty, header)
    const newline = await runCli(
      [
        'webhook',
        'verify',
        '--scheme',
        'stripe',
        '--secret-env',
        'WH_SECRET',
        '--payload',
        files.payload,
        '--header',
        `Stripe-Signature: ${header}`,
        '--json',
      ],
      {env: {WH_SECRET: `${SECRET}\n`}},
    )
    expect(JSON.parse(newline.stdout).problem).toBe('secret-whitespace')
    const late = await runCli(
      [
        'webhook',
        'verify',
        '--scheme',
        'stripe',
        '--secret-env',
        'WH_SECRET',
        '--payload',
        files.payload,
        '--headers',
        files.headers,
        '--received-at',
        String(Math.floor(Date.now() / 1000) + 900),
        '--json',
      ],
      {env: {WH_SECRET: SECRET}},
    )
    const lateResult = JSON.parse(late.stdout)
    expect(lateResult.problem).toBe('timestamp-outside-tolerance')
    expect(lateResult.message).toMatch(/clock-skew/)
    const other = await runCli(
      [
        'webhook',
        'verify',
        '--scheme',
        'stripe',
        '--secret-env',
        'WH_SECRET',
        '--payload',
        files.payload,
        '--headers',
        files.headers,
        '--json',
      ],
      {env: {WH_SECRET: 'whsec_test_00000000000000000000000000000000'}},
    )
    expect(JSON.parse(other.stdout)).toMatchObject({
      problem: 'secret-mismatch',
      kb: 'webhook-signature-invalid#wrong-secret',
    })
  })

  it('bad input is exit 2 with one paragraph: unset secret variable, missing payload, no headers', async () => {
    const unset = await runCli(
      [
        'webhook',
        'verify',
        '--scheme',
        'stripe',
        '--secret-env',
        'NOPE_SECRET',
        '--payload',
        'x.json',
        '--header',
        'Stripe-Signature: t=1,v1=00',
      ],
      {env: {NOPE_SECRET: undefined}},
    )
    expect(unset.code).toBe(2)
    expect(unset.stderr).toMatch(/^Error: The environment variable NOPE_SECRET is not set/)
    const missing = await runCli(
      [
        'webhook',
        'verify',
        '--scheme',
        'github',
        '--secret-env',
        'WH_SECRET',
        '--payload',
        join(dir, 'absent.json'),
        '--header',
        'X-Hub-Signature-256: sha256=00',
      ],
      {env: {WH_SECRET: SECRET}},
    )
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/Cannot read the payload .*absent\.json/)
    const files = capture('noheaders', pretty, 't=1,v1=00')
    const none = await runCli(
      ['webhook', 'verify', '--scheme', 'stripe', '--secret-env', 'WH_SECRET', '--payload', files.payload],
      {env: {WH_SECRET: SECRET}},
    )
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/Give the headers the receiver got/)
    expect(none.stderr).not.toMatch(/at .*\.js:\d+/)
    const scheme = await runCli([
      'webhook',
      'verify',
      '--scheme',
      'nope',
      '--secret-env',
      'WH_SECRET',
      '--payload',
      files.payload,
    ])
    expect(scheme.code).toBe(2)
    expect(scheme.stderr).toContain('See `doctor webhook verify --help`.')
  })

  it('the sandbox shows the billing faults diagnosed, and --fixed is clean', async () => {
    const faulty = JSON.parse(
      (
        await runCli([
          'demo',
          '--fault',
          'webhook-wrong-secret',
          '--fault',
          'billing-pending',
          '--fault',
          'runtime-not-restarted',
          '--json',
        ])
      ).stdout,
    ) as Report
    const kb = (id: string) => faulty.results.find((x) => x.id === id)?.cause?.kb
    expect(kb('webhook-signature')).toBe('webhook-signature-invalid#wrong-secret')
    expect(kb('entitlement')).toBe('entitlement-not-active#runtime-not-restarted')
    expect(kb('billing-status')).toMatch(/^entitlement-not-active#/)
    const fixed = JSON.parse((await runCli(['demo', '--fixed', '--json'])).stdout) as Report
    expect(
      fixed.results.filter((x) => x.status !== 'pass' && x.status !== 'skip').map((x) => `${x.id}: ${x.message}`),
    ).toEqual([])
  })
})
