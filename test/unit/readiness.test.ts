import type {FilledOutcome} from '../../src/kb/cause.js'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer as createHttpsServer} from 'node:https'
import type {ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import readiness from '../../checks/readiness.js'
import {makeContext, runCheck} from '../helpers/context.js'
import {send, startServer, type TestServer} from '../helpers/servers.js'

const HEALTH_JSON = 'application/health+json'

/** Each path of the test server is one kind of deployment answer. */
const routes: Record<string, (res: ServerResponse) => void> = {
  '/health/ietf-pass': (res) =>
    send(
      res,
      200,
      {
        status: 'pass',
        version: '1',
        checks: {
          'postgres:connections': [{componentId: 'pg-1', status: 'pass', observedValue: 4}],
          'redis:responseTime': [{componentId: 'redis-1', status: 'pass', observedValue: 1, observedUnit: 'ms'}],
        },
      },
      HEALTH_JSON,
    ),
  '/healthz/plain': (res) => send(res, 200, 'ok', 'text/plain'),
  '/health/ietf-redis-down': (res) =>
    send(
      res,
      503,
      {
        status: 'fail',
        checks: {
          'postgres:connections': [{componentId: 'pg-1', status: 'pass'}],
          'redis:connections': [
            {componentId: 'redis-1', status: 'fail', output: 'dial tcp 10.0.0.7:6379: connect: connection refused'},
          ],
        },
      },
      HEALTH_JSON,
    ),
  '/actuator/health': (res) =>
    send(
      res,
      503,
      {
        status: 'DOWN',
        components: {
          db: {
            status: 'DOWN',
            components: {
              primary: {
                status: 'DOWN',
                details: {error: 'org.springframework.jdbc.CannotGetJdbcConnectionException: Connection refused'},
              },
              replica: {status: 'UP', details: {database: 'PostgreSQL'}},
            },
          },
          diskSpace: {status: 'UP', details: {total: 100, free: 50, threshold: 10, exists: true}},
          ping: {status: 'UP'},
        },
      },
      'application/vnd.spring-boot.actuator.v3+json',
    ),
  '/api/v1/ready': (res) => send(res, 503, {status: 'not ready', postgres: 'ok', redis: 'down'}),
  '/ready/generic-checks': (res) =>
    send(res, 503, {checks: {postgres: 'ok', redis: {status: 'fail', output: 'connection refused'}}}),
  '/health/ok-but-failing': (res) =>
    send(
      res,
      200,
      {
        status: 'fail',
        checks: {
          'redis:connections': [{status: 'fail', output: 'i/o timeout'}],
          'postgres:connections': [{status: 'pass'}],
        },
      },
      HEALTH_JSON,
    ),
  '/health/pass-with-failing-component': (res) =>
    send(
      res,
      200,
      {
        status: 'pass',
        checks: {
          'search:responseTime': [{status: 'fail', output: 'index unavailable'}],
          'postgres:connections': [{status: 'pass'}],
        },
      },
      HEALTH_JSON,
    ),
  '/health/spring-unknown': (res) =>
    send(res, 200, {status: 'UP', components: {db: {status: 'UP'}, mail: {status: 'UNKNOWN'}}}),
  '/health/warn': (res) =>
    send(res, 200, {status: 'warn', checks: {'disk:utilization': [{status: 'warn', output: '91% used'}]}}, HEALTH_JSON),
  '/readyz': (res) =>
    send(
      res,
      500,
      '[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]poststarthook/start-informers ok\nreadyz check failed\n',
      'text/plain',
    ),
  '/health/503-silent': (res) => send(res, 503, 'Service Unavailable', 'text/plain'),
  '/health/502': (res) => {
    res.setHeader('server', 'nginx')
    send(res, 502, '<html><body>502 Bad Gateway</body></html>', 'text/html')
  },
  '/health/spa': (res) => send(res, 200, '<!doctype html><html><body><div id="root"></div></body></html>', 'text/html'),
  '/health/secured': (res) => {
    res.setHeader('www-authenticate', 'Bearer realm="api"')
    send(res, 401, {error: 'unauthorized'})
  },
  '/health/behind-login': (res) => {
    res.writeHead(302, {location: '/login?next=%2Fhealth%2Fbehind-login'})
    res.end()
  },
  '/health/no-content': (res) => {
    res.writeHead(204)
    res.end()
  },
  '/health/large': (res) => send(res, 200, {status: 'pass', padding: 'x'.repeat(4096)}),
  '/health/large-503': (res) => send(res, 503, {status: 'fail', padding: 'x'.repeat(4096)}),
}

let server: TestServer

beforeAll(async () => {
  server = await startServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname]
    if (route) route(res)
    else send(res, 404, {error: 'not found'})
  })
})

