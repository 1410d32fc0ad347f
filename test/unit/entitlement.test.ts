import type {FilledOutcome} from '../../src/kb/cause.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import entitlement from '../../checks/entitlement.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/**
 * A loopback license service (GET /license/<state>) and a runtime whose feature-flag endpoint
 * is on or off, in the shapes self-hosted runtimes report: workspace ids at the top or nested,
 * entitlements as a map or a list, expiry as ISO or epoch seconds.
 */
let license: TestServer
let runtime: TestServer
const TOKEN = 'lic_9f2Kq7Lm3Xv8Nb1Rc6Tw'
const HOUR = 3_600_000
const DAY = 24 * HOUR
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString()
const seen: Array<{path: string; auth?: string; method: string}> = []

const ACTIVE = {
  workspaceId: 'acme-prod',
  state: 'active',
  activatedAt: '',
  expiresAt: '',
  entitlements: {production: true, sso: true, audit: false},
  features: ['production', 'sso'],
}

beforeAll(async () => {
  const active = () => ({...ACTIVE, activatedAt: iso(-20 * 60_000), expiresAt: iso(300 * DAY)})
  license = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    seen.push({path, auth: req.headers.authorization, method: req.method ?? ''})
    if (path.startsWith('/license/') && req.headers.authorization !== `Bearer ${TOKEN}`)
      return send(res, 401, {error: 'license token required'})
    switch (path) {
      case '/license/active':
        return send(res, 200, active())
      case '/license/inactive':
        return send(res, 200, {
          ...active(),
          state: 'inactive',
          entitlements: {production: false, sso: false},
          features: [],
        })
      case '/license/no-sso':
        return send(res, 200, {...active(), entitlements: {production: true}, features: ['production', 'audit-log']})
      case '/license/expired':
        return send(res, 200, {
          ...active(),
          state: 'expired',
          expiresAt: iso(-3 * DAY),
          entitlements: {production: false},
        })
      case '/license/grace':
        return send(res, 200, {
          ...active(),
          expires_at: Math.floor((Date.now() - 5 * DAY) / 1000),
          expiresAt: undefined,
        })
      case '/license/other-workspace':
        return send(res, 200, {...active(), workspaceId: undefined, workspace: {id: 'acme-personal', name: 'Personal'}})
      case '/license/list':
        return send(res, 200, {
          workspace_id: 'acme-prod',
          license: {status: 'active', validUntil: iso(40 * DAY)},
          entitlements: [
            {name: 'production', active: true},
            {name: 'legacy', active: false},
            {name: 'trial', expiresAt: iso(-90 * DAY)},
          ],
        })
      case '/license/list-lapsed':
        return send(res, 200, {
          workspace_id: 'acme-prod',
          license: {status: 'active'},
          entitlements: [
            {name: 'production', active: false, expires_at: iso(-2 * DAY)},
            {name: 'trial', active: false, expiresAt: iso(-90 * DAY)},
          ],
        })
      case '/license/list-inactive':
        return send(res, 200, {
          workspace_id: 'acme-prod',
          license: {status: 'active'},
          entitlements: [
            {name: 'production', active: false},
            {name: 'trial', active: false, expiresAt: iso(-90 * DAY)},
          ],
        })
      case '/license/html':
        return send(
          res,
          200,
          '<!doctype html><html><head><title>Console</title></head><body><div id="app"></div></body></html>',
          'text/html; charset=utf-8',
        )
      case '/license/broken':
        return send(res, 500, {error: 'license store unavailable: connection refused (postgres:5432)'})
      default:
        return send(res, 404, {error: 'not found'})
    }
  })
  runtime = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    seen.push({path: `runtime${path}`, auth: req.headers.authorization, method: req.method ?? ''})
    if (path === '/features/off')
      return send(res, 200, {startedAt: iso(-3 * HOUR), features: {production: false, sso: false}})
    if (path === '/features/on')
      return send(res, 200, {startedAt: iso(-5 * 60_000), features: {production: true, sso: true}})
    send(res, 404, {error: 'not found'})
  })
})
afterAll(async () => {
  await Promise.all([license.close(), runtime.close()])
})

const EXPECT = ['$.state == active', '$.entitlements.production == true']

async function check(
  section: Record<string, unknown> | undefined,
  extra: Record<string, unknown> = {},
): Promise<FilledOutcome> {
  const ctx = makeContext({
    target: {baseUrl: license.url},
    ...(section
      ? {entitlement: {headers: {Authorization: `Bearer ${TOKEN}`}, workspace: 'acme-prod', expect: EXPECT, ...section}}
      : {}),
    ...extra,
  })
  try {
    return await runCheck(entitlement, ctx)
  } finally {
    await ctx.close()
  }
}

