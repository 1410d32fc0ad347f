import {validateConfig} from '../../src/config/load.js'
import type {Check, CheckContext} from '../../src/engine/check.js'
import {type FilledOutcome, withCauseText} from '../../src/kb/cause.js'
import {type KnowledgeBase, openKnowledgeBase} from '../../src/kb/kb.js'
import {Facts} from '../../src/facts/facts.js'
import {HttpClient, type HttpOptions} from '../../src/http/client.js'
import {Redactor} from '../../src/redact/redactor.js'
import {checkIds} from '../../src/engine/registry.js'

/** A real CheckContext (real config validation, real HTTP client, real facts) for unit-testing a check. */
export function makeContext(
  rawConfig: Record<string, unknown>,
  http: HttpOptions = {},
  env: NodeJS.ProcessEnv = {},
  allowWrites = false,
  now: () => number = Date.now,
): CheckContext & {close(): Promise<void>; redactor: Redactor; client: HttpClient} {
  const loaded = validateConfig(rawConfig, checkIds(), {})
  const redactor = new Redactor()
  for (const s of loaded.secrets) redactor.addSecret(s.value, s.kind, s.source)
  const client = new HttpClient(
    {timeoutMs: 3000, connectTimeoutMs: 1000, resolve: loaded.config.http?.resolve, ...http},
    redactor,
  )
  const controller = new AbortController()
  const facts = new Facts(loaded.config, client, controller.signal, env)
  return {
    config: loaded.config,
    facts,
    signal: controller.signal,
    now,
    allowWrites,
    redactor,
    client,
    close: () => client.close(),
  }
}

let kb: KnowledgeBase | undefined
/**
 * Run a check as a session does: its `{kb, vars}` cause filled with the knowledge base's text, so
 * tests read the same summary, fix and verify steps a report shows.
 */
export async function runCheck(check: Check, ctx: CheckContext): Promise<FilledOutcome> {
  const outcome = await check.run(ctx)
  kb ??= openKnowledgeBase()
  return withCauseText(kb, outcome)
}
