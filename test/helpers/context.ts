import {validateConfig} from '../../src/config/load.js'
import type {CheckContext} from '../../src/engine/check.js'
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
