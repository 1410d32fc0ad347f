import type {IncomingMessage, ServerResponse} from 'node:http'
import type {FilledOutcome} from '../../src/kb/cause.js'
import {exportJWK, generateKeyPair, jwtVerify, type JWTPayload, SignJWT, createLocalJWKSet} from 'jose'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import apiToken from '../../checks/api-token.js'
import {parseChallenges} from '../../src/access/challenge.js'
import {analyseToken, sameShapeInvalid, scopesOf} from '../../src/access/token.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/**
 * Real loopback APIs: one that follows RFC 6750 to the letter (JWTs verified with jose, opaque
 * rgw_ tokens from a table), one whose 401s carry no WWW-Authenticate, one with api-test's
 * anonymous mode and X-API-Key, and 403s for scope, role, MFA step-up and policy.
 */
let rfc: TestServer
let plain: TestServer
let anon: TestServer
let keys: {sign: CryptoKey; other: CryptoKey}
const AUD = 'gate-api'
const RGW = 'rgw_4fK9s2LmQx7VbN1cR8tYwZ3pD6hJ0eAa'
const API_KEY = 'atk_live_7Hq2Lm9Xc4Vb8Nn1'
const now = () => Math.floor(Date.now() / 1000)

async function mint(claims: JWTPayload, options: {key?: CryptoKey; kid?: string} = {}): Promise<string> {
  return new SignJWT({scope: 'gate:read', ...claims})
    .setProtectedHeader({alg: 'ES256', kid: options.kid ?? 'k1', typ: 'at+jwt'})
    .setIssuer(String(claims.iss ?? `${rfc.url}/idp`))
    .setAudience((claims.aud as string) ?? AUD)
    .setIssuedAt(claims.iat ?? now())
    .setExpirationTime(claims.exp ?? now() + 300)
    .sign(options.key ?? keys.sign)
}

beforeAll(async () => {
  const a = await generateKeyPair('ES256')
  const b = await generateKeyPair('ES256')
  keys = {sign: a.privateKey, other: b.privateKey}
  const jwk = {...(await exportJWK(a.publicKey)), kid: 'k1', use: 'sig', alg: 'ES256'}
  const jwks = createLocalJWKSet({keys: [jwk]})
  const challenge = (res: ServerResponse, status: number, params = '') => {
    res.writeHead(status, {'www-authenticate': `Bearer realm="rfc"${params}`, 'content-type': 'application/json'})
    res.end(JSON.stringify({status}))
  }
  rfc = await startServer(async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/idp/.well-known/openid-configuration')
      return send(res, 200, {
        issuer: `${rfc.url}/idp`,
        authorization_endpoint: `${rfc.url}/idp/auth`,
        token_endpoint: `${rfc.url}/idp/token`,
        jwks_uri: `${rfc.url}/idp/jwks`,
      })
    if (path === '/idp/jwks') return send(res, 200, {keys: [jwk]})
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
    if (!auth) return challenge(res, 401)
    let scopes: string[]
    if (auth[1] === RGW) scopes = ['gate:read']
    else if (auth[1].startsWith('eyJ')) {
      try {
        // /skewed runs on a clock 10 minutes ahead of everyone else's.
        const {payload} = await jwtVerify(auth[1], jwks, {
          audience: AUD,
          issuer: `${rfc.url}/idp`,
          currentDate: path === '/skewed' ? new Date(Date.now() + 600_000) : undefined,
        })
        scopes = scopesOf(payload as Record<string, unknown>)
      } catch (error) {
        return challenge(
          res,
          401,
          `, error="invalid_token", error_description="${(error as Error).message.replace(/"/g, "'")}"`,
        )
      }
    } else return challenge(res, 401, ', error="invalid_token", error_description="unknown token"')
    if (path === '/deploy' && !scopes.includes('gate:write'))
      return challenge(res, 403, ', error="insufficient_scope", scope="gate:write"')
    if (path === '/admin/mfa')
      return send(res, 403, {error: 'forbidden', message: 'This action requires an MFA step-up: rerun with --mfa-code'})
    if (path === '/admin/role')
      return send(res, 403, {
        error: 'forbidden',
        message: 'role viewer cannot deploy; an admin must grant the deployer role',
      })
    if (path === '/admin/policy') return send(res, 403, {error: 'forbidden', message: 'denied by policy rule 12'})
    send(res, 200, {user: 'ci-bot', workspace: 'acme', scope: {services: ['api'], environments: ['staging']}})
  })
  // 401 without WWW-Authenticate: different bodies for "no key" and "bad key".
  plain = await startServer((req, res) => {
    const key = req.headers['x-api-key']
    if (!key) return send(res, 401, {error: 'missing api key'})
    if (key !== API_KEY) return send(res, 401, {error: 'invalid api key'})
    send(res, 200, {user: 'ci-bot'})
  })
  // api-test: X-API-Key, anonymous mode on.
  anon = await startServer((req, res) => {
    const key = req.headers['x-api-key']
    if (key === undefined) return send(res, 200, {user: 'anonymous'})
    if (key !== API_KEY) {
      res.writeHead(401, {
        'www-authenticate': 'Bearer realm="api-test", error="invalid_token"',
        'content-type': 'application/json',
      })
      return res.end('{"error":"invalid_token"}')
    }
    send(res, 200, {user: 'ci-bot'})
  })
})
afterAll(async () => {
  await Promise.all([rfc.close(), plain.close(), anon.close()])
})

