import type {FilledOutcome} from '../../src/kb/cause.js'
import {readFileSync} from 'node:fs'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import oidcRedirectUri from '../../checks/oidc-redirect-uri.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {CLIENT_ID, type LoginEnv, startLoginEnv} from '../helpers/login-env.js'
import type {RpOptions} from '../helpers/rp-app.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

async function probe(
  options: Parameters<typeof startLoginEnv>[0] = {},
  extra: (env: LoginEnv) => Parameters<LoginEnv['config']>[0] = () => ({}),
): Promise<{outcome: FilledOutcome; env: LoginEnv}> {
  const env = await startLoginEnv(options)
  const ctx = makeContext(env.config({withUser: false, ...extra(env)}))
  try {
    return {outcome: await runCheck(oidcRedirectUri, ctx), env}
  } finally {
    await ctx.close()
    await env.stop()
  }
}

type Probe = {redirectUri: string; url: string; verdict: string; idp?: string; error?: string}
const probes = (o: FilledOutcome): Probe[] => (o.evidence?.observed as {probes: Probe[]}).probes

describe('oidc-redirect-uri against panva oidc-provider and a real relying party', () => {
  it('healthy: the app sends the configured client and callback, and the IdP shows its login', async () => {
    const {outcome, env} = await probe()
    expect(outcome.status, outcome.message).toBe('pass')
    expect(outcome.message).toBe(`the IdP accepts client ${CLIENT_ID} with the callback (${env.callback})`)
    expect(outcome.items?.find((i) => i.label === 'app login request')?.message).toContain(
      `client_id=${CLIENT_ID} redirect_uri=${env.callback}`,
    )
    // The probe used PKCE and a fresh state (redacted when the report is written).
    expect(probes(outcome)[0].url).toMatch(/code_challenge=[\w-]{43}&code_challenge_method=S256/)
    expect(probes(outcome)[0].url).toMatch(/[?&]state=[\w-]{20,}/)
  })

  it('two callbacks (web and CLI, as Rack Gateway registers): names the one the IdP rejects', async () => {
    const {outcome, env} = await probe({}, (e) => ({
      oidc: {redirectUris: [e.callback, `${e.origin}/api/v1/auth/cli/callback`]},
    }))
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('oidc-redirect-uri-rejected#callback-not-registered')
    expect(outcome.message).toBe(
      `the IdP rejects redirect_uri ${env.origin}/api/v1/auth/cli/callback (oidc-provider, invalid_redirect_uri): "invalid_redirect_uri: redirect_uri did not match any of the client's registered redirect_uris"`,
    )
    expect(outcome.items?.find((i) => i.label === env.callback)?.status).toBe('pass')
    expect(outcome.cause?.fix[0]).toContain(`Register exactly ${env.origin}/api/v1/auth/cli/callback`)
  })

  it('the app sends the callback without the trailing slash that was registered: differs in detail', async () => {
    const {outcome, env} = await probe({registered: (cb) => [`${cb}/`]}, (e) => ({
      oidc: {redirectUris: [`${e.callback}/`]},
    }))
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('oidc-redirect-uri-rejected#callback-differs-in-detail')
    expect(outcome.message).toContain(`the IdP rejects redirect_uri ${env.callback} `)
    expect(outcome.message).toContain(
      `it differs from ${env.callback}/ (the registered URL ends with a slash, the sent URL does not)`,
    )
  })

  it('the app builds its callback on another host than its public URL', async () => {
    const {outcome} = await probe({
      rp: {
        sentRedirectUri: (origin: string) => `${origin.replace('127.0.0.1', 'localhost')}/oauth/callback`,
      } as Partial<RpOptions>,
    })
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('oidc-redirect-uri-rejected#public-url-misconfigured')
    expect(outcome.message).toMatch(
      /the app builds it on http:\/\/localhost:\d+, not on its public URL http:\/\/127\.0\.0\.1:\d+/,
    )
  })

  it('the app sends another client id than the configured one', async () => {
    const {outcome} = await probe({rp: {sentClientId: 'rp-consle'}})
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('oidc-client-not-found#wrong-client-id')
    expect(outcome.message).toBe(`the app sends client_id=rp-consle, but doctor.yaml says ${CLIENT_ID}`)
    // …and the IdP confirms it does not know that client.
    expect(outcome.evidence?.notes?.join(' ')).toMatch(
      /does not know client_id rp-consle \(oidc-provider, invalid_client\)/,
    )
  })

  it('the app still sends a placeholder client id', async () => {
    const {outcome} = await probe({rp: {sentClientId: 'your-client-id'}})
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('oidc-client-not-found#placeholder-client-id')
    expect(outcome.message).toMatch(/the app sends client_id="your-client-id", which /)
  })

  it('an unknown client id in the configuration, probed directly', async () => {
    const env = await startLoginEnv()
    const ctx = makeContext({oidc: {issuer: env.idp.issuer, clientId: 'ghost-client', redirectUris: [env.callback]}})
    const outcome = await runCheck(oidcRedirectUri, ctx)
    await ctx.close()
    await env.stop()
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('oidc-client-not-found#wrong-client-id')
    expect(outcome.message).toContain(
      'the IdP does not know client_id ghost-client (oidc-provider, invalid_client): "invalid_client: client is invalid"',
    )
  })
})

