import type {FilledOutcome} from '../../src/kb/cause.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import evidenceFreshness from '../../checks/evidence-freshness.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

/** A Release-Passport-like API on loopback: connector status pages and the gate's evidence scope. */
let api: TestServer
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()
const statuses: Record<string, unknown> = {
  '/connectors/fresh': {name: 'prometheus', health: 'ok', lastSyncAt: ago(2)},
  '/connectors/stale': {name: 'prometheus', health: 'stale', lastSyncAt: ago(180)},
  '/connectors/auth': {
    name: 'argocd',
    lastSyncAt: ago(240),
    lastError: 'GET https://argocd.example.com/api/v1/applications/checkout: 401 Unauthorized: invalid token',
  },
  '/connectors/scope': {
    name: 'kubernetes',
    sync: {
      lastSuccess: ago(90),
      lastError: {
        message:
          'deployments.apps is forbidden: User "system:serviceaccount:rp:connector" cannot list resource "deployments" in API group "apps" in the namespace "prod"',
      },
    },
  },
  '/connectors/allowlist': {name: 'prometheus', lastSyncAt: ago(60), lastError: 'query refused: not on the allowlist'},
  '/connectors/url': {
    name: 'prometheus',
    lastSyncAt: ago(60),
    lastError:
      'Get "http://prometheus.monitoring:9090/api/v1/query": dial tcp: lookup prometheus.monitoring: no such host',
  },
  '/connectors/never': {name: 'flux', lastSyncAt: null},
  '/gate/scope': {
    service: 'checkout-api',
    namespace: 'prod',
    releaseId: 'rel-2026-11-22.3',
    sourceSha: '4f2c9e1d7a',
    imageDigest: 'sha256:aa11',
    manifestPath: 'out/rendered.yaml',
  },
}

beforeAll(async () => {
  api = await startServer((req, res) => {
    const body = statuses[(req.url ?? '/').split('?')[0]]
    if (body === undefined) return send(res, 404, {error: 'not found'})
    send(res, 200, body)
  })
})
afterAll(() => api.close())

async function check(evidence: Record<string, unknown>): Promise<FilledOutcome> {
  const ctx = makeContext({target: {baseUrl: api.url}, evidence})
  try {
    return await runCheck(evidenceFreshness, ctx)
  } finally {
    await ctx.close()
  }
}

const connector = (path: string, lastSync = '$.lastSyncAt', maxAge = '30m') => ({
  connectors: [{name: path.split('/').pop(), url: path, lastSync, maxAge}],
})

describe('evidence-freshness', () => {
  it('a connector that synced 2 minutes ago, and a scope that matches: pass, no false alarm', async () => {
    const o = await check({
      ...connector('/connectors/fresh'),
      scope: {
        url: '/gate/scope',
        expect: ['$.service == checkout-api', '$.namespace == prod', '$.sourceSha == 4f2c9e1d7a'],
      },
    })
    expect(o.status, o.message).toBe('pass')
    expect(o.message).toMatch(/fresh synced 2 min ago \(limit 30m\)/)
  })

  const stale: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      'stale with no error recorded',
      connector('/connectors/stale'),
      'gate-hold-missing-evidence#evidence-stale',
      /stale last synced 3 h ago .*longer ago than the 30m allowed/,
    ],
    [
      'stale, its last error a 401',
      connector('/connectors/auth'),
      'connector-stale#worker-cannot-authenticate',
      /401 Unauthorized: invalid token/,
    ],
    [
      'stale, its last error an RBAC denial',
      connector('/connectors/scope', '$.sync.lastSuccess'),
      'connector-stale#scope-too-narrow',
      /is forbidden/,
    ],
    [
      'stale, the query not on the allowlist',
      connector('/connectors/allowlist'),
      'connector-stale#query-not-allowlisted',
      /allowlist/,
    ],
    [
      'stale, the provider host does not resolve',
      connector('/connectors/url'),
      'connector-stale#provider-url-wrong',
      /no such host/,
    ],
    [
      'never synced',
      connector('/connectors/never'),
      'gate-hold-missing-evidence#evidence-stale',
      /\$\.lastSyncAt is null, not a date .*never synced/,
    ],
  ]
  for (const [name, evidence, kb, message] of stale) {
    it(name, async () => {
      const o = await check(evidence)
      expect(o.status, o.message).toBe('fail')
      expect(o.cause?.kb).toBe(kb)
      expect(o.message).toMatch(message)
    })
  }

  const scope: Array<[string, string[], string, RegExp]> = [
    [
      'another service name',
      ['$.service == checkout', '$.namespace == prod'],
      'gate-hold-missing-evidence#service-or-namespace-mismatch',
      /\$\.service is "checkout-api", expected "checkout"/,
    ],
    [
      'another source SHA',
      ['$.service == checkout-api', '$.sourceSha == 9b8a7c6d5e'],
      'gate-hold-missing-evidence#release-identity-mismatch',
      /\$\.sourceSha is "4f2c9e1d7a", expected "9b8a7c6d5e"/,
    ],
    [
      'another manifest path',
      ['$.manifestPath == dist/manifests.yaml'],
      'gate-hold-missing-evidence#manifest-path-wrong',
      /\$\.manifestPath/,
    ],
  ]
  for (const [name, expectList, kb, message] of scope) {
    it(`evidence scope: ${name}, field by field`, async () => {
      const o = await check({scope: {url: '/gate/scope', expect: expectList}})
      expect(o.status).toBe('fail')
      expect(o.cause?.kb).toBe(kb)
      expect(o.message).toMatch(message)
      expect(o.items?.length).toBe(expectList.length)
    })
  }

  it('an unreadable status is an error with the reason; nothing configured is a skip', async () => {
    const o = await check(connector('/connectors/missing'))
    expect(o.status).toBe('error')
    expect(o.message).toMatch(/answered 404/)
    const ctx = makeContext({target: {baseUrl: api.url}})
    expect((await runCheck(evidenceFreshness, ctx)).status).toBe('skip')
    await ctx.close()
  })
})
