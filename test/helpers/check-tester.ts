import {HttpResponse, type RequestHandler} from 'msw'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Check, Status} from '../../src/engine/check.js'
import type {HttpOptions} from '../../src/http/client.js'
import type {FilledOutcome} from '../../src/kb/cause.js'
import {makeContext, runCheck} from './context.js'
import {type MswServer, serveHandlers} from './msw-server.js'

/**
 * A check tester in the spirit of ESLint's RuleTester: a table of cases, each a set of msw
 * request handlers served on a loopback port, a config, an optional environment and an injected
 * clock, and what the check must conclude: status, KB reference, message, the values it fills
 * into the KB text. Every case also carries a redaction canary: each response sets a cookie and
 * a key header holding a fresh secret, and the outcome must contain neither (nor their base64).
 */
export interface CheckCase {
  name: string
  /** Handlers for paths on the test server; a function receives its base URL. */
  handlers: RequestHandler[] | ((base: string) => RequestHandler[])
  /** doctor.yaml as an object; a function receives the server's base URL. */
  config: Record<string, unknown> | ((base: string) => Record<string, unknown>)
  env?: Record<string, string>
  /** The clock the check sees (epoch ms); fixtures should be built from the same instant. */
  now?: number
  allowWrites?: boolean
  http?: HttpOptions
  expect: {
    status: Status
    /** The KB reference; null when there must be none. */
    kb?: string | null
    message?: RegExp | string
    /** Values the check passes for the KB text (compared with toMatchObject). */
    vars?: Record<string, unknown>
    /** The filled KB summary, when the case should prove a value reached it. */
    summary?: RegExp
  }
  /** Set false for a case whose judgement depends on the exact cookies or headers a server sends. */
  canary?: boolean
}

export interface CaseResult {
  outcome: FilledOutcome
  problems: string[]
  requests: string[]
}

let serial = 0

/** Run one case and list what does not match; never throws for a mismatch. */
export async function runCase(check: Check, c: CheckCase, server?: MswServer): Promise<CaseResult> {
  const own = server ?? (await serveHandlers())
  const canary = `cnry-tester-${process.pid}-${++serial}-7f3a9c`
  try {
    const handlers = typeof c.handlers === 'function' ? c.handlers(own.url) : c.handlers
    own.reset(...(c.canary === false ? handlers : withCanary(handlers, canary)))
    own.seen.length = 0
    const config = typeof c.config === 'function' ? c.config(own.url) : c.config
    const ctx = makeContext(
      config,
      c.http ?? {},
      c.env ?? {},
      c.allowWrites ?? false,
      c.now === undefined ? Date.now : () => c.now!,
    )
    let outcome: FilledOutcome
    try {
      outcome = await runCheck(check, ctx)
    } finally {
      await ctx.close()
    }
    const problems: string[] = []
    const e = c.expect
    if (outcome.status !== e.status)
      problems.push(`status: expected ${e.status}, got ${outcome.status} (${outcome.message})`)
    if (e.kb !== undefined && (outcome.cause?.kb ?? null) !== e.kb)
      problems.push(`kb: expected ${e.kb}, got ${outcome.cause?.kb ?? null}`)
    if (
      e.message !== undefined &&
      !(typeof e.message === 'string' ? outcome.message === e.message : e.message.test(outcome.message))
    )
      problems.push(`message: ${JSON.stringify(outcome.message)} does not match ${String(e.message)}`)
    if (e.summary && !e.summary.test(outcome.cause?.summary ?? ''))
      problems.push(`summary: ${JSON.stringify(outcome.cause?.summary)} does not match ${String(e.summary)}`)
    if (e.vars) {
      for (const [k, v] of Object.entries(e.vars)) {
        const got = outcome.cause?.vars?.[k]
        if (v instanceof RegExp ? !v.test(String(got)) : got !== v)
          problems.push(`vars.${k}: expected ${String(v)}, got ${String(got)}`)
      }
    }
    if (c.canary !== false) {
      const text = JSON.stringify(outcome)
      for (const form of new Set([
        canary,
        Buffer.from(canary).toString('base64').slice(0, 24),
        encodeURIComponent(canary),
      ]))
        if (text.includes(form))
          problems.push(`the response's canary secret reached the outcome (${form === canary ? 'as is' : 'encoded'})`)
    }
    return {outcome, problems, requests: [...own.seen]}
  } finally {
    if (!server) await own.close()
  }
}

/** Every response carries the canary: a session cookie and an API-key header (values a check must never repeat). */
function withCanary(handlers: RequestHandler[], canary: string): RequestHandler[] {
  return handlers.map((h) => wrap(h, canary))
}

function wrap(handler: RequestHandler, canary: string): RequestHandler {
  // A wrapper on the prototype chain: the case's own handler object stays untouched.
  const wrapped = Object.create(handler) as RequestHandler
  const original = handler.run.bind(handler)
  wrapped.run = async (args) => {
    const result = await original(args)
    const response = result?.response
    if (!response) return result
    const headers = new Headers(response.headers)
    headers.append('set-cookie', `tester_sid=${canary}; Path=/; HttpOnly`)
    headers.set('x-api-key-echo', canary)
    return {
      ...result,
      response: new HttpResponse(response.body, {status: response.status, statusText: response.statusText, headers}),
    }
  }
  return wrapped
}

/** Declare a vitest describe block with one test per case, sharing one loopback server. */
export function testCheck(check: Check, cases: CheckCase[]): void {
  describe(`${check.meta.id} (check tester)`, () => {
    let server: MswServer
    beforeAll(async () => {
      server = await serveHandlers()
    })
    afterAll(() => server.close())
    for (const c of cases) {
      it(c.name, async () => {
        const {problems} = await runCase(check, c, server)
        expect(problems).toEqual([])
      })
    }
  })
}
