import {describe, expect, it} from 'vitest'
import {compact, evaluate, findKeys, lookup, normalise, parseDate, relative} from '../../src/expect/expectations.js'

const NOW = Date.parse('2025-06-01T12:00:00Z')
const DAY = 86_400_000

async function one(expectation: Parameters<typeof normalise>[0], json: unknown) {
  const [r] = await evaluate([expectation], json, NOW)
  return r
}

describe('normalise: the shorthand', () => {
  it('reads ==, != and contains with a JSON right side', () => {
    expect(normalise('$.entitlements.production == true')).toEqual({
      path: '$.entitlements.production',
      op: 'equals',
      value: true,
      text: '$.entitlements.production == true',
    })
    expect(normalise('$.seats == 25')).toMatchObject({op: 'equals', value: 25})
    expect(normalise('$.plan == "team plus"')).toMatchObject({op: 'equals', value: 'team plus'})
    expect(normalise('$.cancelAt == null')).toMatchObject({op: 'equals', value: null})
    expect(normalise('$.regions == ["eu","us"]')).toMatchObject({op: 'equals', value: ['eu', 'us']})
    expect(normalise('$.state != suspended')).toMatchObject({op: 'notEquals', value: 'suspended'})
    expect(normalise('$.features[*] contains sso')).toMatchObject({path: '$.features[*]', op: 'contains', value: 'sso'})
  })

  it('takes a bare word or a single-quoted text as a string', () => {
    expect(normalise('$.state == active').value).toBe('active')
    expect(normalise("$.plan == 'team plus'").value).toBe('team plus')
    expect(normalise('$.note == not json {').value).toBe('not json {')
  })

  it('reads exists, "in the future" and "in the past", and keeps the text as written', () => {
    expect(normalise('$.license exists')).toEqual({path: '$.license', op: 'exists', text: '$.license exists'})
    expect(normalise('  $.expiresAt in the future ')).toEqual({
      path: '$.expiresAt',
      op: 'future',
      text: '$.expiresAt in the future',
    })
    expect(normalise('$.activatedAt in the past')).toMatchObject({op: 'past'})
  })

  it('keeps filter paths whole, spaces and operators inside brackets included', () => {
    expect(normalise("$.entitlements[?(@.name=='production')].active == true")).toMatchObject({
      path: "$.entitlements[?(@.name=='production')].active",
      op: 'equals',
      value: true,
    })
    expect(normalise("$.entitlements[?(@.name == 'prod env')].active != false")).toMatchObject({
      path: "$.entitlements[?(@.name == 'prod env')].active",
      op: 'notEquals',
      value: false,
    })
    expect(normalise('$.seats==25')).toMatchObject({path: '$.seats', op: 'equals', value: 25})
  })

  it('evaluates a filter path with spaces', async () => {
    const json = {
      entitlements: [
        {name: 'prod env', active: true},
        {name: 'staging', active: false},
      ],
    }
    expect((await one("$.entitlements[?(@.name == 'prod env')].active == true", json)).ok).toBe(true)
  })

  it('refuses text that is not an expectation, with an example', () => {
    expect(() => normalise('entitlements.production == true')).toThrow(
      /not an expectation.*\$\.entitlements\.production == true/,
    )
    expect(() => normalise('$.a ==')).toThrow(/needs a value/)
    expect(() => normalise('$.a exists now')).toThrow(/nothing may follow "exists"/)
    expect(() => normalise('$.a')).toThrow(/not an expectation/)
    expect(() => normalise('$.a is 5')).toThrow(/not an expectation/)
  })

  it('normalises the object form and renders it as shorthand', () => {
    expect(normalise({path: '$.entitlements.production', equals: true, label: 'production entitlement'})).toEqual({
      path: '$.entitlements.production',
      op: 'equals',
      value: true,
      label: 'production entitlement',
      text: '$.entitlements.production == true',
    })
    expect(normalise({path: '$.state', notEquals: 'suspended'})).toMatchObject({
      op: 'notEquals',
      value: 'suspended',
      text: '$.state != "suspended"',
    })
    expect(normalise({path: '$.features', contains: 'sso'})).toMatchObject({
      op: 'contains',
      text: '$.features contains "sso"',
    })
    expect(normalise({path: '$.expiresAt', future: true})).toMatchObject({
      op: 'future',
      text: '$.expiresAt in the future',
    })
    expect(normalise({path: '$.expiresAt', future: false})).toMatchObject({op: 'past'})
    expect(normalise({path: '$.trial', exists: false})).toMatchObject({
      op: 'exists',
      value: false,
      text: '$.trial does not exist',
    })
    expect(normalise({path: '$.license'})).toMatchObject({op: 'exists', text: '$.license exists'})
  })
})