describe('entitlement: healthy licenses', () => {
  it('an active license with the entitlement: pass, naming the entitlements, workspace and expiry; one item per expectation', async () => {
    const o = await check({
      url: '/license/active',
      expect: [...EXPECT, '$.features[*] contains sso', '$.expiresAt in the future'],
    })
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toBe(
      'the license status meets all 4 expectations (entitlements: production, sso; workspace "acme-prod"; expires in 300 days)',
    )
    expect(o.items?.map((i) => [i.label, i.status])).toEqual([
      ['$.state == active', 'pass'],
      ['$.entitlements.production == true', 'pass'],
      ['$.features[*] contains sso', 'pass'],
      ['$.expiresAt in the future', 'pass'],
    ])
    expect(o.cause).toBeUndefined()
    expect(JSON.stringify(o)).not.toContain(TOKEN)
  })

  it('entitlements as a list, the workspace as workspace_id and the expiry under license: pass; a long-expired trial entry is no alarm', async () => {
    const o = await check({
      url: '/license/list',
      expect: ['$.license.status == active', '$.entitlements[*].name contains production'],
    })
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toMatch(/entitlements: production; workspace "acme-prod"; expires in 40 days/)
  })

  it('the runtime shows the feature on as well: pass, and says so', async () => {
    const o = await check({
      url: '/license/active',
      featureUrl: `${runtime.url}/features/on`,
      featureExpect: ['$.features.production == true'],
    })
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toMatch(/; the running runtime shows the feature on$/)
    expect(o.items?.at(-1)).toEqual({
      label: 'runtime: $.features.production == true',
      status: 'pass',
      message: '$.features.production is true',
    })
  })
})

describe('entitlement: each fault gets its own diagnosis', () => {
  it('license not active: license-not-active, naming the failing expectations and observed values', async () => {
    const o = await check({url: '/license/inactive'})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('entitlement-not-active#license-not-active')
    expect(o.message).toBe(
      'the license status does not show an active entitlement: $.state is "inactive", expected "active"; $.entitlements.production is false, expected true',
    )
    expect(o.items?.map((i) => i.status)).toEqual(['fail', 'fail'])
    expect(o.cause?.fix.join(' ')).toMatch(/doctor run billing-status/)
    expect(o.cause?.verify[0]).toBe(
      `\`curl -sS -H 'Authorization: …' '${license.url}/license/inactive'\` shows $.state == active and $.entitlements.production == true.`,
    )
  })

  it('a feature missing from the license: license-not-active, saying which feature and what it has', async () => {
    const o = await check({url: '/license/no-sso', expect: [...EXPECT, '$.features[*] contains sso']})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('entitlement-not-active#license-not-active')
    expect(o.message).toBe(
      'the license status does not list the feature the workspace needs: $.features[*] matches 2 values ["production","audit-log"], expected it to contain "sso" (it grants: production, audit-log)',
    )
    expect(o.items?.map((i) => i.status)).toEqual(['pass', 'pass', 'fail'])
  })

  it('an expired license: license-expired, saying when it expired, even without an expectation on the date', async () => {
    const o = await check({url: '/license/expired'})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('entitlement-not-active#license-expired')
    expect(o.message).toMatch(
      /^the license expired: \$\.expiresAt is "[^"]+" \(3 days ago\); and so \$\.state is "expired", expected "active"; \$\.entitlements\.production is false, expected true$/,
    )
    expect(o.cause?.summary).toMatch(/\$\.expiresAt is .*\(3 days ago\)/)
    expect(o.cause?.verify[0]).toMatch(/shows \$\.expiresAt in the future\.$/)
  })

  it('an expiry date behind us while the service still says active: a warning about the grace period (epoch seconds, expires_at)', async () => {
    const o = await check({url: '/license/grace'})
    expect(o.status, o.message).toBe('warn')
    expect(o.cause?.kb).toBe('entitlement-not-active#license-expired')
    expect(o.message).toMatch(
      /meets all 2 expectations, but \$\.expires_at is \d+ \(\S+, 5 days ago\): the license has expired and probably runs on a grace period/,
    )
  })

  it('one entitlement lapsed inside a list: license-expired for the entitlement the expectation names', async () => {
    const o = await check({
      url: '/license/list-lapsed',
      expect: ["$.entitlements[?(@.name == 'production')].active == true"],
    })
    expect(o.cause?.kb).toBe('entitlement-not-active#license-expired')
    expect(o.message).toMatch(
      /^the license expired: the "production" entitlement's \$\.entitlements\[0\]\.expires_at is "[^"]+" \(2 days ago\); and so /,
    )
  })

  it('an unrelated entitlement that lapsed long ago does not turn "not active" into "expired"', async () => {
    const o = await check({
      url: '/license/list-inactive',
      expect: ["$.entitlements[?(@.name == 'production')].active == true"],
    })
    expect(o.cause?.kb).toBe('entitlement-not-active#license-not-active')
  })

  it('a license for another workspace: license-other-workspace, with both workspace ids', async () => {
    const o = await check({url: '/license/other-workspace'})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('entitlement-not-active#license-other-workspace')
    expect(o.message).toBe(
      'the license status is for workspace "acme-personal" ($.workspace.id), not "acme-prod" (entitlement.workspace) (it meets the expectations, but for that workspace): the runtime holds another workspace\'s license, so "acme-prod" gets none of its entitlements',
    )
    expect(o.cause?.fix[0]).toMatch(/Install the license issued for workspace "acme-prod"/)
  })

  it('active license, runtime feature flag off: runtime-not-restarted, with since when and when the runtime started', async () => {
    const o = await check({
      url: '/license/active',
      featureUrl: `${runtime.url}/features/off`,
      featureExpect: ['$.features.production == true'],
    })
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('entitlement-not-active#runtime-not-restarted')
    expect(o.message).toMatch(
      /^the license service says active since "[^"]+" \(20 min ago\) \(\$\.activatedAt\) and meets all 2 expectations, but the running runtime's feature flag still says off \(\$\.features\.production is false, expected true\); the runtime started 3 h ago \(\$\.startedAt\), before the license became active: restart it to load the new license$/,
    )
    expect(o.cause?.fix[0]).toMatch(/kubectl -n <namespace> rollout restart deployment\/<api-deployment>/)
    expect(o.items?.map((i) => [i.label, i.status])).toEqual([
      ['$.state == active', 'pass'],
      ['$.entitlements.production == true', 'pass'],
      ['runtime: $.features.production == true', 'fail'],
    ])
    expect(o.evidence?.exchanges?.map((x) => x.url)).toEqual([
      `${license.url}/license/active`,
      `${runtime.url}/features/off`,
    ])
  })

  it('the license credential is not sent to a feature endpoint on another origin; only GETs are sent', async () => {
    seen.length = 0
    await check({
      url: '/license/active',
      featureUrl: `${runtime.url}/features/off`,
      featureExpect: ['$.features.production == true'],
    })
    expect(seen.find((s) => s.path === '/license/active')?.auth).toBe(`Bearer ${TOKEN}`)
    expect(seen.find((s) => s.path === 'runtime/features/off')?.auth).toBeUndefined()
    expect(new Set(seen.map((s) => s.method))).toEqual(new Set(['GET']))
  })
})