async function check(
  api: Record<string, unknown>,
  env: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): Promise<FilledOutcome> {
  const ctx = makeContext({api, ...extra}, {}, env)
  try {
    return await runCheck(apiToken, ctx)
  } finally {
    await ctx.close()
  }
}

describe('api-token against an RFC 6750 server', () => {
  it('a valid opaque token: pass, no false alarm, and the token is never shown', async () => {
    const o = await check({url: `${rfc.url}/whoami`, tokenEnv: 'GATE_TOKEN', prefix: 'rgw_'}, {GATE_TOKEN: RGW})
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toMatch(/accepts the token rgw_… \(36 chars, fingerprint [0-9a-f]{4}\)/)
    expect(JSON.stringify(o)).not.toContain(RGW.slice(4))
  })

  it('a valid JWT, verified against the IdP key set: pass, with its public claims in the evidence', async () => {
    const jwt = await mint({})
    const o = await check(
      {url: `${rfc.url}/whoami`, tokenEnv: 'T', audience: AUD, requiredScopes: ['gate:read']},
      {T: jwt},
      {oidc: {issuer: `${rfc.url}/idp`}},
    )
    expect(o.status, o.message).toBe('pass')
    const token = (o.evidence?.observed as {token: {kind: string; claims: Record<string, unknown>}}).token
    expect(token.kind).toBe('jwt')
    expect(token.claims).toMatchObject({aud: AUD, scope: 'gate:read', kid: 'k1'})
    expect(JSON.stringify(o)).not.toContain(jwt.split('.')[2])
  })

  const cases: Array<
    [
      string,
      () => Promise<{api: Record<string, unknown>; env: Record<string, string>; extra?: Record<string, unknown>}>,
      string,
      RegExp,
    ]
  > = [
    [
      'the token variable is not set',
      async () => ({api: {url: `${rfc.url}/whoami`, tokenEnv: 'RACK_GATEWAY_API_TOKEN'}, env: {}}),
      'api-credential-rejected#credential-not-sent',
      /RACK_GATEWAY_API_TOKEN is not set/,
    ],
    [
      'the token variable is empty',
      async () => ({
        api: {url: `${rfc.url}/whoami`, tokenEnv: 'RACK_GATEWAY_API_TOKEN'},
        env: {RACK_GATEWAY_API_TOKEN: ''},
      }),
      'api-credential-rejected#credential-not-sent',
      /is set but empty/,
    ],
    [
      'a pasted trailing newline',
      async () => ({api: {url: `${rfc.url}/whoami`, tokenEnv: 'T'}, env: {T: `${RGW}\n`}}),
      'api-credential-rejected#token-value-mangled',
      /a newline at its end .*sent it without the whitespace and the API accepted it/,
    ],
    [
      'a literal ${VAR} that nothing expanded',
      async () => ({api: {url: `${rfc.url}/whoami`, token: '$${GATE_TOKEN}'}, env: {}}),
      'api-credential-rejected#token-value-mangled',
      /the literal text \$\{GATE_TOKEN\}/,
    ],
    [
      'a token of another kind (prefix)',
      async () => ({
        api: {url: `${rfc.url}/whoami`, tokenEnv: 'T', prefix: 'rgw_'},
        env: {T: 'convox_9aF3kL2mQ8xV1bN7cR4t'},
      }),
      'api-credential-rejected#wrong-kind-of-token',
      /does not start with rgw_/,
    ],
    [
      'a revoked opaque token',
      async () => ({
        api: {url: `${rfc.url}/whoami`, tokenEnv: 'T', prefix: 'rgw_'},
        env: {T: 'rgw_RevokedRevokedRevokedRevoked01'},
      }),
      'api-credential-rejected#token-invalid-revoked-expired',
      /sees the token rgw_… .*error="invalid_token"/,
    ],
    [
      'an expired JWT',
      async () => ({
        api: {url: `${rfc.url}/whoami`, tokenEnv: 'T'},
        env: {T: await mint({iat: now() - 7200, exp: now() - 3600})},
      }),
      'token-expired#token-really-expired',
      /the JWT expired at .*\(1 h ago\)|\(60 min ago\)/,
    ],
    [
      'a JWT not valid yet',
      async () => ({api: {url: `${rfc.url}/whoami`, tokenEnv: 'T'}, env: {T: await mint({nbf: now() + 3600})}}),
      'token-expired#nbf-in-future',
      /not valid before .*in (60 min|1 h)/,
    ],
    [
      'a JWT for another audience',
      async () => ({
        api: {url: `${rfc.url}/whoami`, tokenEnv: 'T', audience: AUD},
        env: {T: await mint({aud: 'billing-api'})},
      }),
      'api-credential-rejected#token-for-another-audience',
      /aud is "billing-api", not gate-api/,
    ],
    [
      'a JWT signed with a key the IdP does not publish',
      async () => ({
        api: {url: `${rfc.url}/whoami`, tokenEnv: 'T'},
        env: {T: await mint({}, {key: keys.other, kid: 'rotated-2'})},
        extra: {oidc: {issuer: `${rfc.url}/idp`}},
      }),
      'oidc-discovery-failed#jwks-kid-not-found',
      /kid "rotated-2"\) is not in the IdP's key set/,
    ],
    [
      'a JWT the API judges on a clock 10 minutes ahead',
      async () => ({api: {url: `${rfc.url}/skewed`, tokenEnv: 'T'}, env: {T: await mint({exp: now() + 300})}}),
      'token-expired#clock-skew-issuer-verifier',
      /by this machine's clock the token is valid/,
    ],
    [
      'a token without the scope the call needs',
      async () => ({api: {url: `${rfc.url}/deploy`, tokenEnv: 'T'}, env: {T: RGW}}),
      'api-credential-rejected#token-under-scoped',
      /the API asks for gate:write/,
    ],
    [
      'a JWT whose scope misses what the config requires',
      async () => ({
        api: {url: `${rfc.url}/deploy`, tokenEnv: 'T', requiredScopes: ['gate:write']},
        env: {T: await mint({scope: 'gate:read'})},
      }),
      'api-credential-rejected#token-under-scoped',
      /lacks scope .*gate:write.*the token has gate:read/,
    ],
    [
      'a 403 that asks for MFA step-up',
      async () => ({api: {url: `${rfc.url}/admin/mfa`, tokenEnv: 'T'}, env: {T: RGW}}),
      'forbidden-for-expected-user#mfa-step-up-required',
      /needs an MFA step-up/,
    ],
    [
      'a 403 that names a role',
      async () => ({api: {url: `${rfc.url}/admin/role`, tokenEnv: 'T'}, env: {T: RGW}}),
      'forbidden-for-expected-user#role-not-updated',
      /role viewer cannot deploy/,
    ],
    [
      'a 403 from a policy, without a challenge',
      async () => ({api: {url: `${rfc.url}/admin/policy`, tokenEnv: 'T'}, env: {T: RGW}}),
      'api-credential-rejected#role-or-policy-denied',
      /a role or policy decision: .*denied by policy/,
    ],
    [
      'the token in the wrong header',
      async () => ({api: {url: `${rfc.url}/whoami`, tokenEnv: 'T', header: 'X-API-Key'}, env: {T: RGW}}),
      'api-credential-rejected#credential-not-sent',
      /answers exactly as if no credential was sent .*does not read the token from X-API-Key/,
    ],
    [
      'a workspace the pipeline does not work in',
      async () => ({
        api: {
          url: `${rfc.url}/whoami`,
          tokenEnv: 'T',
          expect: {'$.workspace': 'globex', '$.scope.environments': 'staging'},
        },
        env: {T: RGW},
      }),
      'api-credential-rejected#wrong-workspace',
      /\$\.workspace is "acme", expected "globex"/,
    ],
    [
      'an environment outside the token scope',
      async () => ({
        api: {url: `${rfc.url}/whoami`, tokenEnv: 'T', expect: {'$.scope.environments': 'production'}},
        env: {T: RGW},
      }),
      'api-credential-rejected#token-under-scoped',
      /\$\.scope\.environments is \["staging"\], expected "production"/,
    ],
  ]
  for (const [name, make, kb, message] of cases) {
    it(name, async () => {
      const {api, env, extra} = await make()
      const o = await check(api, env, extra)
      expect(o.status, o.message).toBe('fail')
      expect(o.cause?.kb).toBe(kb)
      expect(o.message).toMatch(message)
      for (const value of Object.values(env))
        if (value.trim().length > 8) expect(JSON.stringify(o)).not.toContain(value.trim())
    })
  }
})

