import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadConfigFile, parseConfigText, resolveConfigPath, validateConfig} from '../../src/config/load.js'
import {configJsonSchema} from '../../src/config/schema.js'
import {interpolate} from '../../src/config/interpolate.js'
import {ConfigError} from '../../src/errors.js'

const IDS = ['clock-skew', 'readiness']

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

const text = (e: ConfigError) => [e.message, ...e.details].join('\n')

describe('config loading', () => {
  it('accepts a full config and resolves defaults', () => {
    const loaded = parseConfigText(
      `target:\n  baseUrl: https://app.example.com\noidc:\n  issuer: https://idp.example.com/realms/app\nreadiness:\n  endpoints:\n    - /readyz\n    - url: https://app.example.com/healthz\n      name: live\nchecks:\n  clock-skew:\n    enabled: false\n`,
      'doctor.yaml',
      IDS,
      {},
    )
    expect(loaded.config.target?.baseUrl).toBe('https://app.example.com')
    expect(loaded.config.readiness?.endpoints).toHaveLength(2)
    expect(loaded.config.checks?.['clock-skew']?.enabled).toBe(false)
  })

  it('reports malformed YAML with line and column', () => {
    const e = errorOf(() => parseConfigText('target:\n  baseUrl: [unclosed\nreadiness: {\n', 'doctor.yaml', IDS, {}))
    expect(text(e)).toMatch(/doctor\.yaml:\d+:\d+/)
    expect(e.message).toMatch(/not valid YAML/)
  })

  it('names the key path and position of a wrong type', () => {
    const e = errorOf(() => parseConfigText('clock:\n  samples: "five"\n', 'doctor.yaml', IDS, {}))
    expect(text(e)).toContain('doctor.yaml:2:12 clock.samples: expected number, got string "five"')
  })

  it('rejects unknown keys with a suggestion', () => {
    const e = errorOf(() =>
      parseConfigText('target:\n  baseURL: https://x.example\nreadines: {}\n', 'doctor.yaml', IDS, {}),
    )
    const t = text(e)
    expect(t).toContain('target.baseURL: unknown key "baseURL". Did you mean "baseUrl"?')
    expect(t).toContain('readines: unknown key "readines". Did you mean "readiness"?')
    expect(t).toMatch(/doctor\.yaml:2:3 target\.baseURL/)
  })

  it('rejects unknown check ids under checks with a suggestion', () => {
    const e = errorOf(() => parseConfigText('checks:\n  clock-skw: {enabled: false}\n', 'doctor.yaml', IDS, {}))
    expect(text(e)).toContain('Did you mean "clock-skew"?')
  })

  it('says when a URL is not a URL', () => {
    const e = errorOf(() => validateConfig({target: {baseUrl: 'htp//app'}}, IDS, {}))
    expect(text(e)).toContain('target.baseUrl: "htp//app" is not an absolute http:// or https:// URL')
  })

  it('needs target.baseUrl for relative endpoints', () => {
    const e = errorOf(() => validateConfig({readiness: {endpoints: ['/readyz']}}, IDS, {}))
    expect(text(e)).toContain('needs target.baseUrl')
  })

  it('interpolates ${VAR} and ${VAR:-default}', () => {
    const loaded = validateConfig({target: {baseUrl: '${APP_URL}', name: '${NAME:-staging}'}}, IDS, {
      APP_URL: 'https://app.example.com',
    })
    expect(loaded.config.target).toEqual({baseUrl: 'https://app.example.com', name: 'staging'})
    expect(loaded.envRefs.map((r) => r.name)).toEqual(['APP_URL', 'NAME'])
  })

  it('keeps $$ as a literal dollar', () => {
    expect(interpolate({a: 'cost $$5 ${X}'}, {X: 'y'}).value).toEqual({a: 'cost $5 y'})
  })

  it('reports unset and empty env vars by name instead of keeping the literal', () => {
    const e = errorOf(() =>
      validateConfig(
        {
          target: {baseUrl: '${APP_URL}'},
          readiness: {endpoints: [{url: '/r', headers: {Authorization: 'Bearer ${API_TOKEN}'}}]},
        },
        IDS,
        {API_TOKEN: ''},
      ),
    )
    const t = text(e)
    expect(t).toContain('target.baseUrl: ${APP_URL} is unset')
    expect(t).toContain('readiness.endpoints[0].headers.Authorization: ${API_TOKEN} is empty')
    expect(t).not.toContain('${APP_URL}"')
  })

  it('collects secrets from writeOnly fields and secret-named env vars', () => {
    const loaded = validateConfig(
      {
        target: {baseUrl: 'https://a.example'},
        readiness: {endpoints: [{url: '/r', headers: {'X-Api-Key': 'inline-key-123456'}}]},
        http: {headers: {Authorization: 'Bearer ${RGW_TOKEN}'}},
      },
      IDS,
      {RGW_TOKEN: 'rgw_live_abcdef123456'},
    )
    const values = loaded.secrets.map((s) => s.value)
    expect(values).toContain('inline-key-123456')
    expect(values).toContain('Bearer rgw_live_abcdef123456')
    expect(values).toContain('rgw_live_abcdef123456')
  })

  it('finds the file from -c, DOCTOR_CONFIG, then ./doctor.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-cfg-'))
    expect(resolveConfigPath(undefined, {}, dir)).toBeUndefined()
    writeFileSync(join(dir, 'doctor.yaml'), 'target:\n  baseUrl: https://a.example\n')
    writeFileSync(join(dir, 'other.json'), '{"target": {"baseUrl": "https://b.example"}}')
    expect(resolveConfigPath(undefined, {}, dir)).toBe(join(dir, 'doctor.yaml'))
    expect(resolveConfigPath(undefined, {DOCTOR_CONFIG: 'other.json'}, dir)).toBe(join(dir, 'other.json'))
    expect(resolveConfigPath('doctor.yaml', {DOCTOR_CONFIG: 'other.json'}, dir)).toBe(join(dir, 'doctor.yaml'))
    expect(() => resolveConfigPath('missing.yaml', {}, dir)).toThrow(/does not exist/)
    expect(loadConfigFile(join(dir, 'other.json'), IDS, {}).config.target?.baseUrl).toBe('https://b.example')
  })

  it('rejects a config that is not a mapping', () => {
    expect(text(errorOf(() => parseConfigText('- a\n- b\n', 'doctor.yaml', IDS, {})))).toContain('must be a mapping')
  })

  it('exports a JSON Schema that marks secrets writeOnly and lists check ids', () => {
    const schema = configJsonSchema(IDS) as {properties: Record<string, {properties?: Record<string, unknown>}>}
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['target', 'oidc', 'readiness', 'clock', 'http', 'checks']),
    )
    expect(Object.keys(schema.properties.checks.properties ?? {})).toEqual(IDS)
    expect(JSON.stringify(schema)).toContain('"writeOnly":true')
  })
})

