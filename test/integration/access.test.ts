import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Report} from '../../src/report/schema.js'
import {runCli, writeConfig} from '../helpers/cli.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/** api-token through the built CLI: findings, and the token never printed in any output. */
describe('api-token through the CLI', () => {
  let api: TestServer
  const GOOD = 'rgw_Good7Kq2Lm9Xc4Vb8Nn1Pz5Rt'
  const REVOKED = 'rgw_Gone3Hs8Jd1Wq6Yc2Xv9Lb4Mk'
  beforeAll(async () => {
    api = await startServer((req, res) => {
      const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
      if (!m) {
        res.writeHead(401, {'www-authenticate': 'Bearer realm="gw"'})
        return res.end()
      }
      if (m[1] !== GOOD) {
        // A careless server that echoes what it was sent: doctor must still not print it.
        res.writeHead(401, {
          'www-authenticate': 'Bearer realm="gw", error="invalid_token"',
          'content-type': 'application/json',
        })
        return res.end(JSON.stringify({error: 'invalid_token', received: m[1]}))
      }
      send(res, 200, {user: 'ci-bot'})
    })
  })
  afterAll(() => api.close())

  // CI_GATE does not look like a secret's name: the check registers the value it reads itself.
  const config = () => writeConfig({api: {url: `${api.url}/api/v1/whoami`, tokenEnv: 'CI_GATE', prefix: 'rgw_'}})

  for (const json of [false, true]) {
    it(`a revoked token is diagnosed and never printed (${json ? 'JSON' : 'text'})`, async () => {
      const r = await runCli(['run', 'api-token', '-c', config(), ...(json ? ['--json'] : [])], {
        env: {CI_GATE: REVOKED},
      })
      expect(r.code).toBe(1)
      expect(r.stdout + r.stderr).not.toContain(REVOKED.slice(4))
      if (json) {
        const report = JSON.parse(r.stdout) as Report
        expect(report.results[0].cause?.kb).toBe('api-credential-rejected#token-invalid-revoked-expired')
        expect(report.redactions.map((x) => x.kind)).toContain('token')
      } else {
        const flat = r.stdout.replace(/\s*\n\s*(?:│\s*)*/g, ' ')
        expect(flat).toMatch(/the API sees the token rgw_… \(29 chars, fingerprint [0-9a-f]{4}\) and rejects it/)
        expect(r.stdout).toContain('doctor explain api-credential-rejected#token-invalid-revoked-expired')
      }
    })
  }

  it('a good token passes; an unset variable is named', async () => {
    const ok = await runCli(['run', 'api-token', '-c', config()], {env: {CI_GATE: GOOD}})
    expect(ok.code, ok.stdout).toBe(0)
    const unset = await runCli(['run', 'api-token', '-c', config(), '--json'], {env: {}})
    expect(unset.code).toBe(1)
    expect((JSON.parse(unset.stdout) as Report).results[0].message).toMatch(
      /^the environment variable CI_GATE is not set/,
    )
  })

  it('the sandbox shows both token faults, and --fixed is clean', async () => {
    const scoped = JSON.parse((await runCli(['demo', '--fault', 'token-under-scoped', '--json'])).stdout) as Report
    expect(scoped.results.find((x) => x.id === 'api-token')?.cause?.kb).toBe(
      'api-credential-rejected#token-under-scoped',
    )
    const newline = JSON.parse((await runCli(['demo', '--fault', 'token-trailing-newline', '--json'])).stdout) as Report
    expect(newline.results.find((x) => x.id === 'api-token')?.cause?.kb).toBe(
      'api-credential-rejected#token-value-mangled',
    )
    const fixed = JSON.parse((await runCli(['demo', '--fixed', '--json'])).stdout) as Report
    expect(fixed.results.find((x) => x.id === 'api-token')?.status).toBe('pass')
  })
})