describe('evaluate', () => {
  const status = {
    state: 'active',
    seats: 25,
    entitlements: {production: false, staging: true},
    features: ['audit-log', 'reports'],
    regions: ['eu', 'us'],
    workspaces: [
      {id: 'a', features: ['x']},
      {id: 'b', features: ['sso']},
    ],
    expiresAt: '2025-05-29T12:00:00Z',
    renewsAt: 1_751_371_200,
    issuedAtMs: 1_748_779_200_000,
    note: null,
  }

  it('equals: pass and fail name the path, the observed value and the expected one', async () => {
    expect(await one('$.state == active', status)).toMatchObject({
      ok: true,
      observed: 'active',
      message: '$.state is "active"',
    })
    expect(await one('$.entitlements.production == true', status)).toMatchObject({
      ok: false,
      observed: false,
      message: '$.entitlements.production is false, expected true',
    })
    expect(
      await one({path: '$.entitlements.production', equals: true, label: 'production entitlement'}, status),
    ).toMatchObject({
      ok: false,
      message: 'production entitlement ($.entitlements.production) is false, expected true',
    })
  })

  it('equals: deep equality for objects and arrays; a number written as a string is named', async () => {
    expect((await one('$.regions == ["eu","us"]', status)).ok).toBe(true)
    expect((await one('$.regions == ["us","eu"]', status)).ok).toBe(false)
    expect((await one('$.workspaces[0] == {"id":"a","features":["x"]}', status)).ok).toBe(true)
    expect((await one('$.seats == "25"', status)).message).toBe(
      '$.seats is 25, expected "25" (a number, not a string: write the value as the API sends it)',
    )
  })

  it('equals: several matches fail, a missing path says it matches nothing', async () => {
    const several = await one('$.features[*] == reports', status)
    expect(several).toMatchObject({ok: false, observed: ['audit-log', 'reports']})
    expect(several.message).toBe(
      '$.features[*] matches 2 values ["audit-log","reports"], expected exactly one value, equal to "reports"',
    )
    expect(await one('$.entitlements.sso == true', status)).toMatchObject({
      ok: false,
      observed: undefined,
      message: '$.entitlements.sso matches nothing in the response, expected true',
    })
  })

  it('notEquals: passes on another value, fails on the value and on a path that matches nothing', async () => {
    expect(await one('$.state != suspended', status)).toMatchObject({
      ok: true,
      message: '$.state is "active", not "suspended"',
    })
    expect(await one('$.state != active', status)).toMatchObject({
      ok: false,
      message: '$.state is "active", expected anything but "active"',
    })
    expect(await one('$.features[*] != reports', status)).toMatchObject({ok: false})
    expect((await one('$.typo != x', status)).ok).toBe(false)
  })

  it('contains: any matched value, or an element of a matched array', async () => {
    expect(await one('$.features[*] contains reports', status)).toMatchObject({
      ok: true,
      message: '$.features[*] contains "reports" (["audit-log","reports"])',
    })
    expect((await one('$.features contains reports', status)).ok).toBe(true)
    expect((await one('$.workspaces[*].features contains sso', status)).ok).toBe(true)
    expect(await one('$.features[*] contains sso', status)).toMatchObject({
      ok: false,
      message: '$.features[*] matches 2 values ["audit-log","reports"], expected it to contain "sso"',
    })
    expect(await one('$.features contains sso', status)).toMatchObject({
      ok: false,
      message: '$.features is ["audit-log","reports"], expected it to contain "sso"',
    })
    expect((await one('$.missing[*] contains sso', status)).message).toBe(
      '$.missing[*] matches nothing in the response, expected it to contain "sso"',
    )
  })

  it('exists: at least one match (null counts); exists: false wants none', async () => {
    expect(await one('$.entitlements exists', status)).toMatchObject({ok: true})
    expect((await one('$.note exists', status)).ok).toBe(true)
    expect(await one('$.license exists', status)).toMatchObject({
      ok: false,
      message: '$.license matches nothing in the response, expected it to exist',
    })
    expect(await one({path: '$.license', exists: false}, status)).toMatchObject({
      ok: true,
      message: '$.license is absent, as expected',
    })
    expect(await one({path: '$.state', exists: false}, status)).toMatchObject({
      ok: false,
      message: '$.state is "active", expected it to be absent',
    })
  })

  it('future and past: ISO dates, epoch seconds and epoch ms, with how long ago or ahead', async () => {
    expect(await one('$.expiresAt in the future', status)).toMatchObject({
      ok: false,
      message: '$.expiresAt is "2025-05-29T12:00:00Z" (3 days ago), expected a date in the future',
    })
    expect((await one('$.expiresAt in the past', status)).ok).toBe(true)
    expect(await one('$.renewsAt in the future', status)).toMatchObject({
      ok: true,
      message: '$.renewsAt is 1751371200 (2025-07-01T12:00:00.000Z, in 30 days)',
    })
    expect(await one('$.issuedAtMs in the past', status)).toMatchObject({
      ok: true,
      message: '$.issuedAtMs is 1748779200000 (2025-06-01T12:00:00.000Z, just now)',
    })
    expect((await one('$.state in the future', status)).message).toBe(
      '$.state is "active", which is not a date (an ISO 8601 string or epoch seconds), expected a date in the future',
    )
    expect((await one('$.note in the future', status)).ok).toBe(false)
    expect((await one('$.never in the past', status)).message).toBe(
      '$.never matches nothing in the response, expected a date in the past',
    )
  })

  it('an invalid JSONPath or a null body is a failed expectation, not a crash', async () => {
    expect((await one({path: '$.a[?(@.x ==)]', exists: true}, {a: [{x: 1}]})).message).toMatch(
      /^\$\.a\[\?\(@\.x ==\)\] is not a JSONPath doctor can evaluate: /,
    )
    // Text that is not an expectation fails with the reason rather than throwing.
    expect(await one('$.a is set', {a: 1})).toMatchObject({
      ok: false,
      message: expect.stringMatching(/is not an expectation/),
    })
    expect(await one('$.state == active', null)).toMatchObject({ok: false, observed: undefined})
    expect((await one('$ == 5', 5)).ok).toBe(true)
  })

  it('shortens long observed values to about 120 characters', async () => {
    const long = {blob: 'x'.repeat(500)}
    const r = await one('$.blob == y', long)
    expect(r.message.length).toBeLessThan(200)
    expect(r.message).toContain('…')
    expect(compact('x'.repeat(500))).toHaveLength(120)
  })
})