describe('redact: deployment-specific secrets', () => {
  it('accepts names and patterns, as strings or with a kind', () => {
    const loaded = parseConfigText(
      'redact:\n  names: [rp_internal, X-Customer-Auth]\n  patterns:\n    - ACME-[A-Z0-9]{20}\n    - pattern: "ref=(?<secret>[a-z0-9]{10})"\n      kind: ticket\n',
      'doctor.yaml',
      IDS,
      {},
    )
    expect(loaded.config.redact?.names).toEqual(['rp_internal', 'X-Customer-Auth'])
    expect(loaded.config.redact?.patterns).toHaveLength(2)
  })

  it('a regular expression that does not compile is an error naming the key path and position', () => {
    const e = errorOf(() => parseConfigText('redact:\n  patterns:\n    - "ACME-([A-Z"\n', 'doctor.yaml', IDS, {}))
    expect(text(e)).toMatch(/doctor\.yaml:3:7 redact\.patterns\[0\]: not a usable regular expression: .*Unterminated/)
  })

  it('a pattern that matches the empty string is refused: it would replace nothing useful and everything around it', () => {
    const e = errorOf(() => parseConfigText('redact:\n  patterns:\n    - pattern: "x*"\n', 'doctor.yaml', IDS, {}))
    expect(text(e)).toMatch(
      /redact\.patterns\[0\]\.pattern: not a usable regular expression: it matches the empty string/,
    )
  })
})

describe('checks.<id>.timeout', () => {
  it("decides a check's time limit before --check-timeout and the check's own need", async () => {
    const {checkTimeout} = await import('../../src/app/session.js')
    const browser = {meta: {id: 'readiness', timeoutMs: 45_000}} as never
    const plain = {meta: {id: 'clock-skew'}} as never
    const config = parseConfigText('checks:\n  readiness:\n    timeout: 2m\n', 'doctor.yaml', IDS, {}).config
    expect(checkTimeout(browser, config, 5000)).toEqual({ms: 120_000, source: 'checks.readiness.timeout'})
    expect(checkTimeout(plain, config, 5000)).toEqual({ms: 5000, source: '--check-timeout'})
    expect(checkTimeout(browser, {} as never)).toEqual({ms: 45_000, source: 'the time readiness allows itself'})
    expect(checkTimeout(plain, {} as never)).toEqual({ms: 10_000, source: 'the default per-check limit'})
    expect(
      text(errorOf(() => parseConfigText('checks:\n  readiness:\n    timeout: soon\n', 'doctor.yaml', IDS, {}))),
    ).toMatch(/checks\.readiness\.timeout: a duration such as 30s or 2m/)
  })
})
