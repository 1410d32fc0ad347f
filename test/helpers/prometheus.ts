import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus'

export interface RunningPrometheus {
  url: string
  port: number
  dir: string
  /** stdout and stderr so far, for failure messages. */
  log(): string
  stop(): Promise<void>
}

/** A port nothing listens on right now: listen on 0, note the port, close. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as {port: number}
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * Whether the tests can run: true when the binary exists. With CI=true a missing binary is a
 * failure (the caller throws), locally the caller skips with this message.
 */
export function prometheusAvailable(): {ok: boolean; reason?: string} {
  return existsSync(PROMETHEUS_BIN)
    ? {ok: true}
    : {
        ok: false,
        reason: `no Prometheus binary at ${PROMETHEUS_BIN} (apt-get install prometheus, or set PROMETHEUS_BIN)`,
      }
}

/** Start a real Prometheus on 127.0.0.1 with `config` (prometheus.yml text); resolves once /-/ready answers 200. */
export async function startPrometheus(config: string, timeoutMs = 15_000): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-prom-'))
  writeFileSync(join(dir, 'prometheus.yml'), config)
  const port = await freePort()
  let output = ''
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    {stdio: ['ignore', 'pipe', 'pipe']},
  )
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  let exited: number | null | undefined
  child.once('exit', (code) => (exited = code))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (exited === undefined && child.exitCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await gone
      clearTimeout(timer)
    }
    rmSync(dir, {recursive: true, force: true})
  }
  const running: RunningPrometheus = {url, port, dir, log: () => output, stop}
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      await stop()
      throw new Error(`prometheus exited with ${exited}:\n${output}`)
    }
    try {
      const res = await fetch(`${url}/-/ready`)
      if (res.status === 200) return running
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  await stop()
  throw new Error(`prometheus did not become ready within ${timeoutMs} ms:\n${output}`)
}

/** Poll `probe` until it returns true, for at most `timeoutMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 20_000,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return
    await sleep(everyMs)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** A GET of the Prometheus API, returning `data`. */
export async function promApi<T = unknown>(
  base: string,
  path: string,
  params: Record<string, string> = {},
): Promise<T> {
  const qs = new URLSearchParams(params).toString()
  const res = await fetch(`${base}${path}${qs ? `?${qs}` : ''}`)
  const body = (await res.json()) as {status: string; data: T; error?: string}
  if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`)
  return body.data
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