afterAll(async () => {
  await server.close()
})

type EndpointConfig = string | {url: string; name?: string; headers?: Record<string, string>; expectStatus?: number}

async function runReadiness(
  endpoints: EndpointConfig[],
  http: Parameters<typeof makeContext>[1] = {},
): Promise<FilledOutcome> {
  const ctx = makeContext({target: {baseUrl: server.url}, readiness: {endpoints}}, http)
  try {
    return await runCheck(readiness, ctx)
  } finally {
    await ctx.close()
  }
}

const fetchesOf = (path: string) => server.seen.filter((line) => line === `GET ${path}`).length

describe('readiness: healthy endpoints', () => {
  it('passes an application/health+json body whose checks all pass, without a cause', async () => {
    const outcome = await runReadiness(['/health/ietf-pass'])
    expect(outcome.status).toBe('pass')
    expect(outcome.cause).toBeUndefined()
    expect(outcome.message).toMatch(/200 OK, "pass", 2 checks pass/)
    expect(outcome.evidence?.exchanges).toHaveLength(1)
  })

  it('passes a plain-text 200 "ok"', async () => {
    const outcome = await runReadiness(['/healthz/plain'])
    expect(outcome.status).toBe('pass')
    expect(outcome.message).toContain('answered 200 OK')
  })

  it('passes a 204 when expectStatus says 204, and fails a 200 when it does not match', async () => {
    const matching = await runReadiness([{url: '/health/no-content', expectStatus: 204}])
    expect(matching.status).toBe('pass')
    const mismatched = await runReadiness([{url: '/healthz/plain', expectStatus: 204}])
    expect(mismatched.status).toBe('fail')
    expect(mismatched.message).toMatch(/answered 200 OK, not 204 \(expectStatus\)/)
    expect(mismatched.cause?.kb).toBe('service-not-ready#unexpected-status')
  })

  it('treats any 2xx as healthy when expectStatus is not set', async () => {
    const outcome = await runReadiness(['/health/no-content'])
    expect(outcome.status).toBe('pass')
    expect(outcome.message).toContain('empty body')
  })
})

