import {describe, expect, it} from 'vitest'
import {InternalError} from '../../src/errors.js'
import {fingerprint, isSecretName, Redactor} from '../../src/redact/redactor.js'

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaS1ib3QiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLWJ5dGVz'

describe('redactor', () => {
  it('replaces registered secrets with a stable marker', () => {
    const r = new Redactor()
    r.addSecret('s3cr3t-value-42', 'secret')
    const out = r.redactString('a s3cr3t-value-42 and again s3cr3t-value-42')
    expect(out).not.toContain('s3cr3t-value-42')
    const marker = `‹redacted:secret:${fingerprint('s3cr3t-value-42')}›`
    expect(out).toBe(`a ${marker} and again ${marker}`)
  })

  it('catches the URL-encoded form of a secret', () => {
    const r = new Redactor()
    r.addSecret('p@ss word/=+', 'password')
    expect(r.redactString('https://x.example/?q=p%40ss%20word%2F%3D%2B')).not.toContain('p%40ss')
  })

  it('redacts JWTs, token shapes, URL userinfo and credential query parameters', () => {
    const r = new Redactor()
    const text = [
      `Authorization failed for ${JWT}`,
      'token rgw_Zx81kLmN0pQ7rStUv',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'postgres://app:hunter2-long@db:5432/app',
      'https://app.example/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&foo=bar',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    ].join('\n')
    const out = r.redactString(text)
    for (const secret of [
      JWT,
      'rgw_Zx81kLmN0pQ7rStUv',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'hunter2-long',
      'SplxlOBeZQQYbYS6WxSbIA',
      'af0ifjsldkj',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    ]) {
      expect(out).not.toContain(secret)
    }
    expect(out).toContain('foo=bar')
    expect(out).toContain('postgres://app:‹redacted:password:')
    expect(out).toContain('?code=‹redacted:param:code:')
  })

  it('keeps the auth scheme and cookie names and attributes, not their values', () => {
    const r = new Redactor()
    expect(r.redactHeader('Authorization', 'Bearer abc.def.ghi-123')).toMatch(
      /^Bearer ‹redacted:credential:[0-9a-f]{4}›$/,
    )
    const cookie = r.redactHeader('set-cookie', 'sid=s%3Aabcdef123456; Path=/; HttpOnly; Secure; SameSite=Lax')
    expect(cookie).toMatch(/^sid=‹redacted:cookie:[0-9a-f]{4}›; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
    expect(r.redactHeader('Cookie', 'a=1234567; b=7654321')).not.toMatch(/1234567|7654321/)
    expect(r.redactHeader('X-API-Key', 'key-123456')).toMatch(/^‹redacted:credential:/)
    expect(r.redactHeader('content-type', 'application/json')).toBe('application/json')
  })

  it('redacts deeply, including values under credential-named keys', () => {
    const r = new Redactor()
    const out = r.redactDeep({
      config: {clientSecret: 'abcdef-secret', tokenEnv: 'API_TOKEN', headers: {Authorization: 'Basic dXNlcjpwYXNz'}},
      list: [JWT],
    })
    expect(JSON.stringify(out)).not.toMatch(/abcdef-secret|dXNlcjpwYXNz|eyJhbGci/)
    expect(out.config.tokenEnv).toBe('API_TOKEN')
  })

  it('treats env vars with credential-like names as secrets', () => {
    const r = new Redactor()
    r.addSecretEnv({RACK_GATEWAY_API_TOKEN: 'rgw_env_value_987', HOME: '/root', APP_SECRET_KEY: 'k3y-material-xyz'})
    expect(r.redactString('rgw_env_value_987 k3y-material-xyz /root')).toMatch(
      /^‹redacted:env:\w{4}› ‹redacted:env:\w{4}› \/root$/,
    )
  })

  it('fails closed when a known secret reaches output', () => {
    const r = new Redactor()
    r.addSecret('canary-secret-0001', 'secret')
    expect(() => r.assertClean('{"msg":"canary-secret-0001"}')).toThrow(InternalError)
    expect(() => r.assertClean('{"msg":"fine"}')).not.toThrow()
    try {
      r.assertClean('canary-secret-0001')
    } catch (error) {
      expect((error as Error).message).not.toContain('canary-secret-0001')
    }
  })

  it('counts redactions by kind', () => {
    const r = new Redactor()
    r.redactString(`${JWT} ${JWT}`)
    expect(r.summary()).toEqual([{kind: 'jwt', count: 2}])
  })

  it('recognises secret names but not names of where secrets live', () => {
    for (const n of [
      'API_TOKEN',
      'clientSecret',
      'password',
      'RACK_TOKEN',
      'APP_SECRET_KEY',
      'x-api-key',
      'STRIPE_WEBHOOK_SECRET',
    ])
      expect(isSecretName(n), n).toBe(true)
    for (const n of ['tokenEnv', 'HOME', 'PATH', 'cookieName', 'secretFile', 'tokenPrefix', 'keyboard'])
      expect(isSecretName(n), n).toBe(false)
  })
})

describe('redactor edge cases', () => {
  it('redacts a password with an empty user name (redis://:pw@host)', () => {
    expect(new Redactor().redactString('redis://:s3cretpass@redis:6379/0')).toMatch(
      /^redis:\/\/:‹redacted:password:\w{4}›@redis:6379\/0$/,
    )
  })

  it('does not count redactions made for transient display', () => {
    const r = new Redactor()
    r.uncounted(() => r.redactString('ghp_abcdefghijklmnopqrstuvwxyz0123456789'))
    expect(r.summary()).toEqual([])
  })
})

describe('credential parts', () => {
  it('registers the pieces of a secret that can travel alone', () => {
    const r = new Redactor()
    r.addSecret('session=cookie-value-123456; csrf=csrf-value-654321', 'secret')
    r.addSecret('Bearer bare-token-abcdef', 'secret')
    r.addSecret(`Basic ${Buffer.from('admin:basic-pass-987').toString('base64')}`, 'secret')
    const out = r.redactString('cookie-value-123456 csrf-value-654321 bare-token-abcdef basic-pass-987')
    expect(out).not.toMatch(/cookie-value|csrf-value|bare-token|basic-pass/)
  })
})

describe('redactor hardening (support reports)', () => {
  const encodings = (v: string) => [
    v,
    encodeURIComponent(v),
    Buffer.from(v).toString('base64'),
    Buffer.from(v).toString('base64url'),
    JSON.stringify(v).slice(1, -1),
  ]

  it('replaces a known secret in its URL-encoded, JSON-escaped and base64 forms, with the same fingerprint', () => {
    const r = new Redactor()
    const value = 'pa"ss/wo rd+9'
    r.addSecret(value, 'secret', 'config field login.testUser.password')
    for (const form of encodings(value)) {
      const out = r.redactString(`before ${form} after`)
      expect(out, form).not.toContain(form)
      expect(out).toContain(`‹redacted:secret:${fingerprint(value)}›`)
    }
  })

  it('assertClean finds a secret inside a larger base64 run at any alignment, and names the field, never the value', () => {
    const r = new Redactor()
    r.addSecret('canary-basic-pw-31337', 'secret', 'config field api.token')
    for (const user of ['a', 'ab', 'abc']) {
      const header = Buffer.from(`${user}:canary-basic-pw-31337`).toString('base64')
      expect(() => r.assertClean(`Authorization: Basic ${header}`), user).toThrow(/config field api\.token \(base64\)/)
    }
    try {
      r.assertClean('<p>canary-basic-pw-31337</p>', 'report.md')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(InternalError)
      const message = (error as Error).message
      expect(message).toContain('Refusing to write report.md')
      expect(message).toContain(`fingerprint ${fingerprint('canary-basic-pw-31337')}`)
      expect(message).not.toContain('canary-basic-pw-31337')
    }
    expect(() => r.assertClean(Buffer.from('binary \x00 canary-basic-pw-31337'))).toThrow(InternalError)
    expect(() => r.assertClean('nothing to see')).not.toThrow()
  })

  it('assertClean sees the HTML-escaped form that Markdown and JUnit renderers produce', () => {
    const r = new Redactor()
    r.addSecret('a<b>&"c\'-secret', 'secret', 'env var X_SECRET')
    expect(() => r.assertClean('a&lt;b&gt;&amp;&quot;c&apos;-secret')).toThrow(/env var X_SECRET \(HTML-escaped\)/)
  })

  it('redacts credentials written out in text: JSON members, Authorization and Cookie lines, bare Bearer tokens, form bodies', () => {
    const r = new Redactor()
    const text = [
      '{"access_token":"opaque-at-123456","token_type":"Bearer","refresh_token":"opaque-rt-654321","expires_in":3600}',
      'curl -H "Authorization: Bearer opaque-hdr-777777" https://x',
      'Set-Cookie: sid=cookie-in-text-888888; Path=/',
      'then use Bearer opaque-bearer-999999 for the next call',
      'password=form-pass-123123&username=alice',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'AKIAIOSFODNN7EXAMPLE and ASIAIOSFODNN7EXAMPLE',
    ].join('\n')
    const out = r.redactString(text)
    for (const secret of [
      'opaque-at-123456',
      'opaque-rt-654321',
      'opaque-hdr-777777',
      'cookie-in-text-888888',
      'opaque-bearer-999999',
      'form-pass-123123',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'AKIAIOSFODNN7EXAMPLE',
      'ASIAIOSFODNN7EXAMPLE',
    ]) {
      expect(out, secret).not.toContain(secret)
    }
    expect(out).toContain('"token_type":"Bearer"')
    expect(out).toContain('"expires_in":3600')
    expect(out).toContain('username=alice')
  })

  it('redacts email addresses only when asked (--redact-emails)', () => {
    const text = 'signed in as alice@example.com'
    expect(new Redactor().redactString(text)).toBe(text)
    const out = new Redactor({redactEmails: true}).redactString(text)
    expect(out).not.toContain('alice@example.com')
    expect(out).toMatch(/signed in as ‹redacted:email:[0-9a-f]{4}›/)
  })
})

describe('redactor: secrets inside base64', () => {
  it('replaces a whole base64 run that carries a known secret at any offset (a Basic credential echoed by a server)', () => {
    const r = new Redactor()
    r.addSecret('cnry-embedded-token-5150', 'token', 'env var API_TOKEN')
    for (const user of ['', 'a', 'ab', 'abc', 'ci-bot']) {
      const encoded = Buffer.from(`${user}:cnry-embedded-token-5150`).toString('base64')
      const out = r.redactString(`{"basic":"${encoded}","ok":true}`)
      expect(out, user).toBe(`{"basic":"‹redacted:token:${fingerprint('cnry-embedded-token-5150')}›","ok":true}`)
      expect(() => r.assertClean(out)).not.toThrow()
    }
  })
})

describe('redactor: prose is not a credential', () => {
  it('keeps words after Bearer or Authorization: that do not look like tokens', () => {
    const r = new Redactor()
    const text =
      'the API sends no Bearer challenge; the Authorization: header is missing; Set-Cookie: theme=lightmode was set'
    expect(r.redactString(text)).toBe(text)
    expect(r.redactString('Bearer abc.def-123456789')).toMatch(/^Bearer ‹redacted:credential:[0-9a-f]{4}›$/)
  })
})
