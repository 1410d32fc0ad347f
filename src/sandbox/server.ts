import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {type FaultId, IDP_CLOCK_OFFSET_SECONDS} from './faults.js'

export interface Sandbox {
  appUrl: string
  idpUrl: string
  faults: ReadonlySet<FaultId>
  /** A doctor.yaml (as an object) that points at this sandbox. */
  config: Record<string, unknown>
  stop(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body, null, 2)
  res.writeHead(status, {'content-type': type, 'cache-control': 'no-store'})
  res.end(text)
}

function html(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {'content-type': 'text/html; charset=utf-8'})
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`)
}

async function listen(handler: Handler, clockOffsetMs = 0, host = '127.0.0.1', port = 0): Promise<{server: Server; url: string}> {
  const server = createServer((req, res) => {
    if (clockOffsetMs !== 0) {
      res.sendDate = false
      res.setHeader('date', new Date(Date.now() + clockOffsetMs).toUTCString())
    }
    try {
      handler(req, res, new URL(req.url ?? '/', `http://${req.headers.host ?? host}`))
    } catch (error) {
      json(res, 500, {error: (error as Error).message})
    }
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const address = server.address() as AddressInfo
  return {server, url: `http://${host}:${address.port}`}
}

/** The app: a console page, an API with bearer auth, liveness and readiness endpoints. */
function appHandler(faults: ReadonlySet<FaultId>): Handler {
  return (req, res, url) => {
    switch (url.pathname) {
      case '/':
        return html(res, 200, 'Sandbox app', '<p><a href="/console">Open the console</a></p>')
      case '/console':
        return html(res, 200, 'Console', '<p>Releases, evidence and settings live here.</p>')
      case '/healthz':
        res.writeHead(200, {'content-type': 'text/plain'})
        return res.end('ok')
      case '/readyz': {
        const redisDown = faults.has('redis-down')
        return json(
          res,
          redisDown ? 503 : 200,
          {
            status: redisDown ? 'fail' : 'pass',
            serviceId: 'sandbox-api',
            checks: {
              'postgres:connections': [{componentType: 'datastore', status: 'pass', observedValue: 4}],
              'redis:connections': [redisDown ? {componentType: 'datastore', status: 'fail', output: 'dial tcp 127.0.0.1:6379: connect: connection refused'} : {componentType: 'datastore', status: 'pass', observedValue: 2}],
            },
          },
          'application/health+json',
        )
      }
      case '/api/v1/whoami': {
        if (!req.headers.authorization) {
          res.writeHead(401, {'www-authenticate': 'Bearer realm="sandbox"', 'content-type': 'application/json'})
          return res.end('{"error":"unauthorized"}')
        }
        return json(res, 200, {user: 'ci-bot', scopes: ['gate:read']})
      }
      default:
        return json(res, 404, {error: 'not found', path: url.pathname})
    }
  }
}

/**
 * Stands in for the identity provider until the login checks bring a real OpenID Provider:
 * it serves a discovery document and, with the idp-clock-ahead fault, a clock that runs fast.
 */
function idpHandler(issuer: () => string): Handler {
  return (_req, res, url) => {
    if (url.pathname === '/.well-known/openid-configuration') {
      const base = issuer()
      return json(res, 200, {issuer: base, authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`})
    }
    if (url.pathname === '/jwks') return json(res, 200, {keys: []})
    return json(res, 404, {error: 'not_found'})
  }
}

export async function startSandbox(options: {faults: Iterable<FaultId>; host?: string}): Promise<Sandbox> {
  const faults = new Set(options.faults)
  const host = options.host ?? '127.0.0.1'
  let idpUrl = ''
  const app = await listen(appHandler(faults), 0, host)
  const idp = await listen(idpHandler(() => idpUrl), faults.has('idp-clock-ahead') ? IDP_CLOCK_OFFSET_SECONDS * 1000 : 0, host)
  idpUrl = idp.url
  const config = {
    target: {name: 'sandbox', baseUrl: app.url},
    oidc: {issuer: idp.url, clientId: 'sandbox-console'},
    readiness: {endpoints: [{url: '/readyz', name: 'api'}, {url: '/healthz', name: 'liveness'}]},
    clock: {samples: 5},
  }
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return {
    appUrl: app.url,
    idpUrl: idp.url,
    faults,
    config,
    stop: async () => {
      await Promise.all([close(app.server), close(idp.server)])
    },
  }
}
