import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {profileIds} from '../../src/init/profiles.js'
import {startSandbox, type Sandbox} from '../../src/sandbox/server.js'
import {runCli} from '../helpers/cli.js'

// The built CLI (`npm run build` first), as users run it. None of the placeholders' variables may leak in.
const env = {DOCTOR_BASE_URL: undefined, DOCTOR_OIDC_ISSUER: undefined, DOCTOR_OIDC_CLIENT_ID: undefined}
const work = mkdtempSync(join(tmpdir(), 'doctor-init-'))
let sandbox: Sandbox

beforeAll(async () => {
  sandbox = await startSandbox({faults: []})
})

afterAll(async () => {
  await sandbox?.stop()
  rmSync(work, {recursive: true, force: true})
})

describe('doctor init against the sandbox', () => {
  for (const profile of profileIds()) {
    it(`${profile}: writes a file that validates and that doctor all runs without config errors`, async () => {
      const dir = mkdtempSync(join(work, `${profile}-`))
      const issuer = (sandbox.config.oidc as {issuer: string}).issuer
      const init = await runCli(
        [
          'init',
          '--profile',
          profile,
          '--base-url',
          sandbox.appUrl,
          '--issuer',
          issuer,
          '--client-id',
          'sandbox-console',
        ],
        {cwd: dir, env},
      )
      expect(init.stderr).toBe(
        profile === 'secrets-bridge'
          ? 'Note: --issuer is not used: the secrets-bridge profile has no place for it.\nNote: --client-id is not used: the secrets-bridge profile has no place for it.\n'
          : '',
      )
      expect(init.code).toBe(0)
      expect(init.stdout).toMatch(/^Wrote doctor\.yaml \(.+ profile\)\.\nFilled in: target\.baseUrl/)
      const text = readFileSync(join(dir, 'doctor.yaml'), 'utf8')
      expect(text).toContain(`baseUrl: "${sandbox.appUrl}"`)
      expect(text).not.toContain('.invalid"')

      const validate = await runCli(['config', 'validate', '--json'], {cwd: dir, env})
      expect(validate.code, validate.stderr).toBe(0)
      const enabled = JSON.parse(validate.stdout).enabled as string[]
      expect(enabled).toEqual(expect.arrayContaining(['clock-skew', 'session-cookie', 'login-redirect-loop']))

      // Findings (exit 1) are expected: the sandbox is not these products. Config errors (2) and crashes (3) are not.
      const all = await runCli(['all', '-c', 'doctor.yaml', '--timeout', '20s', '--check-timeout', '8s'], {
        cwd: dir,
        env,
        timeoutMs: 40_000,
      })
      expect([0, 1], `${all.stderr}\n${all.stdout}`).toContain(all.code)
      for (const id of enabled) expect(all.stdout).toContain(id)
    }, 60_000)
  }
})

describe('doctor init on the command line', () => {
  it('refuses to overwrite a file without --force (exit 2), and replaces it with --force', async () => {
    const dir = mkdtempSync(join(work, 'force-'))
    const file = join(dir, 'mine.yaml')
    writeFileSync(file, 'target: {baseUrl: https://mine.example.com}\n')
    const refused = await runCli(['init', '-p', 'generic', '-o', 'mine.yaml'], {cwd: dir, env})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(
      'Error: mine.yaml already exists and doctor init does not overwrite it. Pass --force to replace it, --output FILE to write somewhere else, or --stdout to print the new file instead.\n',
    )
    expect(readFileSync(file, 'utf8')).toBe('target: {baseUrl: https://mine.example.com}\n')
    const forced = await runCli(
      ['init', '-p', 'generic', '-o', 'mine.yaml', '--force', '--base-url', 'https://app.acme.test'],
      {cwd: dir, env},
    )
    expect(forced.code).toBe(0)
    expect(readFileSync(file, 'utf8')).toContain('baseUrl: "https://app.acme.test"')
  })

  it('names the profiles when the one asked for does not exist (exit 2)', async () => {
    const r = await runCli(['init', '--profile', 'keycloak'], {cwd: work, env})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /^Error: There is no profile "keycloak"\. Profiles: api-test, generic, rack-gateway, release-passport, secrets-bridge /,
    )
    const none = await runCli(['init'], {cwd: work, env})
    expect(none.code).toBe(2)
    expect(none.stderr).toContain(
      'Choose a profile with --profile: api-test, generic, rack-gateway, release-passport, secrets-bridge.',
    )
  })

  it('without a terminal asks nothing: --stdout prints a valid file with placeholders, the summary goes to stderr', async () => {
    const r = await runCli(['init', '-p', 'api-test', '--stdout'], {cwd: work, env, input: '', timeoutMs: 15_000})
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^# doctor\.yaml for api-test/)
    expect(r.stdout).toContain('baseUrl: "${DOCTOR_BASE_URL:-https://api-test.example.invalid}"')
    expect(r.stderr).toContain(
      'Placeholder: target.baseUrl is https://api-test.example.invalid until you set DOCTOR_BASE_URL',
    )
    const file = join(mkdtempSync(join(work, 'stdout-')), 'doctor.yaml')
    writeFileSync(file, r.stdout)
    expect((await runCli(['config', 'validate', '-c', file], {env})).code).toBe(0)
  })

  it('lists the profiles, as text and as JSON', async () => {
    const text = await runCli(['init', '--list'], {env})
    expect(text.code).toBe(0)
    for (const id of profileIds()) expect(text.stdout).toContain(`  ${id}`)
    const json = await runCli(['init', '--list', '--json'], {env})
    expect(JSON.parse(json.stdout).profiles.map((p: {id: string}) => p.id)).toEqual(profileIds())
  })

  it('refuses a base URL that is not a URL (exit 2) and writes nothing', async () => {
    const dir = mkdtempSync(join(work, 'bad-'))
    const r = await runCli(['init', '-p', 'rack-gateway', '--base-url', 'gateway.acme.test'], {cwd: dir, env})
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--base-url "gateway.acme.test" is not an absolute URL')
    expect(() => readFileSync(join(dir, 'doctor.yaml'))).toThrow()
  })
})
