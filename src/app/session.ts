import {setMaxListeners} from 'node:events'
import {release} from 'node:os'
import type {LoadedConfig} from '../config/load.js'
import type {DoctorConfig} from '../config/schema.js'
import {Facts} from '../facts/facts.js'
import {needsKb, withCauseText} from '../kb/cause.js'
import {parseDuration} from '../util/duration.js'
import {HttpClient} from '../http/client.js'
import {Redactor} from '../redact/redactor.js'
import {REPORT_SCHEMA_VERSION, type Report} from '../report/schema.js'
import {type Check, RANK, STATUSES, worst} from '../engine/check.js'
import {type CheckResult, runChecks} from '../engine/runner.js'

export interface SessionOptions {
  concurrency: number
  /** --check-timeout; without it each check gets DEFAULT_CHECK_TIMEOUT_MS or its own meta.timeoutMs. */
  checkTimeoutMs?: number
  timeoutMs: number
  failOn: 'warn' | 'fail'
  caFile?: string
  insecure: boolean
  /** --allow-writes: checks may send state-changing requests the config lists (webhook test events). */
  allowWrites?: boolean
  /** --redact-emails: email addresses are replaced too. */
  redactEmails?: boolean
  /** Checks named explicitly on the command line run even when the config disables them. */
  explicit: boolean
  version: string
  progress?: Progress
  env?: NodeJS.ProcessEnv
}

export interface Progress {
  start(check: Check): void
  result(result: CheckResult, done: number, total: number): void
  end(): void
}

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000

/**
 * A check's time limit: checks.<id>.timeout in doctor.yaml, else --check-timeout, else the
 * default or the check's own meta.timeoutMs when it needs longer (a browser loading pages).
 */
export function checkTimeout(check: Check, config: DoctorConfig, flag?: number): {ms: number; source: string} {
  const configured = (config.checks as Record<string, {timeout?: string}> | undefined)?.[check.meta.id]?.timeout
  const ms = configured ? parseDuration(configured) : undefined
  if (ms !== undefined) return {ms, source: `checks.${check.meta.id}.timeout`}
  if (flag !== undefined) return {ms: flag, source: '--check-timeout'}
  const own = check.meta.timeoutMs ?? 0
  return own > DEFAULT_CHECK_TIMEOUT_MS
    ? {ms: own, source: `the time ${check.meta.id} allows itself`}
    : {ms: DEFAULT_CHECK_TIMEOUT_MS, source: 'the default per-check limit'}
}

/** Why a check will not run for this config, or undefined when it applies. */
export function skipReason(check: Check, config: DoctorConfig, explicit = false): string | undefined {
  const settings = (config.checks as Record<string, {enabled?: boolean}> | undefined)?.[check.meta.id]
  if (settings?.enabled === false && !explicit) return `disabled in the config (checks.${check.meta.id}.enabled: false)`
  const missing = check.meta.needs.filter((path) => isEmpty(getPath(config, path)))
  if (missing.length > 0) return `not configured: set ${missing.join(', ')} in doctor.yaml`
  return check.skipReason?.(config)
}

function getPath(obj: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (cur, key) => (cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined),
      obj,
    )
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)
}

/** Collect, redact, analyse: run the checks and build the report. Nothing here prints. */
export async function diagnose(
  loaded: LoadedConfig,
  checks: readonly Check[],
  options: SessionOptions,
): Promise<{report: Report; redactor: Redactor}> {
  const startedAt = new Date()
  const started = performance.now()
  const {config} = loaded
  const redactor = new Redactor({
    redactEmails: options.redactEmails,
    names: config.redact?.names,
    patterns: (config.redact?.patterns ?? []).map((p) => (typeof p === 'string' ? {pattern: p} : p)),
  })
  for (const s of loaded.secrets) redactor.addSecret(s.value, s.kind, s.source)
  redactor.addSecretEnv(options.env ?? process.env)

  const insecure = options.insecure || config.http?.insecure === true
  const caFile = options.caFile ?? config.http?.ca
  const http = new HttpClient(
    {
      connectTimeoutMs: config.http?.connectTimeoutMs,
      timeoutMs: config.http?.timeoutMs,
      maxBodyBytes: config.http?.maxBodyBytes,
      caFile,
      insecure,
      headers: config.http?.headers,
      resolve: config.http?.resolve,
      userAgent: `doctor/${options.version}`,
    },
    redactor,
  )
  const runController = new AbortController()
  // Every in-flight request of every check listens to the run deadline; dozens at once is normal.
  setMaxListeners(200, runController.signal)
  const facts = new Facts(config, http, runController.signal, options.env ?? process.env)
  let results: CheckResult[]
  try {
    results = await runChecks([...checks], {
      concurrency: options.concurrency,
      checkTimeoutMs: options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS,
      timeoutFor: (check) => checkTimeout(check, config, options.checkTimeoutMs),
      deadlineMs: options.timeoutMs,
      runController,
      makeContext: (signal) => ({
        config,
        facts,
        signal,
        now: () => Date.now(),
        allowWrites: options.allowWrites ?? false,
      }),
      skipReason: (check) => skipReason(check, config, options.explicit),
      severityCap: (check) =>
        (config.checks as Record<string, {severity?: 'warn' | 'fail'}> | undefined)?.[check.meta.id]?.severity,
      onStart: (check) => options.progress?.start(check),
      onResult: (result, done, total) =>
        options.progress?.result(
          redactor.uncounted(() => redactor.redactDeep(result)),
          done,
          total,
        ),
    })
  } finally {
    options.progress?.end()
    runController.abort()
    await http.close()
  }

  // Cause text comes from the knowledge base, filled with each check's values, before redaction.
  const kb = needsKb(results) ? (await import('../kb/kb.js')).openKnowledgeBase() : undefined
  results = results.map((r) => withCauseText(kb, r) as CheckResult)
  const statuses = results.map((r) => r.status)
  const overall = worst(statuses)
  const verdict: Report['verdict'] = RANK[overall] >= 2 ? 'fail' : overall === 'warn' ? 'warn' : 'pass'
  const threshold = options.failOn === 'warn' ? 1 : 2
  const exitCode = statuses.some((s) => RANK[s] >= threshold) ? 1 : 0
  const summary = Object.fromEntries(
    STATUSES.map((s) => [s, statuses.filter((x) => x === s).length]),
  ) as Report['summary']
  summary.total = results.length
  const exchanges = http.exchanges
  const targets = [...new Set(exchanges.map((e) => safeOrigin(e.url)).filter(Boolean))] as string[]
  const warnings: string[] = []
  if (insecure)
    warnings.push('TLS certificate verification was disabled (--insecure); results about HTTPS endpoints prove less.')

  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: {name: 'doctor', version: options.version},
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    verdict,
    failOn: options.failOn,
    exitCode,
    environment: {node: process.version, platform: process.platform, arch: process.arch, release: release()},
    config: {path: loaded.path ?? null, targets, values: config},
    options: {
      concurrency: options.concurrency,
      checkTimeoutMs: options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS,
      timeoutMs: options.timeoutMs,
      ca: caFile ?? null,
      insecure,
      allowWrites: options.allowWrites ?? false,
    },
    warnings,
    summary,
    results: results as Report['results'],
    http: {
      requests: exchanges.length,
      distinctUrls: new Set(exchanges.map((e) => `${e.method} ${e.url}`)).size,
      exchanges,
    },
    redactions: [],
  }
  // Redaction runs once over everything collected, before any renderer sees it.
  const redacted = redactor.redactAll(report)
  redacted.redactions = redactor.summary()
  return {report: redacted, redactor}
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}
