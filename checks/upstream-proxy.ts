import {
  type CauseRef,
  type CheckOutcome,
  defineCheck,
  type Evidence,
  fail,
  type Item,
  pass,
  skip,
  warn,
} from '../src/engine/check.js'
import {oneLine, statusLine} from '../src/facts/wording.js'
import type {HttpResult} from '../src/http/client.js'

const E = 'upstream-bad-gateway'
const PREFLIGHT = 'upstream-platform-cannot-reach#healthz-blocked'

export default defineCheck({
  meta: {
    id: 'upstream-proxy',
    title: 'The gateway forwards requests to its upstream',
    failureTitle: 'The gateway answers "Bad Gateway": its upstream call fails',
    area: 'platform',
    description:
      "GETs the gateway's own health endpoint and a read-only call the gateway forwards to its upstream (Rack Gateway: the Convox API). A 502, 503 or 504 on the forwarded call while the gateway is healthy is an upstream failure; the body tells a rejected upstream credential (RACK_TOKEN) apart, and a direct request to gateway.upstreamUrl tells an unreachable upstream from a gateway pointed at the wrong host (RACK_HOST). A refused health path while forwarded calls work is reported too: pre-flight probes fail on it.",
    needs: ['gateway.upstreamProbe'],
    kb: [E, `${E}#convox-api-unreachable`, `${E}#rack-token-invalid`, `${E}#rack-host-misconfigured`, PREFLIGHT],
  },
  async run(ctx) {
    const cfg = ctx.config.gateway
    if (!cfg)
      return skip(
        'no gateway section in the config: set gateway.upstreamProbe to a read-only call the gateway forwards',
      )
    const facts = ctx.facts
    const probeUrl = facts.resolveUrl(cfg.upstreamProbe)
    const [health, probe] = await Promise.all([
      cfg.health
        ? facts.fetch({url: facts.resolveUrl(cfg.health), headers: cfg.headers, purpose: 'upstream-proxy'})
        : undefined,
      facts.fetch({url: probeUrl, headers: {accept: 'application/json', ...cfg.headers}, purpose: 'upstream-proxy'}),
    ])
    const exchanges = [...(health ? [health.exchange] : []), probe.exchange]
    const items: Item[] = []
    const gateway = health ? judgeHealth(health) : undefined
    if (health && gateway)
      items.push({label: 'gateway health', status: gateway.ok ? 'pass' : 'fail', message: gateway.text})

    if (!probe.response) {
      const error = probe.error ?? {kind: 'other' as const, message: 'no response'}
      if (error.kind === 'aborted') return {status: 'timeout', message: error.message, evidence: {exchanges}}
      if (gateway && !gateway.ok) return gatewayDown(gateway.text, health!, items, exchanges)
      return {
        status: 'error',
        message: `could not reach the gateway at ${probe.exchange.url}: ${error.message}. That is not an upstream failure: check gateway.upstreamProbe and \`doctor run readiness\``,
        items,
        evidence: {notes: error.hint ? [error.hint] : [], exchanges},
      }
    }
    const res = probe.response
    const body = res.text().slice(0, 4096)
    const said = oneLine(probe.exchange.bodySnippet ?? '')
    const ok = res.status >= 200 && res.status <= 299
    const snippet =
      !ok && said && !statusLine(res.status).toLowerCase().endsWith(said.toLowerCase()) ? ` (${said})` : ''
    const forwarded = `GET ${probe.exchange.url} answered ${statusLine(res.status)}${snippet}`
    const badGateway = [502, 503, 504].includes(res.status) || (res.status >= 500 && /bad gateway|upstream/i.test(body))

    if (!badGateway && gateway && !gateway.ok && gateway.down)
      return gatewayDown(gateway.text, health!, items, exchanges)
    if (ok) {
      items.push({label: 'forwarded call', status: 'pass', message: forwarded})
      if (gateway && !gateway.ok) return preflightRefused(gateway.text, health!, forwarded, items, exchanges)
      return pass(
        `the gateway forwards: ${forwarded}${gateway ? `; its health answers ${statusLine(health!.response!.status)}` : ''}`,
        {items, evidence: {exchanges}},
      )
    }
    if (!badGateway) {
      items.push({label: 'forwarded call', status: 'error', message: forwarded})
      const hint =
        res.status === 401 || res.status === 403
          ? 'The gateway itself refused the request: put a gateway API token (Rack Gateway: an rgw_ token) with read access in gateway.headers.'
          : res.status >= 300 && res.status < 400
            ? 'The gateway redirects (a redirect to a login page means it wants a credential in gateway.headers).'
            : res.status === 404
              ? 'The gateway does not know that path: set gateway.upstreamProbe to a call it forwards.'
              : 'Check gateway.upstreamProbe and what the gateway expects.'
      return {
        status: 'error',
        message: `cannot tell whether the upstream works: ${forwarded}, which is not a forwarding failure`,
        items,
        evidence: {notes: [hint], exchanges},
      }
    }

    items.push({label: 'forwarded call', status: 'fail', message: forwarded})
    if (gateway && !gateway.ok) return gatewayDown(gateway.text, health!, items, exchanges)
    const healthy = gateway ? `the gateway is up (health ${statusLine(health!.response!.status)}), but ` : ''
    if (/invalid authentication|unauthori[sz]ed|\b401\b|invalid token|forbidden/i.test(body)) {
      return fail(`${healthy}${forwarded}: the upstream refuses the gateway's own credential`, causes.token(probeUrl), {
        items,
        evidence: {exchanges},
      })
    }
    if (!cfg.upstreamUrl) {
      return fail(
        `${healthy}${forwarded}: the gateway's call to its upstream fails. Set gateway.upstreamUrl to the upstream's URL to tell an unreachable upstream from a wrong RACK_HOST`,
        causes.unknown(probeUrl),
        {items, evidence: {exchanges}},
      )
    }
    const direct = await facts.fetch({url: cfg.upstreamUrl, purpose: 'upstream-proxy'})
    exchanges.push(direct.exchange)
    const evidence: Evidence = {
      exchanges,
      observed: {gateway: res.status, upstreamDirect: direct.response?.status ?? direct.error?.message},
    }
    if (!direct.response) {
      const error = direct.error ?? {kind: 'other' as const, message: 'no response'}
      if (error.kind === 'aborted') return {status: 'timeout', message: error.message, items, evidence}
      items.push({label: 'upstream, directly', status: 'fail', message: error.message})
      return fail(
        `${healthy}${forwarded}, and the upstream at ${direct.exchange.url} does not answer from here either (${error.message}): the upstream API is down or unreachable`,
        causes.unreachable(direct.exchange.url),
        {items, evidence},
      )
    }
    items.push({label: 'upstream, directly', status: 'pass', message: `answered ${statusLine(direct.response.status)}`})
    return fail(
      `${healthy}${forwarded}, while the upstream at ${direct.exchange.url} answers ${statusLine(direct.response.status)} from here: the gateway is probably pointed at another address (RACK_HOST unset, mistyped, or an address only reachable inside the rack network)`,
      causes.host(direct.exchange.url),
      {items, evidence},
    )
  },
})

