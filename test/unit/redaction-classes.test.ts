import {describe, expect, it} from 'vitest'
import {isCredentialName, isSecretEnvName} from '../../src/redact/names.js'
import {Redactor} from '../../src/redact/redactor.js'

/**
 * Redaction by class, not by list: each case is a secret in a place a server may put it, with
 * no known value behind it. The value must go; the text around it (names, structure) stays.
 */
const PEM_BODY =
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu'
const pem = (label = 'PRIVATE KEY', body = PEM_BODY) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`
const JWT = `eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.${Buffer.from('{"sub":"u-42","scope":"admin"}').toString('base64url')}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`

const cases: Array<{name: string; body: string; contentType?: string; secret: string; keep?: string[]}> = [
  // Structure: credential names in every syntax, any case style.
  {
    name: 'JSON member admin_password',
    body: '{"user":"root","admin_password":"Tr0ub4dor&3x"}',
    secret: 'Tr0ub4dor&3x',
    keep: ['"user":"root"', 'admin_password'],
  },
  {
    name: 'JSON member agentSecret (camelCase)',
    body: '{"agent":{"agentSecret":"a9f-agent-zz"}}',
    secret: 'a9f-agent-zz',
    keep: ['agentSecret'],
  },
  {
    name: 'registration_access_token',
    body: '{"client_id":"c1","registration_access_token":"rat.0123456789"}',
    secret: 'rat.0123456789',
    keep: ['"client_id":"c1"'],
  },
  {
    name: 'license_key',
    body: '{"license_key":"LIC-7777-8888-9999","plan":"enterprise"}',
    secret: 'LIC-7777-8888-9999',
    keep: ['"plan":"enterprise"'],
  },
  {name: 'kebab x-api-key in JSON', body: '{"x-api-key": "kq81hd7aa1"}', secret: 'kq81hd7aa1'},
  {name: 'UPPER AUTH_TOKEN', body: '{"AUTH_TOKEN":"zz-auth-token-1"}', secret: 'zz-auth-token-1'},
  {name: 'db_pass', body: '{"db_pass":"correct horse"}', secret: 'correct horse'},
  {
    name: 'escaped JSON inside JSON',
    body: '{"payload":"{\\"client_secret\\":\\"nested-cs-42\\"}"}',
    secret: 'nested-cs-42',
  },
  {
    name: 'HTML-escaped JSON in an attribute',
    body: '<div data-config="{&quot;apiKey&quot;:&quot;k-html-9911&quot;}"></div>',
    contentType: 'text/html',
    secret: 'k-html-9911',
  },
  {
    name: 'YAML key',
    body: 'db:\n  host: db.internal\n  password: hunter-two-yaml\n',
    contentType: 'application/yaml',
    secret: 'hunter-two-yaml',
    keep: ['host: db.internal'],
  },
  {
    name: 'YAML block scalar',
    body: 'signing_secret: |\n  line-one-secret\n  line-two-secret\nother: ok\n',
    contentType: 'text/yaml',
    secret: 'line-two-secret',
    keep: ['other: ok'],
  },
  {
    name: 'env dump line',
    body: 'PATH=/usr/bin\nRACK_TOKEN=rack-env-0042\nHOME=/root\n',
    contentType: 'text/plain',
    secret: 'rack-env-0042',
    keep: ['PATH=/usr/bin', 'HOME=/root'],
  },
  {
    name: 'export with quotes',
    body: "export DATABASE_PASSWORD='pa ss w0rd'\n",
    contentType: 'text/plain',
    secret: 'pa ss w0rd',
  },
  {
    name: '502 page echoing env',
    body: '<h1>502 Bad Gateway</h1><pre>upstream env: RACK_TOKEN=rk-in-502-page RACK_HOST=rack.internal</pre>',
    contentType: 'text/html',
    secret: 'rk-in-502-page',
    keep: ['RACK_HOST=rack.internal'],
  },
  {
    name: 'query string session_code',
    body: 'https://idp/login-actions/authenticate?session_code=sc-12345abc&execution=e1&tab_id=t1',
    secret: 'sc-12345abc',
    keep: ['execution=e1'],
  },
  {
    name: 'fragment tokens',
    body: 'https://app/cb#access_token=at-frag-123&token_type=Bearer&expires_in=3600',
    secret: 'at-frag-123',
    keep: ['token_type=Bearer', 'expires_in=3600'],
  },
  {
    name: 'form body',
    body: 'grant_type=password&username=alice&password=form-pw-99',
    contentType: 'application/x-www-form-urlencoded',
    secret: 'form-pw-99',
    keep: ['username=alice'],
  },
  {
    name: 'hidden input, value first',
    body: '<form><input value="cs-hidden-1" type="hidden" name="client_secret"></form>',
    contentType: 'text/html',
    secret: 'cs-hidden-1',
  },
  {
    name: 'hidden input, unquoted',
    body: '<input type=hidden name=csrf_token value=csrf-unq-777>',
    contentType: 'text/html',
    secret: 'csrf-unq-777',
  },
  {
    name: 'password input with a value',
    body: "<input type='password' name='pw' value='typed-pw-1'>",
    contentType: 'text/html',
    secret: 'typed-pw-1',
  },
  {
    name: 'meta csrf-token',
    body: '<meta name="csrf-token" content="meta-csrf-abc123">',
    contentType: 'text/html',
    secret: 'meta-csrf-abc123',
  },
  {
    name: 'inline script config',
    body: '<script>window.__CONFIG__ = {apiKey: "script-key-55", region: "eu-west-1"}</script>',
    contentType: 'text/html',
    secret: 'script-key-55',
    keep: ['eu-west-1'],
  },
  {
    name: 'XML element',
    body: '<creds><wsse:Password>xml-pw-31</wsse:Password><user>bob</user></creds>',
    contentType: 'application/xml',
    secret: 'xml-pw-31',
    keep: ['<user>bob</user>'],
  },
  {
    name: 'Prometheus label',
    body: 'up{job="api",token="prom-label-tok1"} 1',
    contentType: 'text/plain',
    secret: 'prom-label-tok1',
    keep: ['job="api"'],
  },
  {
    name: 'header echoed in a page',
    body: 'Request headers:\nX-Api-Key: echoed-key-8\nAccept: */*',
    contentType: 'text/plain',
    secret: 'echoed-key-8',
    keep: ['Accept: */*'],
  },
  {
    name: 'Authorization echoed with its scheme',
    body: '{"echo":{"authorization":"Bearer opaque-echo-token"}}',
    secret: 'opaque-echo-token',
    keep: ['Bearer '],
  },
  {
    name: 'cookie header echoed',
    body: '{"cookie":"sid=sid-val-1234; theme=dark"}',
    secret: 'sid-val-1234',
    keep: ['sid='],
  },
  // Sibling and parent structure.
  {
    name: 'pod env name/value pair',
    body: '{"env":[{"name":"RACK_TOKEN","value":"pod-env-token-1"},{"name":"LOG_LEVEL","value":"debug"}]}',
    secret: 'pod-env-token-1',
    keep: ['"value":"debug"'],
  },
  {
    name: 'private JWK members',
    body: '{"keys":[{"kty":"RSA","kid":"k1","n":"0vx7agoebG","e":"AQAB","d":"X4cTteJY_gn4FYPsXB8rdXix5vwsg1FLN5E3EaG6RJoVH-HLLKD9"}]}',
    secret: 'X4cTteJY_gn4FYPsXB8rdXix5vwsg1FLN5E3EaG6RJoVH-HLLKD9',
    keep: ['"kid":"k1"', '"e":"AQAB"'],
  },
  {
    name: 'Kubernetes Secret data',
    body: '{"kind":"Secret","metadata":{"name":"db"},"data":{"url":"cG9zdGdyZXM6Ly9kYg==","tls.crt":"Q0VSVERBVEE="}}',
    secret: 'cG9zdGdyZXM6Ly9kYg==',
    keep: ['"name":"db"', 'tls.crt'],
  },
  {
    name: 'Kubernetes Secret in YAML',
    body: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\nstringData:\n  config.json: yaml-string-data-1\n',
    contentType: 'application/yaml',
    secret: 'yaml-string-data-1',
    keep: ['name: api'],
  },
  {
    name: 'secrets map',
    body: '{"secrets":{"stripe":"map-secret-val-1","user":"ops"}}',
    secret: 'map-secret-val-1',
    keep: ['"user":"ops"'],
  },
  {
    name: 'percent-encoded JSON in a query string',
    body: 'GET /cb?payload=%7B%22user%22%3A%22bob%22%2C%22password%22%3A%22pct-enc-pw-77%22%7D&x=1',
    contentType: 'text/plain',
    secret: 'pct-enc-pw-77',
    keep: ['x=1'],
  },
  {
    name: 'form-encoded env dump',
    body: 'dump=DB_PASSWORD%3Dform-env-pw-55%0AHOME%3D%2Froot',
    contentType: 'application/x-www-form-urlencoded',
    secret: 'form-env-pw-55',
  },
  {
    name: 'header list as flat pairs (rawHeaders)',
    body: '{"rawHeaders":["Host","api.internal","Authorization","Bearer raw-hdr-token-9","Accept","*/*"]}',
    secret: 'raw-hdr-token-9',
    keep: ['api.internal'],
  },
  {
    name: 'textarea holding a key',
    body: '<textarea name="private_key">textarea-key-material-1</textarea>',
    contentType: 'text/html',
    secret: 'textarea-key-material-1',
  },
  {
    name: '.NET appSettings pair',
    body: '<appSettings><add key="ClientSecret" value="dotnet-cs-31"/></appSettings>',
    contentType: 'application/xml',
    secret: 'dotnet-cs-31',
  },
  {
    name: 'fragment with a vendor name for a token',
    body: 'redirected to https://app/#at=frag-at-0042xy&token_type=Bearer',
    contentType: 'text/plain',
    secret: 'frag-at-0042xy',
    keep: ['token_type=Bearer'],
  },
  {
    name: 'CLI flag with a space',
    body: 'ps: /usr/bin/agent --token s3cr3t-flag-tok --verbose',
    contentType: 'text/plain',
    secret: 's3cr3t-flag-tok',
    keep: ['--verbose'],
  },
  {
    name: 'column table (aws configure list)',
    body: 'SessionToken    FwoGZXIvYXdzEJr0123456789abcdefXYZ\nregion  us-east-1',
    contentType: 'text/plain',
    secret: 'FwoGZXIvYXdzEJr0123456789abcdefXYZ',
    keep: ['us-east-1'],
  },
  {
    name: 'a word after an assigning connector in prose',
    body: 'the old passphrase was dekf-quiet-river-stone and it is gone',
    contentType: 'text/plain',
    secret: 'dekf-quiet-river-stone',
  },
  {
    name: 'a user then the credential after "basic auth"',
    body: '401 from prometheus (basic auth evidence-bot / 2k1HqT9zXc4LmN7pRs0v)',
    contentType: 'text/plain',
    secret: '2k1HqT9zXc4LmN7pRs0v',
    keep: ['evidence-bot'],
  },
  // Shapes.
  {
    name: 'PEM plain',
    body: `key:\n${pem()}\n`,
    contentType: 'text/plain',
    secret: 'C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  },
  {
    name: 'PEM collapsed to spaces',
    body: `error parsing ${pem().replace(/\n/g, ' ')} at line 1`,
    contentType: 'text/plain',
    secret: 'C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
    keep: ['at line 1'],
  },
  {
    name: 'PEM escaped in JSON (GCP service account)',
    body: JSON.stringify({type: 'service_account', private_key_id: 'abc123', private_key: pem()}),
    secret: 'C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
    keep: ['service_account'],
  },
  {
    name: 'EC PEM cut off by the body cap',
    body: `-----BEGIN EC PRIVATE KEY-----\n${PEM_BODY}`,
    contentType: 'text/plain',
    secret: 'C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  },
  {
    name: 'OpenSSH key',
    body: pem(
      'OPENSSH PRIVATE KEY',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDsomeOpenSSHkeymaterial0123456789abcdefg',
    ),
    contentType: 'text/plain',
    secret: 'QyNTUxOQAAACDsomeOpenSSHkeymaterial0123456789abcdefg',
  },
  {
    name: 'base64 of a PEM (kubeconfig client-key-data)',
    body: `client-key-data: ${Buffer.from(pem()).toString('base64')}`,
    contentType: 'text/plain',
    secret: Buffer.from(pem()).toString('base64').slice(20, 60),
  },
  {
    name: 'AWS pair in CSV',
    body: 'Access key ID,Secret access key\nAKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
    contentType: 'text/csv',
    secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
  {
    name: 'AWS secret next to its key id in prose',
    body: 'using AKIAIOSFODNN7EXAMPLE with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    contentType: 'text/plain',
    secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
  {
    name: 'Azure connection string',
    body: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4+/abc==;EndpointSuffix=core.windows.net',
    contentType: 'text/plain',
    secret: 'Zm9vYmFyYmF6cXV4+/abc==',
    keep: ['AccountName=acct'],
  },
  {
    name: 'Azure SAS signature',
    body: 'https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=sasSig%2Babc123def',
    contentType: 'text/plain',
    secret: 'sasSig%2Babc123def',
    keep: ['sv=2022-11-02'],
  },
  {
    name: 'GitHub fine-grained token',
    body: 'token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
    contentType: 'text/plain',
    secret: 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
  },
  {
    name: 'GitLab token',
    body: 'glpat-AbCdEfGhIjKlMnOpQrSt',
    contentType: 'text/plain',
    secret: 'glpat-AbCdEfGhIjKlMnOpQrSt',
  },
  {
    name: 'Slack webhook URL',
    body: 'posting to https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX',
    contentType: 'text/plain',
    secret: 'XXXXXXXXXXXXXXXXXXXXXXXX',
  },
  {
    name: 'Stripe restricted key',
    body: 'rk_live_51HCOuAAAAAAAAAAAAAAAAAAAA',
    contentType: 'text/plain',
    secret: 'rk_live_51HCOuAAAAAAAAAAAAAAAAAAAA',
  },
  {
    name: 'SendGrid key',
    body: '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',
    contentType: 'text/plain',
    secret: 'TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr',
  },
  {
    name: 'Twilio auth token by name',
    body: 'TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef',
    contentType: 'text/plain',
    secret: '0123456789abcdef0123456789abcdef',
  },
  {
    name: 'npm token',
    body: '//registry.npmjs.org/:_authToken=npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789',
    contentType: 'text/plain',
    secret: 'npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789',
  },
  {
    name: 'Vault token',
    body: 'X-Vault-Token: hvs.CAESIJlU3xZFkR3oKk7Ja0123456789abcdef',
    contentType: 'text/plain',
    secret: 'hvs.CAESIJlU3xZFkR3oKk7Ja0123456789abcdef',
  },
  {name: 'JWT in a log line', body: `verify failed for ${JWT}`, contentType: 'text/plain', secret: JWT.split('.')[1]!},
  {
    name: 'userinfo in a stack trace',
    body: 'psycopg2.OperationalError: could not connect to postgres://app:pg-pass-77@db:5432/app',
    contentType: 'text/plain',
    secret: 'pg-pass-77',
    keep: ['@db:5432/app'],
  },
  {
    name: 'a Basic credential echoed without its header name',
    body: `{"received":"Basic ${Buffer.from('ci-bot:echoed-basic-pw-1').toString('base64')}"}`,
    secret: Buffer.from('ci-bot:echoed-basic-pw-1').toString('base64'),
    keep: ['Basic '],
  },
  {
    name: 'random run after a credential word',
    body: 'the signing key is 8f3aB91cD4e5F6a7b8C9d0E1f2 (rotate it)',
    contentType: 'text/plain',
    secret: '8f3aB91cD4e5F6a7b8C9d0E1f2',
    keep: ['(rotate it)'],
  },
]

describe('redaction by class: secrets a server sends, no known value behind them', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = new Redactor()
      const out = r.redactBody(c.body, c.contentType ?? 'application/json')
      expect(out, out).not.toContain(c.secret)
      expect(out).toMatch(/‹redacted:[^›]+:[0-9a-f]{4}›/)
      for (const k of c.keep ?? []) expect(out, `kept ${k}`).toContain(k)
      // Idempotent: a saved report read back (doctor analyze, verify --before) is redacted again unchanged.
      expect(new Redactor().redactBody(out, c.contentType ?? 'application/json')).toBe(out)
    })
  }

  it('covers at least 50 classes', () => expect(cases.length).toBeGreaterThanOrEqual(50))

  it('learns a structural secret so a later echo of it elsewhere is redacted too, and the fail-closed scan knows it', () => {
    const r = new Redactor()
    r.redactBody('{"env":[{"name":"UPSTREAM_API_KEY","value":"learnt-value-0001"}]}', 'application/json')
    expect(r.redactString('later: learnt-value-0001 echoed')).not.toContain('learnt-value-0001')
    expect(() => r.assertClean('learnt-value-0001')).toThrow(/a credential a server sent/)
  })

  it('an authentication challenge: a random-looking run anywhere in it is taken for a credential', () => {
    const out = new Redactor().redactHeader(
      'WWW-Authenticate',
      'Bearer realm="api", error="invalid_token", error_description="expired; renew with Kq81hdZ7aa1XmP0wLr5t"',
    )
    expect(out).not.toContain('Kq81hdZ7aa1XmP0wLr5t')
    expect(out).toContain('error="invalid_token"')
  })

  it('redact.names and redact.patterns from doctor.yaml extend both classes', () => {
    const r = new Redactor({
      names: ['rp_internal'],
      patterns: [{pattern: 'ACME-[A-Z0-9]{12}'}, {pattern: 'ref=(?<secret>[a-z0-9]{10})', kind: 'ticket'}],
    })
    const out = r.redactString('{"rp_internal":"v-123"} ACME-ABCDEF123456 ref=abcdef1234 done')
    expect(out).not.toMatch(/v-123|ACME-ABCDEF123456|abcdef1234/)
    expect(out).toMatch(/ref=‹redacted:ticket:[0-9a-f]{4}› done/)
  })
})

/** Values that must survive: redacting them would hide the clue a support engineer needs. */
const survivors: Array<{name: string; text: string; contentType?: string}> = [
  {name: 'working directory in PWD', text: 'PWD=/home/ci/work/doctor-run'},
  {name: 'OLDPWD', text: 'OLDPWD=/home/ci'},
  {name: 'a path', text: '/var/lib/doctor/reports/2026-12-03/report.json'},
  {name: 'a key file path', text: 'TLS key file: /etc/ssl/private/server.key'},
  {name: 'host and port', text: 'connect to db.internal.example.com:5432 failed'},
  {name: 'loopback URL', text: 'http://127.0.0.1:43121/api/v1/health'},
  {name: 'cookie name', text: 'Set-Cookie name sb_session was withheld'},
  {name: 'header names', text: 'X-Request-Id, X-Forwarded-Proto, WWW-Authenticate'},
  {name: 'status codes', text: 'HTTP 401 then 403 then 502'},
  {name: 'token_type', text: '{"token_type":"Bearer","expires_in":3600}'},
  {name: 'kid', text: '{"kid":"2024-rotation-key-01","alg":"RS256"}'},
  {name: 'key_id', text: '{"key_id":"k-7a9e","keyId":"k-7a9f"}'},
  {name: 'public_key', text: '{"public_key":"ssh-ed25519-fingerprint-SHA256:abc"}'},
  {name: 'token_endpoint', text: '{"token_endpoint":"https://idp.example.com/oauth/token"}'},
  {name: 'session_timeout', text: '{"session_timeout":"30m","password_policy":"strong"}'},
  {name: 'secret_count', text: '{"secret_count":12,"tokenUrl":"https://x.example/t"}'},
  {name: 'region', text: 'region us-east-1, zone eu-west-1b'},
  {name: 'request id', text: 'request_id=4f6c2a90-9a1e-4c3f-8f0e-7d2a1b3c4d5e'},
  {name: 'trace id', text: 'traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'},
  {name: 'git SHA', text: 'deployed revision 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f'},
  {name: 'image digest', text: 'image sha256:9b2a7c4e1f0d3b6a8c5e2f1d0a3b6c9e8f7d4a1b2c3d4e5f6a7b8c9d0e1f2a3b4'},
  {name: 'ISO timestamp', text: 'last heartbeat 2026-12-03T18:25:23.123Z'},
  {name: 'user name', text: '{"username":"ci-bot","user":"alice"}'},
  {name: 'email (without --redact-emails)', text: 'signed in as alice@example.com'},
  {name: 'metric and labels', text: 'http_requests_total{service="checkout",namespace="prod"}'},
  {name: 'scopes', text: '{"scope":"openid profile email","scopes":["gate:read"]}'},
  {
    name: 'a list of grant types (not a header list)',
    text: '{"grant_types_supported":["authorization_code","refresh_token"],"tokens":[],"pair":["token","password"]}',
    contentType: 'application/json',
  },
  {
    name: 'OIDC discovery members',
    text: '{"token_endpoint_auth_methods_supported":["client_secret_basic"],"id_token_signing_alg_values_supported":["RS256"]}',
  },
  {name: 'client id', text: 'client_id=sandbox-console&response_type=code&scope=openid'},
  {name: 'redirect uri', text: 'redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback'},
  {name: 'prose about tokens', text: 'The token is missing or expired; the password was not accepted.'},
  {name: 'prose about keys', text: 'Rotate the signing key and restart the service.'},
  {name: 'KB ids', text: 'session-cookie-rejected#samesite-none-without-secure'},
  {name: 'status field', text: '{"status":"pass","state":"active","code":"E_TIMEOUT"}'},
  {name: 'error field', text: 'error=invalid_token&error_description=The+access+token+expired'},
  {name: 'numbers', text: '{"pass":12,"fail":0,"token_count":3}'},
  {name: 'placeholders', text: 'password=******** token=${API_TOKEN} secret=<your-secret>'},
  {name: 'Kubernetes object names', text: '{"metadata":{"name":"api-7d9f8b6c5-x2k4q","namespace":"prod"}}'},
  {name: 'Argo CD app', text: '{"app":"checkout","project":"payments","sync":"Synced"}'},
  {name: 'UUID as id', text: '{"id":"550e8400-e29b-41d4-a716-446655440000"}'},
  {name: 'version', text: 'doctor/0.1.0 node v20.20.2 linux 6.1.0'},
  {name: 'Content-Type', text: 'Content-Type: application/json; charset=utf-8'},
  {name: 'cache headers', text: 'Cache-Control: no-store, max-age=0'},
  {name: 'a cookie attribute line', text: 'Path=/; HttpOnly; Secure; SameSite=Lax'},
  {name: 'a bare Bearer challenge', text: 'Bearer realm="api"'},
  {name: '"Basic" in prose', text: 'Basic authentication is disabled; use Basic realm="api"'},
  {
    name: 'an auth scheme name',
    text: 'WWW-Authenticate: Bearer realm="api", error="insufficient_scope", scope="gate:read"',
  },
]

describe('over-redaction is a defect too: context a support engineer needs survives', () => {
  for (const s of survivors) {
    it(s.name, () => {
      const r = new Redactor()
      r.addSecretEnv({PWD: '/home/ci/work/doctor-run', OLDPWD: '/home/ci', HOME: '/home/ci'})
      expect(r.redactBody(s.text, s.contentType ?? 'text/plain')).toBe(s.text)
    })
  }

  it('has at least 40 survivors', () => expect(survivors.length).toBeGreaterThanOrEqual(40))
})

describe('credential names are words, not substrings', () => {
  it('names that hold credentials', () => {
    for (const n of [
      'admin_password',
      'agentSecret',
      'registration_access_token',
      'license_key',
      'LICENSE_KEY',
      'x-api-key',
      'X-Api-Key',
      'apiKey',
      'APIKEY',
      'client-secret',
      'privateKey',
      'refreshToken',
      'sessionId',
      'session_code',
      'db_pass',
      'webhook_signing_secret',
      'AUTH_TOKEN',
      'csrfmiddlewaretoken',
      'authenticity_token',
      'AccountKey',
      'SharedAccessKey',
      'aws_secret_access_key',
      'device_code',
      'secret_id',
      'DB_PWD',
      'passphrase',
      'user[password]',
    ]) {
      expect(isCredentialName(n), n).toBe(true)
    }
  })

  it('names that describe a credential or only contain the letters', () => {
    for (const n of [
      'PWD',
      'OLDPWD',
      'keyboard',
      'monkey',
      'token_endpoint',
      'token_type',
      'tokenUrl',
      'session_timeout',
      'password_policy',
      'secret_count',
      'keyId',
      'key_id',
      'kid',
      'public_key',
      'publishableKey',
      'tokenEnv',
      'secretFile',
      'cookieName',
      'sessionCookie',
      'cookiesSent',
      'has_password',
      'passed',
      'authority',
      'oauth',
      'error_code',
      'status_code',
      'country_code',
      'secretary',
      'tokenizer',
      'code',
      'state',
      'nonce',
    ]) {
      expect(isCredentialName(n), n).toBe(false)
    }
  })

  it('one-time OAuth values count only as query or form parameters', () => {
    for (const n of ['code', 'state', 'nonce', 'sig', 'key', 'code_verifier'])
      expect(isCredentialName(n, {parameter: true}), n).toBe(true)
  })

  it('shell variables are never secrets', () => {
    for (const n of ['PWD', 'OLDPWD', 'HOME', 'XDG_SESSION_ID', 'SSH_AUTH_SOCK'])
      expect(isSecretEnvName(n), n).toBe(false)
    for (const n of ['RACK_TOKEN', 'STRIPE_WEBHOOK_SECRET', 'DB_PWD', 'GITHUB_TOKEN'])
      expect(isSecretEnvName(n), n).toBe(true)
  })
})