describe('api-token against servers that do not follow RFC 6750', () => {
  it('401s without WWW-Authenticate: a good key passes, a bad one is told apart from a missing one by the body', async () => {
    expect(
      (await check({url: `${plain.url}/v1/whoami`, tokenEnv: 'K', header: 'X-API-Key'}, {K: API_KEY})).status,
    ).toBe('pass')
    const bad = await check(
      {url: `${plain.url}/v1/whoami`, tokenEnv: 'K', header: 'X-API-Key'},
      {K: 'atk_live_0000000000000000'},
    )
    expect(bad.cause?.kb).toBe('api-credential-rejected#token-invalid-revoked-expired')
    expect(bad.message).toMatch(/no Bearer challenge \(non-standard\)/)
    const wrongHeader = await check({url: `${plain.url}/v1/whoami`, tokenEnv: 'K'}, {K: API_KEY})
    expect(wrongHeader.cause?.kb).toBe('api-credential-rejected#credential-not-sent')
  })

  it('anonymous mode: no credential is served, a wrong key is not, and doctor says it does not fall back', async () => {
    const ok = await check(
      {url: `${anon.url}/v1/whoami`, tokenEnv: 'K', header: 'X-API-Key', anonymous: true},
      {K: API_KEY},
    )
    expect(ok.status, ok.message).toBe('pass')
    expect(ok.message).toContain('with no credential it takes the anonymous path')
    const bad = await check(
      {url: `${anon.url}/v1/whoami`, tokenEnv: 'K', header: 'X-API-Key', anonymous: true},
      {K: 'atk_live_1111111111111111'},
    )
    expect(bad.cause?.kb).toBe('api-credential-rejected#bad-key-no-anonymous-fallback')
    expect(bad.message).toMatch(/serves anonymous requests .* a wrong key does not fall back to anonymous/)
  })

  it('an endpoint that needs no credential proves nothing: skipped with the reason', async () => {
    const open = await check(
      {url: `${anon.url}/v1/whoami`, tokenEnv: 'K', header: 'X-API-Key'},
      {K: 'atk_live_2222222222222222'},
    )
    // anonymous: a bad key is 401 there, so the endpoint does tell tokens apart; on a fully open one it cannot.
    expect(open.status).toBe('fail')
    const wideOpen = await startServer((_req, res) => send(res, 200, {ok: true}))
    const o = await check({url: `${wideOpen.url}/`, tokenEnv: 'K'}, {K: API_KEY})
    await wideOpen.close()
    expect(o.status).toBe('skip')
    expect(o.message).toMatch(/cannot tell a good token from a bad one/)
  })

  it('identical bare 401s for everything: says it cannot tell "ignored" from "rejected", instead of guessing', async () => {
    const opaque = await startServer((_req, res) => send(res, 401, 'Unauthorized', 'text/plain'))
    const o = await check({url: `${opaque.url}/`, tokenEnv: 'K'}, {K: API_KEY})
    await opaque.close()
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('api-credential-rejected')
    expect(o.message).toMatch(/a non-standard 401 cannot tell which/)
  })

  it('api.url that answers 404 with the token: a warning to point it at a protected endpoint', async () => {
    const o = await check({url: `${plain.url}/nope`, tokenEnv: 'K', header: 'X-API-Key'}, {K: API_KEY})
    expect(o.status, o.message).toBe('pass')
    const missing = await startServer((_req, res) => send(res, 404, {error: 'not found'}))
    const w = await check({url: `${missing.url}/v2/whoami`, tokenEnv: 'K'}, {K: API_KEY})
    await missing.close()
    expect(w.status).toBe('warn')
    expect(w.message).toMatch(/answers 404, no WWW-Authenticate with the token, which says nothing about it/)
  })

  it('nothing listening: an error, not a finding; no api section: skipped', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    expect((await check({url: `${closed.url}/whoami`, tokenEnv: 'K'}, {K: API_KEY})).status).toBe('error')
    const ctx = makeContext({target: {baseUrl: closed.url}})
    expect((await runCheck(apiToken, ctx)).status).toBe('skip')
    await ctx.close()
  })
})

