import {readFileSync} from 'node:fs'
import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base.js'
import {WEBHOOK_SCHEMES} from '../../webhooks/names.js'
import {UsageError} from '../../errors.js'
import {fingerprint, Redactor} from '../../redact/redactor.js'

const MAX_PAYLOAD = 5 * 1024 * 1024

export interface VerifyCommandResult {
  scheme: string
  valid: boolean
  problem?: string
  message: string
  kb?: string
  secret: {env: string; length: number; fingerprint: string}
  payloadBytes: number
  details: Record<string, unknown>
  notes: string[]
}

export default class WebhookVerify extends BaseCommand {
  static override summary = 'Verify a captured webhook delivery offline, and say exactly why its signature fails.'
  static override description = `Checks the signature of one delivery (the raw body and the headers as the receiver got them) with the secret from an environment variable, the way the provider signs: Stripe, GitHub, Standard Webhooks, Svix, Slack, Shopify or Paddle. When it fails, doctor tries what usually went wrong and names it: a missing or garbled signature header, another scheme version, a timestamp outside the tolerance (and by how much), a body re-serialised on the way (whitespace or key order), a secret with stray whitespace, a secret or signature in the wrong encoding (whsec_ base64 for Standard Webhooks, not for Stripe; hex vs base64), or simply another secret (test vs live, another endpoint's).

Nothing is sent anywhere. The secret is never printed: only its length and a fingerprint. Exit code 0 when the signature is valid, 1 when it is not, 2 for unusable input.`
  static override examples = [
    "<%= config.bin %> webhook verify --scheme stripe --secret-env STRIPE_WEBHOOK_SECRET --payload body.json --header 'Stripe-Signature: t=1700000000,v1=5257a8…'",
    '<%= config.bin %> webhook verify --scheme standard --secret-env WEBHOOK_SECRET --payload body.json --headers headers.txt --received-at 2026-11-22T10:15:00Z',
    'cat body.json | <%= config.bin %> webhook verify --scheme github --secret-env GH_WEBHOOK_SECRET --payload - --header "X-Hub-Signature-256: sha256=…" --json',
  ]
  static override flags = {
    scheme: Flags.option({options: WEBHOOK_SCHEMES, required: true, summary: 'How the provider signs.'})(),
    'secret-env': Flags.string({
      required: true,
      summary: 'Environment variable that holds the signing secret the receiver uses.',
      helpValue: 'VAR',
    }),
    payload: Flags.string({
      required: true,
      summary: 'The raw body exactly as received (a file, or - for stdin).',
      helpValue: 'FILE',
    }),
    header: Flags.string({
      multiple: true,
      summary: 'A header as received, "Name: value" (repeatable).',
      helpValue: 'HEADER',
    }),
    headers: Flags.string({
      summary: 'A file with the received headers, one "Name: value" per line (curl -i style is fine).',
      helpValue: 'FILE',
    }),
    'received-at': Flags.string({
      summary: 'When the receiver got the delivery (ISO date or epoch seconds), for the timestamp check; default now.',
      helpValue: 'TIME',
    }),
    tolerance: Flags.integer({
      min: 1,
      summary: "The receiver's timestamp tolerance in seconds (default: the scheme's).",
      helpValue: 'SECONDS',
    }),
  }

  async run(): Promise<VerifyCommandResult> {
    const {flags} = await this.parse(WebhookVerify)
    const secret = process.env[flags['secret-env']]
    if (secret === undefined || secret === '') {
      throw new UsageError(
        `The environment variable ${flags['secret-env']} is ${secret === undefined ? 'not set' : 'empty'}. Export the signing secret the receiver uses under that name (doctor reads it from the environment so it never appears in your shell history), then run again.`,
      )
    }
    const redactor = new Redactor()
    redactor.addSecret(secret, 'secret')
    this.guard = redactor

    const body = readPayload(flags.payload)
    const {parseHeaderLines, verifyDelivery} = await import('../../webhooks/diagnose.js')
    const headers: Record<string, string> = {}
    if (flags.headers) {
      let text: string
      try {
        text = readFileSync(flags.headers, 'utf8')
      } catch (error) {
        throw new UsageError(`Cannot read the headers file ${flags.headers}: ${(error as Error).message}`)
      }
      Object.assign(headers, parseHeaderLines(text))
    }
    for (const line of flags.header ?? []) {
      const i = line.indexOf(':')
      if (i <= 0) throw new UsageError(`--header "${line.slice(0, 40)}" is not "Name: value".`)
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
    }
    if (Object.keys(headers).length === 0)
      throw new UsageError(
        'Give the headers the receiver got, with --header "Name: value" (repeatable) or --headers FILE; the signature travels in them.',
      )
    const now = flags['received-at'] ? parseTime(flags['received-at']) : Math.floor(Date.now() / 1000)

    const verdict = verifyDelivery({
      scheme: flags.scheme,
      secret,
      body,
      headers,
      now,
      toleranceSeconds: flags.tolerance,
    })
    const result: VerifyCommandResult = {
      scheme: flags.scheme,
      valid: verdict.ok,
      ...(verdict.problem ? {problem: verdict.problem} : {}),
      message: verdict.message,
      ...(verdict.kb ? {kb: verdict.kb} : {}),
      secret: {env: flags['secret-env'], length: secret.length, fingerprint: fingerprint(secret)},
      payloadBytes: body.length,
      details: verdict.details,
      notes: verdict.notes,
    }
    if (!this.jsonEnabled()) {
      const lines = [
        `${verdict.ok ? '✓ valid' : '✗ invalid'} — ${flags.scheme} signature, ${body.length}-byte payload, secret ${flags['secret-env']} (${secret.length} chars, fingerprint ${fingerprint(secret)})`,
        '',
        verdict.message,
        ...verdict.notes.map((n) => `Note: ${n}`),
        ...(verdict.kb ? ['', `More: doctor explain ${verdict.kb}`] : []),
      ]
      this.print(`${lines.join('\n')}\n`)
    }
    process.exitCode = verdict.ok ? 0 : 1
    return result
  }
}

function readPayload(path: string): Buffer {
  try {
    const data = readFileSync(path === '-' ? 0 : path)
    if (data.length > MAX_PAYLOAD)
      throw new UsageError(
        `The payload is ${data.length} bytes; doctor reads at most ${MAX_PAYLOAD} (webhook bodies are far smaller: is this the right file?).`,
      )
    return data
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`Cannot read the payload ${path === '-' ? 'from stdin' : path}: ${(error as Error).message}`)
  }
}

function parseTime(value: string): number {
  if (/^\d{9,11}$/.test(value)) return Number(value)
  const ms = Date.parse(value)
  if (Number.isNaN(ms))
    throw new UsageError(`--received-at "${value}" is neither an ISO date (2026-11-22T10:15:00Z) nor epoch seconds.`)
  return Math.floor(ms / 1000)
}
