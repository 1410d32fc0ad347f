import type {FilledOutcome} from '../../src/kb/cause.js'
import {createServer as createHttpsServer} from 'node:https'
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import oidcDiscovery, {describeIssuerDifference} from '../../checks/oidc-discovery.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {startIdp, type TestIdp} from '../helpers/oidc.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'
import {makeCertificates} from '../helpers/tls.js'

const KEY = {
  kty: 'EC',
  crv: 'P-256',
  kid: 'k1',
  use: 'sig',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
}

async function run(config: Record<string, unknown>, http = {}): Promise<FilledOutcome> {
  const ctx = makeContext(config, http)
  try {
    return await runCheck(oidcDiscovery, ctx)
  } finally {
    await ctx.close()
  }
}

describe('oidc-discovery against panva oidc-provider', () => {
  let idp: TestIdp
  beforeAll(async () => {
    idp = await startIdp({
      clients: [{client_id: 'rp', client_secret: 'rp-secret-123456', redirect_uris: ['http://127.0.0.1:1/cb']}],
    })
  })
  afterAll(() => idp.stop())

  it('healthy: the issuer with a path matches, openid-client accepts it, the key set has a signing key', async () => {
    const o = await run({oidc: {issuer: idp.issuer, clientId: 'rp'}})
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toBe(`discovery OK: issuer ${idp.issuer}, 1 signing key(s)`)
    expect(o.evidence?.notes?.join(' ')).toContain('openid-client 6 accepts the document')
  })

  it('a trailing slash on an issuer with a path: fails and says exactly which side has it', async () => {
    const o = await run({oidc: {issuer: `${idp.issuer}/`}})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('oidc-discovery-failed#issuer-mismatch')
    expect(o.message).toBe(
      `issuer mismatch: configured ${idp.issuer}/, discovered ${idp.issuer} (the configured issuer ends with a slash, the published issuer does not)`,
    )
    // openid-client, the library most Node apps use, agrees.
    expect(o.evidence?.notes?.join(' ')).toMatch(/OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED/)
  })

  it('a wrong realm: the document is not there', async () => {
    const o = await run({oidc: {issuer: `${idp.origin}/realms/other`}})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('oidc-discovery-failed#discovery-not-json')
    expect(o.message).toContain('HTTP 404')
  })
})