describe('entitlement: when the status cannot be read', () => {
  it('an HTML page instead of JSON: error, with the status, a snippet and the catch-all route hint', async () => {
    const o = await check({url: '/license/html'})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(
      /^the license status at http:\/\/127\.0\.0\.1:\d+\/license\/html answered 200 \(text\/html; charset=utf-8\), but it does not parse as JSON \(.*\): <!doctype html><html><head><title>Console/,
    )
    expect(o.evidence?.notes?.[0]).toMatch(/catch-all route: check the path in entitlement\.url/)
  })

  it('a 500: error with the status and the body', async () => {
    const o = await check({url: '/license/broken'})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(
      /answered 500 \(application\/json\), not 2xx, so doctor cannot read it: \{"error":"license store unavailable: connection refused \(postgres:5432\)"\}/,
    )
    expect(o.evidence?.notes?.[0]).toMatch(/read its logs/)
  })

  it('a 401 without the credential: error pointing at entitlement.headers', async () => {
    const o = await check({url: '/license/active', headers: {}})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(/answered 401/)
    expect(o.evidence?.notes?.[0]).toMatch(/add it to entitlement\.headers/)
  })

  it('nothing listening: error with the reason, not a crash', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    const o = await check({url: `${closed.url}/license/status`})
    expect(o.status).toBe('error')
    expect(o.message).toMatch(
      new RegExp(`^could not read the license status at ${closed.url}/license/status: .*refused`, 'i'),
    )
  })

  it('the runtime feature endpoint unreachable while the license is active: error saying the license passes', async () => {
    const o = await check({
      url: '/license/active',
      featureUrl: `${runtime.url}/nope`,
      featureExpect: ['$.features.production == true'],
    })
    expect(o.status).toBe('error')
    expect(o.message).toMatch(/^the license status passes, but the runtime's feature flags at .*\/nope answered 404/)
  })

  it('an expectation the schema lets through but doctor cannot read: error naming it, nothing fetched', async () => {
    seen.length = 0
    const o = await check({url: '/license/active', expect: ['$.state ==']})
    expect(o.status).toBe('error')
    expect(o.message).toBe(
      'fix the config first: entitlement.expect[0]: "$.state ==": "==" needs a value after it (JSON, or a bare word for a string)',
    )
    expect(seen).toEqual([])
  })

  it('no entitlement section: skipped', async () => {
    const o = await check(undefined)
    expect(o.status).toBe('skip')
    expect(o.message).toMatch(/set entitlement\.url and entitlement\.expect/)
  })
})
