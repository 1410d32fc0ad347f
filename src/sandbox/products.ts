import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {request as httpRequest, type IncomingMessage, type ServerResponse} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {FaultId} from './faults.js'

/**
 * The product-shaped parts of the sandbox: a Rack Gateway stand-in in front of a Convox API
 * stand-in, the api-test portal (SPA and audit list), secrets-bridge agents with their
 * heartbeat audit events, and a CI workflow that runs the release gate. Each carries one fault.
 */

export interface ProductSecrets {
  /** Rack Gateway API token (rgw_…), what gateway.headers sends. */
  rgwToken: string
  /** The Convox rack's API password, RACK_TOKEN. */
  rackToken: string
  /** api-test API key (X-API-Key). */
  apiKey: string
  /** secrets-bridge admin token with audit.read. */
  adminToken: string
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {'content-type': 'application/json', 'cache-control': 'no-store'})
  res.end(JSON.stringify(body, null, 2))
}

function text(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, {'content-type': type, 'cache-control': 'no-store'})
  res.end(body)
}

const AGENT = 'agent-eu-1'

/** The Convox API stand-in: basic auth with RACK_TOKEN as the password, like a rack. */
export function rackHandler(secrets: ProductSecrets) {
  return (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const auth = /^Basic (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
    const password = auth ? Buffer.from(auth, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined
    if (password !== secrets.rackToken) return text(res, 401, 'invalid authentication\n', 'text/plain')
    if (url.pathname === '/system')
      return json(res, 200, {name: 'sandbox-rack', provider: 'local', status: 'running', version: '3.19.0'})
    if (url.pathname === '/apps') return json(res, 200, [{name: 'sandbox-api', status: 'running'}])
    return text(res, 404, 'not found\n', 'text/plain')
  }
}

/** The Rack Gateway stand-in: its own health, and every other GET forwarded to RACK_HOST with RACK_TOKEN. */
export function gatewayHandler(secrets: ProductSecrets, rackHost: () => string) {
  return (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    if (url.pathname === '/api/v1/health') return json(res, 200, {status: 'ok', database: 'ok'})
    if (req.headers.authorization !== `Bearer ${secrets.rgwToken}`) return json(res, 401, {error: 'unauthorized'})
    if (req.method !== 'GET') return json(res, 405, {error: 'the sandbox gateway forwards GET only'})
    const upstream = new URL(`${url.pathname}${url.search}`, rackHost())
    const forwarded = httpRequest(
      upstream,
      {
        method: 'GET',
        timeout: 2000,
        headers: {authorization: `Basic ${Buffer.from(`convox:${secrets.rackToken}`).toString('base64')}`},
      },
      (up) => {
        const chunks: Buffer[] = []
        up.on('data', (c: Buffer) => chunks.push(c))
        up.on('end', () => {
          if (up.statusCode === 401)
            return text(
              res,
              502,
              'Bad Gateway: upstream rejected the rack token (invalid authentication)\n',
              'text/plain',
            )
          res.writeHead(up.statusCode ?? 502, {
            'content-type': String(up.headers['content-type'] ?? 'application/json'),
          })
          res.end(Buffer.concat(chunks))
        })
      },
    )
    forwarded.on('timeout', () => forwarded.destroy(new Error('upstream timeout')))
    forwarded.on('error', () => {
      if (!res.headersSent) text(res, 502, 'Bad Gateway\n', 'text/plain')
    })
    forwarded.end()
  }
}

const PORTAL_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>api-test portal</title><script type="module" crossorigin src="/portal/assets/index-5f2a9c.js"></script><link rel="stylesheet" crossorigin href="/portal/assets/index-9c1e7b.css"></head><body><div id="root"></div></body></html>`

interface AuditEvent {
  occurred_at: string
  actor: string
  action: string
  path: string
  status: number
}

/**
 * Routes of the app for the products' APIs; answers undefined when the path is not one of
 * them, so the app's own routes take over.
 */
export function productRoutes(faults: ReadonlySet<FaultId>, secrets: ProductSecrets) {
  const audit: AuditEvent[] = []
  const auditing = !faults.has('audit-disabled')
  return (req: IncomingMessage, res: ServerResponse, url: URL): true | undefined => {
    const apiKey = req.headers['x-api-key'] === secrets.apiKey
    const admin = req.headers.authorization === `Bearer ${secrets.adminToken}`
    switch (url.pathname) {
      case '/portal/':
        if (faults.has('portal-json-banner'))
          json(res, 200, {status: 'banner', service: 'api-test', message: 'portal UI not embedded in this build'})
        else text(res, 200, PORTAL_HTML, 'text/html; charset=utf-8')
        return true
      case '/portal/assets/index-5f2a9c.js':
        text(res, 200, 'document.getElementById("root").textContent = "api-test portal"\n', 'text/javascript')
        return true
      case '/portal/assets/index-9c1e7b.css':
        text(res, 200, '#root{font-family:sans-serif}\n', 'text/css')
        return true
      case '/v1/whoami':
        if (!apiKey) {
          res.writeHead(401, {'www-authenticate': 'Bearer realm="api-test"', 'content-type': 'application/json'})
          res.end('{"error":"unauthorized"}')
          return true
        }
        if (auditing)
          audit.unshift({
            occurred_at: new Date().toISOString(),
            actor: 'sandbox-dev',
            action: 'http.request',
            path: url.pathname,
            status: 200,
          })
        json(res, 200, {key: 'sandbox-dev', anonymous: false})
        return true
      case '/api/v1/portal/audit':
        if (!apiKey) json(res, 401, {error: 'unauthorized'})
        else json(res, 200, {events: audit.slice(0, 50), total: audit.length})
        return true
      case '/api/v1/agents': {
        if (!admin) {
          json(res, 401, {error: 'unauthorized'})
          return true
        }
        const stale = faults.has('agent-wrong-secret')
        json(res, 200, [
          {
            id: 'a6f1c2',
            name: AGENT,
            status: stale ? 'stale' : 'healthy',
            last_heartbeat_at: new Date(Date.now() - (stale ? 25 * 60_000 : 10_000)).toISOString(),
          },
        ])
        return true
      }
      case '/api/v1/audit-events': {
        if (!admin) {
          json(res, 401, {error: 'unauthorized'})
          return true
        }
        const action = url.searchParams.get('action')
        // The agent heartbeats every 30 s; with the wrong secret each one is denied and audited.
        const denied = faults.has('agent-wrong-secret')
        const heartbeats = Array.from({length: 10}, (_, i) => ({
          occurred_at: new Date(Date.now() - (i + 1) * 30_000).toISOString(),
          actor: `agent:${AGENT}`,
          action: 'agent.heartbeat',
          resource: `agents/${AGENT}`,
          status: denied ? 'denied' : 'ok',
          metadata: denied ? {error_kind: 'unauthorized'} : {},
        }))
        json(res, 200, action && action !== 'agent.heartbeat' ? [] : heartbeats)
        return true
      }
      default:
        return undefined
    }
  }
}

/** A checkout with a GitHub Actions workflow that runs the release gate, in a temporary folder. */
export function writePipeline(faults: ReadonlySet<FaultId>, apiUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-sandbox-ci-'))
  mkdirSync(join(dir, '.github', 'workflows'), {recursive: true})
  const serverMode = faults.has('pipeline-local-mode') ? '' : ` \\\n            --api-url ${apiUrl}`
  writeFileSync(
    join(dir, '.github', 'workflows', 'release.yml'),
    `name: release
on:
  push:
    branches: [main]
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Release gate
        env:
          RELEASEPASSPORT_TOKEN: \${{ secrets.RELEASEPASSPORT_TOKEN }}
        run: |
          releasepassport gate \\
            --service sandbox-api \\
            --environment production${serverMode}
`,
  )
  return dir
}