describe('dates and fields', () => {
  it('parses ISO strings, epoch seconds and milliseconds, and numeric strings; nothing else', () => {
    expect(parseDate('2025-06-01T12:00:00Z')).toBe(NOW)
    expect(parseDate(NOW / 1000)).toBe(NOW)
    expect(parseDate(NOW)).toBe(NOW)
    expect(parseDate(String(NOW / 1000))).toBe(NOW)
    for (const v of ['active', 'May 3', '1', null, true, {}, -5, 0])
      expect(parseDate(v), String(v)).toBe(v === '1' ? 1000 : undefined)
  })

  it('says how far away a time is', () => {
    expect(relative(NOW, NOW)).toBe('just now')
    expect(relative(NOW - 40_000, NOW)).toBe('40 s ago')
    expect(relative(NOW + 20 * 60_000, NOW)).toBe('in 20 min')
    expect(relative(NOW - 5 * 3_600_000, NOW)).toBe('5 h ago')
    expect(relative(NOW + 10 * DAY, NOW)).toBe('in 10 days')
  })

  it('finds fields by normalised key, at a dotted path or at any depth', () => {
    const json = {
      Workspace_ID: 'acme',
      webhook: {last_received_at: 'x'},
      items: [{expires_at: 1}],
      license: {'valid-until': 2},
    }
    expect(lookup(json, ['workspaceid'])).toEqual({path: '$.Workspace_ID', value: 'acme'})
    expect(lookup(json, ['lastwebhookat', 'webhook.lastreceivedat'])).toEqual({
      path: '$.webhook.last_received_at',
      value: 'x',
    })
    expect(lookup(json, ['nothing'])).toBeUndefined()
    expect(findKeys(json, new Set(['expiresat', 'validuntil']))).toEqual([
      {path: '$.items[0].expires_at', value: 1, parent: json.items[0]},
      {path: '$.license["valid-until"]', value: 2, parent: json.license},
    ])
  })
})
