import {PassThrough} from 'node:stream'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import Init from '../../src/commands/init.js'
import {validateConfig} from '../../src/config/load.js'
import {buildConfigSchema, type DoctorConfig} from '../../src/config/schema.js'
import {checkIds} from '../../src/engine/registry.js'
import {UsageError} from '../../src/errors.js'
import {openKnowledgeBase} from '../../src/kb/kb.js'
import {loadProfile, loadProfiles, parseProfile, profileIds} from '../../src/init/profiles.js'
import {askMissing, canPrompt, missingValues} from '../../src/init/prompt.js'
import {checkRendered, renderProfile, type Values} from '../../src/init/render.js'
import {VARIABLES} from '../../src/init/variables.js'

const profiles = loadProfiles()
const ids = checkIds()
const ALL: Values = {
  'base-url': 'https://app.acme.test/',
  issuer: 'https://idp.acme.test/realms/main/',
  'client-id': 'console-client',
}

/** Validate the way `doctor config validate` does, with none of the DOCTOR_* variables set. */
function validate(text: string): DoctorConfig {
  return validateConfig(parse(text), ids, {}).config
}

/** Lines that are YAML, not comments. */
const activeLines = (text: string) => text.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'))

describe('profiles', () => {
  it('one per seed product plus generic, each naming a product that exists', () => {
    const kb = openKnowledgeBase()
    expect(profileIds()).toEqual([...kb.products.map((p) => p.id), 'generic'].sort())
    for (const p of profiles) if (p.product) expect(kb.product(p.product), p.id).toBeDefined()
  })

  it('the --profile help names every profile, and every variable has its flag', () => {
    for (const id of profileIds()) expect(Init.flags.profile.summary).toContain(id)
    for (const v of VARIABLES) expect(Object.keys(Init.flags)).toContain(v.flag)
  })

  it('refuses an unknown profile with the list and a suggestion', () => {
    expect(() => loadProfile('rack-gatway')).toThrow(
      /no profile "rack-gatway". Did you mean "rack-gateway"\? Profiles: api-test, generic, rack-gateway, release-passport, secrets-bridge/,
    )
    expect(() => parseProfile('id: x\n', 'x.yaml')).toThrow(UsageError)
  })

  for (const profile of profiles) {
    describe(profile.id, () => {
      it('renders without values into a file that validates, keeping placeholders', () => {
        const r = renderProfile(profile, {}, '0.0.0')
        const config = validate(r.text)
        expect(config.target?.baseUrl).toMatch(/\.invalid$/)
        expect(r.filled).toEqual([])
        expect(r.placeholders.map((p) => p.flag)).toContain('base-url')
        expect(r.text).toContain('"${DOCTOR_BASE_URL:-https://')
        expect(r.text.split('\n')[0]).toBe(
          `# doctor.yaml for ${profile.name}, written by \`doctor init --profile ${profile.id}\` (doctor 0.0.0).`,
        )
        // The optional client id is commented out rather than left empty (an empty client id is a finding).
        expect(config.oidc?.clientId).toBeUndefined()
      })

      it('renders with every value into a file that validates against buildConfigSchema', () => {
        const r = renderProfile(profile, ALL)
        const config = buildConfigSchema(ids).parse(parse(r.text))
        expect(config.target?.baseUrl).toBe('https://app.acme.test')
        expect(r.placeholders).toEqual([])
        expect(r.commentedOut).toEqual([])
        for (const line of activeLines(r.text)) expect(line).not.toContain('${DOCTOR_')
        if (config.oidc) {
          expect(config.oidc.issuer).toBe('https://idp.acme.test/realms/main/')
          expect(config.oidc.clientId).toBe('console-client')
          for (const uri of config.oidc.redirectUris ?? []) expect(uri.startsWith('https://app.acme.test/')).toBe(true)
        } else {
          expect(r.unused).toEqual(['issuer', 'client-id'])
        }
      })

      it('enables checks the way doctor config validate reports them', async () => {
        const {enabled, notConfigured} = await checkRendered(renderProfile(profile, ALL).text)
        expect(enabled).toContain('clock-skew')
        expect(enabled).toContain('session-cookie')
        expect([...enabled, ...notConfigured.map((n) => n.id)].sort()).toEqual([...ids].sort())
      })

      it('keeps placeholders inside double quotes, secrets as ${ENV} references, and a check comment on every section', () => {
        const lines = profile.template.split('\n')
        for (const line of lines.filter((l) => /\$\{DOCTOR_[A-Z_]+:-/.test(l)))
          expect(line, line).toMatch(/"[^"]*\$\{DOCTOR_[A-Z_]+:-[^}]*\}[^"]*"/)
        for (const line of lines) {
          const secret = /^\s*#?\s*(?:password|token|secret|Authorization|X-API-Key):\s*(.*?)\s*(?:#.*)?$/.exec(line)
          if (secret) expect(secret[1], line).toMatch(/^"(?:Bearer )?\$\{[A-Z_][A-Z0-9_]*(?::-)?\}"$/)
        }
        lines.forEach((line, i) => {
          const section = /^(?:# )?([a-z][A-Za-z]*):\s*$/.exec(line)
          if (!section) return
          let start = i
          while (start > 0 && lines[start - 1].startsWith('#')) start--
          const comment = lines.slice(start, i).join(' ')
          expect(
            ids.some((id) => comment.includes(id)),
            `${profile.id}: section ${section[1]} says which check it enables`,
          ).toBe(true)
        })
      })
    })
  }
})

describe('what each profile fills in (facts from the seed pages and KB entries)', () => {
  const render = (id: string) => validate(renderProfile(loadProfile(id), ALL).text)

  it('release-passport: callback, /login → /console, billing status, mobile', () => {
    const c = render('release-passport')
    expect(c.oidc?.redirectUris).toEqual(['https://app.acme.test/releasepassport/v1/auth/callback'])
    expect(c.login).toMatchObject({path: '/login', consolePath: '/console'})
    expect(c.billing?.statusUrl).toBe('/billing/status')
    expect(c.mobile?.pages.length).toBeGreaterThan(0)
    expect(c.pipeline).toMatchObject({command: 'releasepassport gate', flag: '--api-url'})
    expect(renderProfile(loadProfile('release-passport'), ALL).text).toContain('#   url: /license/status')
  })

  it('rack-gateway: Google issuer by default, web and CLI callbacks, health endpoint, rgw_ token conventions', () => {
    const c = render('rack-gateway')
    expect(c.oidc?.redirectUris).toEqual([
      'https://app.acme.test/api/v1/auth/web/callback',
      'https://app.acme.test/api/v1/auth/cli/callback',
    ])
    expect(c.readiness?.endpoints).toEqual([{url: '/api/v1/health', name: 'gateway'}])
    expect(validate(renderProfile(loadProfile('rack-gateway'), {}).text).oidc?.issuer).toBe(
      'https://accounts.google.com',
    )
    const text = loadProfile('rack-gateway').template
    expect(text).toContain('tokenEnv: RACK_GATEWAY_API_TOKEN')
    expect(text).toContain('prefix: rgw_')
    expect(text).toContain('#   health: /api/v1/health')
  })

  it('api-test: X-API-Key on /v1/whoami, the portal, /healthz, the OIDC clock allowance', () => {
    const c = render('api-test')
    expect(c.api).toMatchObject({url: '/v1/whoami', header: 'X-API-Key', tokenEnv: 'APITEST_DEV_KEY'})
    expect(c.login?.consolePath).toBe('/portal/')
    expect(c.readiness?.endpoints).toEqual([{url: '/healthz', name: 'api-test'}])
    expect(c.clock?.tolerances).toEqual({oidcLeeway: 30})
    expect(c.portal?.path).toBe('/portal/')
  })

  it('secrets-bridge: no OIDC, an admin token on the audit-events API', () => {
    const c = render('secrets-bridge')
    expect(c.oidc).toBeUndefined()
    expect(c.api).toMatchObject({url: '/api/v1/audit-events', tokenEnv: 'TOKEN'})
    expect(c.audit).toMatchObject({
      url: '/api/v1/audit-events',
      headers: {Authorization: 'Bearer '},
      time: '$.occurred_at',
    })
    expect(
      validateConfig(parse(renderProfile(loadProfile('secrets-bridge'), {}).text), ids, {TOKEN: 'sb_admin'}).config
        .audit?.headers,
    ).toEqual({Authorization: 'Bearer sb_admin'})
  })
})

describe('renderProfile', () => {
  const generic = loadProfile('generic')

  it('strips a trailing slash from the base URL and keeps the issuer exactly', () => {
    const r = renderProfile(generic, {'base-url': 'https://app.acme.test///', issuer: 'https://idp.acme.test/'})
    const c = validate(r.text)
    expect(c.target?.baseUrl).toBe('https://app.acme.test')
    expect(c.oidc?.issuer).toBe('https://idp.acme.test/')
    expect(r.filled.map((f) => f.key)).toEqual(['target.baseUrl', 'oidc.issuer'])
  })

  it('writes any client id literally: quotes, backslashes and $ survive YAML and interpolation', () => {
    const id = 'we"ird\\id$with${NOT_A_VAR}'
    expect(validate(renderProfile(generic, {'client-id': id}).text).oidc?.clientId).toBe(id)
  })

  it('comments out the optional client id and keeps required values as placeholders when missing', () => {
    const r = renderProfile(generic, {'base-url': 'https://app.acme.test'})
    expect(r.text).toContain('  # clientId: "${DOCTOR_OIDC_CLIENT_ID:-}"')
    expect(r.text).toContain('  issuer: "${DOCTOR_OIDC_ISSUER:-https://idp.example.invalid}"')
    expect(r.placeholders).toEqual([
      {
        flag: 'issuer',
        key: 'oidc.issuer',
        env: 'DOCTOR_OIDC_ISSUER',
        example: 'https://idp.example.invalid',
        placeholder: true,
      },
    ])
    expect(r.commentedOut).toEqual([{flag: 'client-id', key: 'oidc.clientId'}])
    expect(r.text).toMatch(
      /^# {3}oidc\.issuer: DOCTOR_OIDC_ISSUER \(until then https:\/\/idp\.example\.invalid, a host that does not exist\)$/m,
    )
    // An exported variable fills a placeholder later, without editing the file.
    expect(
      validateConfig(parse(r.text), ids, {DOCTOR_OIDC_ISSUER: 'https://login.acme.test'}).config.oidc?.issuer,
    ).toBe('https://login.acme.test')
  })

  it('reports values the profile has no place for', () => {
    expect(renderProfile(loadProfile('secrets-bridge'), ALL).unused).toEqual(['issuer', 'client-id'])
  })

  it('refuses values that are not URLs or span lines', () => {
    expect(() => renderProfile(generic, {'base-url': 'app.acme.test'})).toThrow(
      /--base-url "app.acme.test" is not an absolute URL/,
    )
    expect(() => renderProfile(generic, {issuer: 'ftp://idp.acme.test'})).toThrow(/not an http:\/\/ or https:\/\/ URL/)
    expect(() => renderProfile(generic, {'client-id': 'a\nb'})).toThrow(/line break/)
  })
})

describe('prompting', () => {
  const tty = <T extends object>(stream: T, isTTY: boolean) => Object.assign(stream, {isTTY})

  it('only when stdin and stdout are terminals and CI is not set', () => {
    const streams = (input: boolean, output: boolean) => ({
      input: tty(new PassThrough(), input),
      output: tty(new PassThrough(), output),
    })
    expect(canPrompt(streams(true, true), {})).toBe(true)
    expect(canPrompt(streams(false, true), {})).toBe(false)
    expect(canPrompt(streams(true, false), {})).toBe(false)
    expect(canPrompt(streams(true, true), {CI: 'true'})).toBe(false)
    expect(canPrompt(streams(true, true), {CI: '1'})).toBe(false)
    expect(canPrompt(streams(true, true), {CI: 'false'})).toBe(true)
    expect(canPrompt({input: process.stdin, output: new PassThrough()}, {})).toBe(false)
  })

  it('asks only for values no flag gave; Enter keeps the placeholder, a bad URL is asked again', async () => {
    const profile = loadProfile('generic')
    expect(missingValues(profile, {issuer: 'https://idp.acme.test'}).map((v) => v.flag)).toEqual([
      'base-url',
      'client-id',
    ])
    const input = tty(new PassThrough(), true)
    const output = tty(new PassThrough(), true)
    let shown = ''
    output.on('data', (d) => (shown += d))
    const answers = askMissing(profile, {issuer: 'https://idp.acme.test'}, {input, output})
    // One line at a time, as a person types them.
    for (const line of ['not a url', 'https://app.acme.test/', '']) {
      await new Promise((r) => setTimeout(r, 20))
      input.write(`${line}\n`)
    }
    expect(await answers).toEqual({
      issuer: 'https://idp.acme.test',
      'base-url': 'https://app.acme.test',
      'client-id': undefined,
    })
    expect(shown).toContain('The public URL of the app')
    expect(shown).toContain('is not an absolute URL')
    expect(shown).not.toContain('OIDC issuer')
  })

  it('Ctrl-D at a question stops with a usage error and writes nothing', async () => {
    const input = tty(new PassThrough(), true)
    const answers = askMissing(loadProfile('generic'), {}, {input, output: tty(new PassThrough(), true)})
    setTimeout(() => input.end(), 20)
    await expect(answers).rejects.toThrow(/Stopped at the prompt/)
  })
})