describe('oidc-discovery against recorded provider behaviours', () => {
  let server: TestServer
  let doc: (base: string) => Record<string, unknown>
  let jwks: (res: ServerResponse) => void
  const reset = () => {
    doc = (base) => ({
      issuer: base,
      authorization_endpoint: `${base}/auth`,
      token_endpoint: `${base}/token`,
      jwks_uri: `${base}/jwks`,
    })
    jwks = (res) => send(res, 200, {keys: [KEY]})
  }
  beforeAll(async () => {
    reset()
    server = await startServer((req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/'
      if (url === '/moved/.well-known/openid-configuration') {
        res.writeHead(301, {location: `${server.url}/realm/.well-known/openid-configuration`})
        return res.end()
      }
      if (url === '/html/.well-known/openid-configuration')
        return send(res, 200, '<!doctype html><title>Portal</title>', 'text/html')
      if (url.endsWith('/.well-known/openid-configuration'))
        return send(res, 200, doc(`${server.url}${url.replace('/.well-known/openid-configuration', '')}`))
      if (url.endsWith('/jwks')) return jwks(res)
      send(res, 404, 'not found', 'text/plain')
    })
  })
  afterAll(() => server.close())

  const cases: Array<[string, () => void, string, 'warn' | 'fail', string, RegExp]> = [
    [
      'a slash after a bare host differs only as a string',
      () =>
        (doc = (base) => ({
          issuer: `${base}/`,
          authorization_endpoint: `${base}/auth`,
          token_endpoint: `${base}/token`,
          jwks_uri: `${base}/jwks`,
        })),
      '',
      'warn',
      'oidc-discovery-failed#issuer-mismatch',
      /only the trailing slash after the host differs.*openid-client accepts it/,
    ],
    [
      'the provider publishes its internal URL',
      () =>
        (doc = (base) => ({
          issuer: 'http://keycloak:8080/realms/app',
          authorization_endpoint: `${base}/auth`,
          token_endpoint: `${base}/token`,
          jwks_uri: `${base}/jwks`,
        })),
      '/realms/app',
      'fail',
      'oidc-discovery-failed#internal-vs-public-issuer',
      /host 127\.0\.0\.1 vs keycloak; port \d+ vs 8080/,
    ],
    [
      'a redirect, which OIDC clients do not follow',
      () => {},
      '/moved',
      'fail',
      'oidc-discovery-failed#discovery-redirected',
      /HTTP 301 to .*\/realm\/\.well-known/,
    ],
    [
      'an HTML page instead of JSON',
      () => {},
      '/html',
      'fail',
      'oidc-discovery-failed#discovery-not-json',
      /not a JSON object: "<!doctype html>/,
    ],
    [
      'no token endpoint, a relative key set URL',
      () => (doc = (base) => ({issuer: base, authorization_endpoint: `${base}/auth`, jwks_uri: '/jwks'})),
      '/partial',
      'fail',
      'oidc-discovery-failed#endpoints-missing',
      /token_endpoint is missing; jwks_uri is not an absolute URL \("\/jwks"\)/,
    ],
    [
      'an empty key set',
      () => (jwks = (res) => send(res, 200, {keys: []})),
      '/empty',
      'fail',
      'oidc-discovery-failed#jwks-unavailable',
      /is empty \(\{"keys": \[\]\}\)/,
    ],
    [
      'a key set URL that errors',
      () => (jwks = (res) => send(res, 503, 'down', 'text/plain')),
      '/down',
      'fail',
      'oidc-discovery-failed#jwks-unavailable',
      /HTTP 503, expected 200/,
    ],
    [
      'only encryption keys',
      () => (jwks = (res) => send(res, 200, {keys: [{...KEY, use: 'enc'}]})),
      '/enc',
      'fail',
      'oidc-discovery-failed#jwks-unavailable',
      /none for signatures/,
    ],
    [
      'several signing keys without kid',
      () =>
        (jwks = (res) =>
          send(res, 200, {
            keys: [
              {...KEY, kid: undefined},
              {...KEY, kid: undefined},
            ],
          })),
      '/nokid',
      'warn',
      'oidc-discovery-failed#jwks-kid-not-found',
      /2 signing keys and 2 without "kid"/,
    ],
  ]
  for (const [name, setup, path, status, kb, message] of cases) {
    it(name, async () => {
      reset()
      setup()
      const o = await run({oidc: {issuer: `${server.url}${path}`}})
      expect(o.status, o.message).toBe(status)
      expect(o.cause?.kb).toBe(kb)
      expect(o.message).toMatch(message)
    })
  }

  it('plain http on a host that is not loopback: a warning that libraries refuse it', async () => {
    reset()
    const issuer = `http://idp.example.test:${server.port}/realms/app`
    doc = () => ({
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
    })
    const o = await run({oidc: {issuer}, http: {resolve: {'idp.example.test': '127.0.0.1'}}})
    expect(o.status, o.message).toBe('warn')
    expect(o.cause?.kb).toBe('oidc-discovery-failed#plain-http-rejected')
  })

  it('nothing listening: unreachable, with the reason', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    const o = await run({oidc: {issuer: `${closed.url}/realms/app`}})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('oidc-discovery-failed#discovery-unreachable')
    expect(o.message).toMatch(/connection refused/)
  })
})

describe('oidc-discovery over https', () => {
  it('an https issuer that publishes http endpoints (the provider does not know it is behind TLS)', async () => {
    const certs = makeCertificates()
    let base = ''
    const server = createHttpsServer({key: certs.key, cert: certs.cert}, (_req, res) => {
      const http = base.replace('https:', 'http:')
      send(res, 200, {
        issuer: base,
        authorization_endpoint: `${http}/auth`,
        token_endpoint: `${http}/token`,
        jwks_uri: `${base}/jwks`,
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `https://localhost:${(server.address() as AddressInfo).port}`
    try {
      // localhost is loopback, so name the provider idp.example.test and pin it to 127.0.0.1 for this test.
      const named = base.replace('localhost', 'idp.example.test')
      base = named
      const o = await run({oidc: {issuer: named}, http: {resolve: {'idp.example.test': '127.0.0.1'}}}, {insecure: true})
      expect(o.status, o.message).toBe('fail')
      expect(o.cause?.kb).toBe('oidc-discovery-failed#plain-http-rejected')
      expect(o.message).toMatch(
        /the issuer is https, but the document publishes plain http URLs \(authorization_endpoint, token_endpoint\)/,
      )
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('describes differences in scheme, host, port, path and case', () => {
    expect(
      describeIssuerDifference('http://idp.example.com/realms/app', 'https://idp.example.com/realms/app').detail,
    ).toContain('scheme http vs https')
    expect(
      describeIssuerDifference('https://idp.example.com/realms/App', 'https://idp.example.com/realms/app').detail,
    ).toContain('path case /realms/App vs /realms/app')
    expect(
      describeIssuerDifference('https://idp.example.com/realms/a', 'https://idp.example.com/realms/b').detail,
    ).toContain('path /realms/a vs /realms/b')
  })
})