// ---------------------------------------------------------------------------------------------

interface GatewayHealth {
  ok: boolean
  /** Not answering, or a 5xx: the gateway itself is in trouble. A 4xx is a refused or unknown path. */
  down: boolean
  text: string
}

function judgeHealth(health: HttpResult): GatewayHealth {
  const url = health.exchange.url
  if (!health.response) return {ok: false, down: true, text: `${url}: ${health.error?.message ?? 'no response'}`}
  const status = health.response.status
  if (status >= 200 && status <= 299) return {ok: true, down: false, text: `${url} answered ${statusLine(status)}`}
  return {ok: false, down: status >= 500, text: `${url} answered ${statusLine(status)}`}
}

function gatewayDown(text: string, health: HttpResult, items: Item[], exchanges: Evidence['exchanges']): CheckOutcome {
  const aborted = health.error?.kind === 'aborted'
  if (aborted) return {status: 'timeout', message: text, items, evidence: {exchanges}}
  return fail(
    `the gateway itself is not healthy (${text}), so this is not an upstream failure: see \`doctor explain service-not-ready\` and \`doctor run readiness\``,
    {
      summary:
        'The gateway does not answer its own health check: a gateway that is down, restarting or failing on its own dependencies (its database) is a different problem from a bad upstream.',
      fix: [
        'Bring the gateway back first: read its logs (`convox logs -a rack-gateway --since 10m`) and follow `doctor explain service-not-ready`; then run this check again.',
      ],
      verify: ["The gateway's health endpoint answers 200.", '`doctor run upstream-proxy` passes.'],
    },
    {items, evidence: {exchanges}},
  )
}