describe('oidc-redirect-uri against recorded IdP error pages served on loopback', () => {
  interface Fixture {
    file: string
    idp: string
    expect: string
    status: number
    contentType: string
    code?: string
  }
  const fixtures = JSON.parse(
    readFileSync(new URL('../fixtures/idp-pages/index.json', import.meta.url), 'utf8'),
  ) as Fixture[]
  let server: TestServer
  let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => send(res, 500, 'unset', 'text/plain')
  beforeAll(async () => {
    server = await startServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        return send(res, 200, {
          issuer: server.url,
          authorization_endpoint: `${server.url}/authorize`,
          token_endpoint: `${server.url}/token`,
          jwks_uri: `${server.url}/jwks`,
        })
      }
      answer(req, res)
    })
  })
  afterAll(() => server.close())

  const expected: Record<string, {status: string; kb?: string}> = {
    'redirect-uri': {status: 'fail', kb: 'oidc-redirect-uri-rejected#callback-not-registered'},
    client: {status: 'fail', kb: 'oidc-client-not-found#wrong-client-id'},
    'client-disabled': {status: 'fail', kb: 'oidc-client-not-found#client-deleted-or-disabled'},
    'login-page': {status: 'pass'},
    other: {status: 'fail', kb: 'oidc-redirect-uri-rejected'},
    none: {status: 'warn', kb: 'oidc-redirect-uri-rejected'},
  }
  for (const f of fixtures) {
    const want =
      f.code === 'AADSTS700016'
        ? {status: 'fail', kb: 'oidc-client-not-found#wrong-tenant-or-realm'}
        : expected[f.expect]
    it(`${f.file}: ${f.idp} ${f.expect} -> ${want.kb ?? 'pass'}`, async () => {
      const body = readFileSync(new URL(`../fixtures/idp-pages/${f.file}`, import.meta.url))
      answer = (_req, res) => {
        res.writeHead(f.status, {'content-type': f.contentType})
        res.end(body)
      }
      const ctx = makeContext({
        oidc: {issuer: server.url, clientId: 'rp-console', redirectUris: ['https://app.example.com/oauth2/callback']},
      })
      const outcome = await runCheck(oidcRedirectUri, ctx)
      await ctx.close()
      expect(outcome.status, outcome.message).toBe(want.status)
      expect(outcome.cause?.kb).toBe(want.kb)
      if (f.expect !== 'login-page' && f.expect !== 'none' && f.expect !== 'other')
        expect(probes(outcome)[0].idp).toBe(f.idp)
    })
  }

  it('a redirect back to the callback with error=invalid_scope: client and callback accepted, the scope is not', async () => {
    answer = (req, res) => {
      const url = new URL(req.url ?? '/', server.url)
      res.writeHead(302, {
        location: `${url.searchParams.get('redirect_uri')}?error=invalid_scope&error_description=${encodeURIComponent('The requested scope is not allowed for this client.')}&state=${url.searchParams.get('state')}`,
      })
      res.end()
    }
    const ctx = makeContext({
      oidc: {
        issuer: server.url,
        clientId: 'rp-console',
        redirectUris: ['https://app.example.com/oauth2/callback'],
        scopes: ['openid', 'admin:all'],
      },
    })
    const outcome = await runCheck(oidcRedirectUri, ctx)
    await ctx.close()
    expect(outcome.status).toBe('warn')
    expect(outcome.cause?.kb).toBe('oidc-authorization-error#scope-not-allowed')
    expect(outcome.message).toContain(
      'sent the browser back with error=invalid_scope (The requested scope is not allowed for this client.)',
    )
    expect(probes(outcome)[0].url).toContain('scope=openid+admin%3Aall')
  })

  it('a placeholder client id in doctor.yaml is named before anything is sent', async () => {
    answer = (_req, res) => send(res, 302, '', 'text/plain')
    const ctx = makeContext({
      oidc: {issuer: server.url, clientId: 'changeme', redirectUris: ['https://app.example.com/oauth2/callback']},
    })
    const outcome = await runCheck(oidcRedirectUri, ctx)
    await ctx.close()
    expect(outcome.status).toBe('fail')
    expect(outcome.cause?.kb).toBe('oidc-client-not-found#placeholder-client-id')
    expect(outcome.message).toMatch(/^oidc\.clientId "changeme" /)
  })
})