describe('readiness: failing dependencies', () => {
  it('names the failing IETF check of a 503 and not the passing one', async () => {
    const outcome = await runReadiness([{url: '/health/ietf-redis-down', name: 'api'}])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain(
      'api: answered 503 Service Unavailable; failing: redis:connections (fail: dial tcp 10.0.0.7:6379: connect: connection refused)',
    )
    expect(outcome.message).not.toContain('postgres')
    expect(outcome.cause?.kb).toBe('service-not-ready#dependency-down')
    expect(outcome.cause?.summary).toContain('redis')
    expect(outcome.cause?.verify[0]).toContain(`curl -i '${server.url}/health/ietf-redis-down'`)
  })

  it('walks nested Spring Boot components and names the leaf that is DOWN', async () => {
    const outcome = await runReadiness(['/actuator/health'])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain(
      'db/primary (DOWN: org.springframework.jdbc.CannotGetJdbcConnectionException: Connection refused)',
    )
    expect(outcome.message).not.toMatch(/replica|diskSpace|ping|db \(DOWN/)
  })

  it('reads the secrets-bridge style body {"status":"not ready","postgres":"ok","redis":"down"}', async () => {
    const outcome = await runReadiness(['/api/v1/ready'])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain('failing: redis (down)')
    expect(outcome.message).not.toContain('postgres')
  })

  it('reads a generic checks map mixing strings and objects', async () => {
    const outcome = await runReadiness(['/ready/generic-checks'])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain('failing: redis (fail: connection refused)')
    expect(outcome.message).not.toContain('postgres')
  })

  it('fails a 200 whose body reports failure, and says probes are misled', async () => {
    const outcome = await runReadiness(['/health/ok-but-failing'])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toMatch(
      /answers 200 OK while its body reports failure; failing: redis:connections \(fail: i\/o timeout\)/,
    )
    expect(outcome.message).toContain('read only the status code')
    expect(outcome.message).not.toContain('postgres')
    expect(outcome.cause?.kb).toBe('service-not-ready#ok-status-on-failure')
    expect(outcome.cause?.fix.join(' ')).toContain('503')
  })

  it('warns when the overall status passes but a component fails', async () => {
    const outcome = await runReadiness(['/health/pass-with-failing-component'])
    expect(outcome.status).toBe('warn')
    expect(outcome.message).toContain('search:responseTime (fail: index unavailable) is failing')
    expect(outcome.cause?.kb).toBe('service-not-ready#degraded')
  })

  it('warns when Spring Boot reports UP with a component in UNKNOWN', async () => {
    const outcome = await runReadiness(['/health/spring-unknown'])
    expect(outcome.status).toBe('warn')
    expect(outcome.message).toContain('reports "UP" overall, but mail (UNKNOWN) is degraded')
    expect(outcome.message).not.toContain('db')
  })

  it('warns on status "warn" and names the concern', async () => {
    const outcome = await runReadiness(['/health/warn'])
    expect(outcome.status).toBe('warn')
    expect(outcome.message).toContain('disk:utilization (warn: 91% used)')
  })

  it('names the [-] lines of a Kubernetes-style text body with a 500', async () => {
    const outcome = await runReadiness(['/readyz'])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain('answered 500 Internal Server Error; failing: etcd (failed: reason withheld)')
    expect(outcome.message).not.toMatch(/ping|poststarthook/)
  })

  it('says when a 503 body names no dependency, and points at the logs', async () => {
    const outcome = await runReadiness(['/health/503-silent'])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain('the body did not say which dependency failed')
    expect(outcome.message).toContain('logs')
    expect(outcome.cause?.kb).toBe('service-not-ready#not-ready')
  })

  it('blames the proxy for a 502', async () => {
    const outcome = await runReadiness(['/health/502'])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain(
      '502 Bad Gateway (Server: nginx): a proxy could not get a valid answer from the app',
    )
    expect(outcome.cause?.kb).toBe('service-not-ready#proxy-upstream')
  })
})

describe('readiness: wrong path, credentials, redirects', () => {
  it('fails a 404 as a wrong path and suggests the common ones', async () => {
    const outcome = await runReadiness(['/healthcheck'])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain('404 Not Found: wrong path?')
    expect(outcome.message).toContain('/readyz, /healthz, /health, /ready, /-/ready, /actuator/health, /api/v1/health')
    expect(outcome.cause?.kb).toBe('service-not-ready#wrong-path')
  })

  it('warns about an HTML page answered with 200 (a catch-all route)', async () => {
    const outcome = await runReadiness(['/health/spa'])
    expect(outcome.status).toBe('warn')
    expect(outcome.message).toContain('HTML page')
    expect(outcome.cause?.kb).toBe('service-not-ready#wrong-path')
  })

  it('warns on 401: the endpoint needs credentials', async () => {
    const outcome = await runReadiness(['/health/secured'])
    expect(outcome.status).toBe('warn')
    expect(outcome.message).toContain('requires credentials (401 Unauthorized, WWW-Authenticate: Bearer)')
    expect(outcome.cause?.kb).toBe('service-not-ready#auth-required')
    expect(outcome.cause?.fix.join(' ')).toContain('headers')
  })

  it('warns on a redirect to a login page and says where it went', async () => {
    const outcome = await runReadiness(['/health/behind-login'])
    expect(outcome.status).toBe('warn')
    expect(outcome.message).toContain('redirected (302 Found) to /login?next=%2Fhealth%2Fbehind-login, a login page')
    expect(outcome.cause?.kb).toBe('service-not-ready#redirected')
  })
})

describe('readiness: connection failures', () => {
  it('fails with the refusal and its hint when nothing listens', async () => {
    const closed = await startServer(() => {})
    await closed.close()
    const outcome = await runReadiness([`${closed.url}/readyz`])
    expect(outcome.status).toBe('fail')
    expect(outcome.message).toContain(`connection refused by 127.0.0.1:${closed.port}. Nothing is listening there`)
    expect(outcome.cause?.kb).toBe('service-not-ready#unreachable')
    expect(outcome.evidence?.observed).toMatchObject([{error: {kind: 'refused'}}])
  })

  it('fails with a timeout, quickly, when the server accepts but never answers', async () => {
    const silent = await startServer(() => {})
    try {
      const outcome = await runReadiness([`${silent.url}/readyz`], {timeoutMs: 500})
      expect(outcome.status).toBe('fail')
      expect(outcome.evidence?.observed).toMatchObject([{error: {kind: 'timeout'}}])
      expect(outcome.message).toContain('did not answer within 500 ms')
      expect(outcome.cause?.kb).toBe('service-not-ready#hung')
    } finally {
      await silent.close()
    }
  })

  describe('with a self-signed certificate', () => {
    let dir: string | undefined
    let tls: {url: string; close(): Promise<void>} | undefined

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'doctor-readiness-'))
      const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')]
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:prime256v1',
            '-nodes',
            '-keyout',
            key,
            '-out',
            cert,
            '-days',
            '1',
            '-subj',
            '/CN=127.0.0.1',
            '-addext',
            'subjectAltName=IP:127.0.0.1',
          ],
          {stdio: 'ignore'},
        )
      } catch {
        return // no openssl: the test below reports it
      }
      const https = createHttpsServer({key: readFileSync(key), cert: readFileSync(cert)}, (_req, res) =>
        send(res, 200, 'ok', 'text/plain'),
      )
      await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
      tls = {
        url: `https://127.0.0.1:${(https.address() as AddressInfo).port}`,
        close: () => new Promise<void>((resolve) => (https.closeAllConnections(), https.close(() => resolve()))),
      }
    })

    afterAll(async () => {
      await tls?.close()
      if (dir) rmSync(dir, {recursive: true, force: true})
    })

    it('fails and tells the user about --ca', async () => {
      expect(tls, 'openssl is needed to make the test certificate').toBeDefined()
      const outcome = await runReadiness([`${tls!.url}/readyz`])
      expect(outcome.status).toBe('fail')
      expect(outcome.cause?.kb).toBe('service-not-ready#tls')
      expect(outcome.message).toContain('--ca')
      expect(outcome.evidence?.observed).toMatchObject([{error: {kind: 'tls'}}])
    })
  })
})