function preflightRefused(
  text: string,
  health: HttpResult,
  forwarded: string,
  items: Item[],
  exchanges: Evidence['exchanges'],
): CheckOutcome {
  return warn(
    `forwarded calls work (${forwarded}), but the health path is refused: ${text}. Pre-flight probes (load balancers, Plexara's /healthz) will think the service is dead; or gateway.health names the wrong path`,
    {
      kb: PREFLIGHT,
      summary:
        'A proxy, WAF or ingress rule lets API calls through but refuses the health path, so anything that checks health first treats a working service as unreachable.',
      fix: [
        `Allow ${health.exchange.url} through the proxy, WAF or ingress in front of the service (or correct gateway.health if the path is wrong).`,
      ],
      verify: [
        `\`curl -i '${health.exchange.url}'\` answers 200 through the same front door.`,
        '`doctor run upstream-proxy` passes.',
      ],
    },
    {items, evidence: {exchanges}},
  )
}

const verifyUpstream = (probeUrl: string): string[] => [
  `\`curl -i -H 'Authorization: …' '${probeUrl}'\` answers 2xx instead of 502.`,
  '`doctor run upstream-proxy` passes.',
]

const causes = {
  token: (probeUrl: string): CauseRef => ({
    kb: `${E}#rack-token-invalid`,
    summary:
      "The gateway reaches the upstream, but the upstream refuses the gateway's credential (RACK_TOKEN missing, mistyped or for another rack), and the gateway reports that as a bad gateway.",
    fix: [
      'Set RACK_TOKEN to the current API password of the rack the gateway fronts (`convox env set RACK_TOKEN=… -a rack-gateway`), without stray whitespace, and promote the release.',
    ],
    verify: [
      'From a machine that reaches the rack API, `curl -sS -o /dev/null -w \'%{http_code}\' -u convox:"$RACK_TOKEN" https://<convox-api-host>/auth` prints 200.',
      ...verifyUpstream(probeUrl),
    ],
  }),
  unreachable: (upstream: string): CauseRef => ({
    kb: `${E}#convox-api-unreachable`,
    summary: `The upstream API (${upstream}) does not answer, from the gateway or from here: it is down or the network path to it is closed.`,
    fix: [
      'Restore the upstream API (wait out a rack update, fix the failed rack), or open the network path from the gateway to it; `convox logs -a rack-gateway --since 10m` shows the connection errors the gateway hits.',
    ],
    verify: [
      `\`curl -sS -o /dev/null -w '%{http_code}' '${upstream}'\` prints an HTTP status.`,
      '`doctor run upstream-proxy` passes.',
    ],
  }),
  host: (upstream: string): CauseRef => ({
    kb: `${E}#rack-host-misconfigured`,
    summary: `The upstream answers at ${upstream}, yet the gateway's calls fail: the gateway is most likely configured with another address (RACK_HOST), or cannot reach this one from where it runs.`,
    fix: [
      `Read the gateway's upstream setting (\`convox env get RACK_HOST -a rack-gateway\`) and set it to ${upstream} when the gateway runs outside the rack network (\`convox env set RACK_HOST=… -a rack-gateway\`), then promote the release.`,
    ],
    verify: [
      '`convox logs -a rack-gateway --since 10m` shows no upstream connection errors after a command.',
      '`doctor run upstream-proxy` passes.',
    ],
  }),
  unknown: (probeUrl: string): CauseRef => ({
    kb: E,
    summary:
      'The gateway is up, but the call it forwards to its upstream fails: the upstream is unreachable, the gateway points at the wrong host, or it authenticates with a wrong token.',
    fix: [
      "Read the gateway's logs for the upstream error (`convox logs -a rack-gateway --since 10m`): a connection error or timeout points at reachability or RACK_HOST, a 401 at RACK_TOKEN.",
      'Set gateway.upstreamUrl so doctor can tell those apart.',
    ],
    verify: verifyUpstream(probeUrl),
  }),
}