describe('token and challenge parsing', () => {
  it('parses RFC 9110 challenges, including several in one header and quoted commas', () => {
    expect(
      parseChallenges('Bearer realm="example", error="invalid_token", error_description="The access token expired"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {realm: 'example', error: 'invalid_token', error_description: 'The access token expired'},
      },
    ])
    const two = parseChallenges('Basic realm="a, b", Bearer scope="read write", error=insufficient_scope')
    expect(two.map((c) => c.scheme)).toEqual(['basic', 'bearer'])
    expect(two[0].params.realm).toBe('a, b')
    expect(two[1].params).toEqual({scope: 'read write', error: 'insufficient_scope'})
    expect(parseChallenges('Negotiate abc123==')).toEqual([{scheme: 'negotiate', params: {}, token68: 'abc123=='}])
  })

  it('reads scope, scp and scopes as strings or arrays', () => {
    expect(scopesOf({scope: 'a b', scp: ['c'], scopes: 'd'})).toEqual(['a', 'b', 'c', 'd'])
  })

  it('an invalid token keeps the shape (prefix, length, JWT header and claims) but never the value', () => {
    const fake = sameShapeInvalid(RGW, 'rgw_')
    expect(fake).toMatch(/^rgw_/)
    expect(fake).toHaveLength(RGW.length)
    expect(fake).not.toBe(RGW)
    const shown = analyseToken(RGW, {prefix: 'rgw_', now: now()}).display
    expect(shown).toMatchObject({prefix: 'rgw_', length: RGW.length, kind: 'opaque'})
    expect(JSON.stringify(shown)).not.toContain(RGW.slice(4, 12))
  })
})