describe('readiness: several endpoints, memoisation, secrets, truncation', () => {
  it('reports one item per endpoint, and the worst decides', async () => {
    const outcome = await runReadiness([
      {url: '/health/ietf-pass', name: 'api'},
      {url: '/api/v1/ready', name: 'worker'},
    ])
    expect(outcome.status).toBe('fail')
    expect(outcome.items).toEqual([
      {label: 'api', status: 'pass', message: expect.stringContaining('200 OK')},
      {label: 'worker', status: 'fail', message: expect.stringContaining('failing: redis (down)')},
    ])
    expect(outcome.message).toMatch(/^1 of 2 endpoints is not ready\. worker: answered 503/)
    expect(outcome.message).not.toContain('api:')
    expect(outcome.evidence?.exchanges).toHaveLength(2)
  })

  it('fetches a URL once however many times it is asked for', async () => {
    const path = '/healthz/plain?memo=1'
    const ctx = makeContext({target: {baseUrl: server.url}, readiness: {endpoints: [path, path]}})
    try {
      const first = await runCheck(readiness, ctx)
      const second = await runCheck(readiness, ctx)
      expect(first.status).toBe('pass')
      expect(second.status).toBe('pass')
      expect(fetchesOf(path)).toBe(1)
    } finally {
      await ctx.close()
    }
  })

  it('never puts a configured Authorization value in the outcome', async () => {
    const token = 'hc-7f3a9c2e5b1d4f60a8e2'
    for (const path of ['/health/secured', '/health/ietf-redis-down']) {
      const outcome = await runReadiness([{url: path, headers: {Authorization: `Bearer ${token}`}}])
      const serialised = JSON.stringify(outcome)
      expect(serialised).not.toContain(token)
      expect(outcome.cause?.verify.join(' ')).toContain("-H 'Authorization: …'")
    }
    const rejected = await runReadiness([{url: '/health/secured', headers: {Authorization: `Bearer ${token}`}}])
    expect(rejected.message).toContain('refused the configured Authorization header (401 Unauthorized')
  })

  it('still classifies a truncated body by its status and says so', async () => {
    const healthy = await runReadiness(['/health/large'], {maxBodyBytes: 256})
    expect(healthy.status).toBe('pass')
    expect(healthy.message).toContain('the body was cut at 256 bytes')
    const failing = await runReadiness(['/health/large-503'], {maxBodyBytes: 256})
    expect(failing.status).toBe('fail')
    expect(failing.message).toMatch(
      /503 Service Unavailable: not ready.*cut at 256 bytes by http.maxBodyBytes; judged by the status code alone/,
    )
  })
})
