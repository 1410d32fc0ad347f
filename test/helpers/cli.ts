import {spawn} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {stringify} from 'yaml'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** Run the built CLI as a real child process (the user's `npx doctor`), bounded in time. */
export function runCli(
  args: string[],
  options: {env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number; input?: string} = {},
): Promise<CliResult> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? tmpdir(),
      env: {...process.env, NO_COLOR: '1', DOCTOR_CONFIG: undefined, ...options.env},
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    if (options.input !== undefined) child.stdin!.end(options.input)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `doctor ${args.join(' ')} did not exit within ${options.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      )
    }, options.timeoutMs ?? 30_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr, ms: Date.now() - started})
    })
  })
}

/** Write a config object as doctor.yaml in a fresh directory; returns its path. */
export function writeConfig(config: unknown, name = 'doctor.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-it-'))
  const path = join(dir, name)
  writeFileSync(path, typeof config === 'string' ? config : stringify(config))
  return path
}
