import {bearerChallenge, type Challenge, parseChallenges} from '../src/access/challenge.js'
import {
  analyseToken,
  publicClaims,
  sameShapeInvalid,
  type ShapeProblem,
  type TokenAnalysis,
  tokenLabel,
} from '../src/access/token.js'
import type {DoctorConfig} from '../src/config/schema.js'
import {type CheckContext, concluded, defineCheck, type Finding, type Item, pass, skip} from '../src/engine/check.js'
import {discovery} from '../src/facts/login.js'
import type {HttpResult} from '../src/http/client.js'
import type {ExchangeRecord} from '../src/http/types.js'

const E = 'api-credential-rejected'
const T = 'token-expired'
const F = 'forbidden-for-expected-user'

/** What one request got back, reduced to what RFC 6750 / RFC 9110 reasoning needs. */
interface Answer {
  status?: number
  challenges: Challenge[]
  bearer?: Challenge
  body: string
  /** "401, WWW-Authenticate: Bearer realm="api", error="invalid_token"" */
  summary: string
  error?: string
  exchange?: ExchangeRecord
}

export default defineCheck({
  meta: {
    id: 'api-token',
    title: 'The API accepts the token, with the scope the pipeline needs',
    failureTitle: 'The API rejects the token or does not let it do this',
    area: 'access',
    description:
      'Inspects the token without sending it anywhere else (prefix, stray whitespace, an unexpanded ${VAR}, JWT exp/nbf/aud/iss/scopes, and the signature against the IdP\'s key set), then calls api.url three ways: with no credential, with the token, and with an invalid token of the same shape. Reads status and WWW-Authenticate by RFC 9110 and RFC 6750 to tell "not sent", "invalid", "under-scoped", "role, policy or MFA" and "anonymous mode" apart.',
    needs: ['api.url'],
    kb: [
      `${E}#credential-not-sent`,
      `${E}#token-invalid-revoked-expired`,
      `${E}#bad-key-no-anonymous-fallback`,
      `${E}#wrong-workspace`,
      `${E}#token-under-scoped`,
      `${E}#role-or-policy-denied`,
      `${E}#token-value-mangled`,
      `${E}#wrong-kind-of-token`,
      `${E}#token-for-another-audience`,
      E,
      `${T}#token-really-expired`,
      `${T}#nbf-in-future`,
      `${T}#clock-skew-issuer-verifier`,
      `${F}#role-not-updated`,
      `${F}#mfa-step-up-required`,
      'oidc-discovery-failed#jwks-kid-not-found',
    ],
  },
  async run(ctx) {
    const api = ctx.config.api
    if (!api) return skip('not configured: set api.url and api.tokenEnv in doctor.yaml')
    const url = ctx.facts.resolveUrl(api.url)
    const header = api.header ?? 'Authorization'
    const scheme = api.scheme ?? (header.toLowerCase() === 'authorization' ? 'Bearer' : '')
    const send = (value: string) => ({[header]: scheme ? `${scheme} ${value}` : value})

    // Where the token comes from.
    let value: string
    if (api.tokenEnv) {
      const raw = ctx.facts.env[api.tokenEnv]
      if (raw === undefined || raw === '') {
        const none = await get(ctx, url, {})
        const d: Finding = {
          status: 'fail',
          kb: `${E}#credential-not-sent`,
          message: `the environment variable ${api.tokenEnv} is ${raw === undefined ? 'not set' : 'set but empty'} where doctor runs, so any client reading it sends no token (without one, ${url} answers ${none.summary})`,
          fix: [
            `Set ${api.tokenEnv} for the job or shell that calls the API (a CI secret must be exposed to this job: forks and unprotected branches often get none), and quote it in scripts so an empty value fails loudly.`,
          ],
        }
        return finish(d, {none}, [])
      }
      ctx.facts.http.redactor.addSecret(raw, 'token', `env var ${api.tokenEnv} (api.tokenEnv)`)
      value = raw
    } else {
      value = api.token ?? ''
      if (value === '')
        return finish(
          {
            status: 'fail',
            kb: `${E}#credential-not-sent`,
            message: 'api.token is empty',
            fix: ['Give the token (preferably through api.tokenEnv).'],
          },
          {},
          [],
        )
    }

    const issuer = api.issuer ?? ctx.config.oidc?.issuer
    const analysis = analyseToken(value, {
      prefix: api.prefix,
      audience: api.audience,
      issuer: api.issuer,
      requiredScopes: api.requiredScopes,
      now: Math.floor(ctx.now() / 1000),
    })
    if (analysis.jwt && issuer && analysis.jwt.claims.iss === issuer) {
      const problem = await verifySignature(ctx, value.trim(), issuer)
      if (problem) analysis.problems.push(problem)
    }
    const label = tokenLabel(analysis.display)
    const mangled = analysis.problems.find(
      (p) => p.kind === 'whitespace' || p.kind === 'quoted' || p.kind === 'unexpanded',
    )
    // A header value cannot carry a newline; send what a forgiving client would (the trimmed value) and say so.
    const sent = mangled?.kind === 'whitespace' ? value.trim() : value

    const [none, good, bad] = await Promise.all([
      get(ctx, url, {}),
      get(ctx, url, send(sent)),
      get(ctx, url, send(sameShapeInvalid(value, api.prefix))),
    ])
    const answers = {none, token: good, invalidToken: bad}
    if (good.status === undefined)
      return {
        status: 'error',
        message: `could not call ${url}: ${good.summary}`,
        evidence: evidenceOf(analysis, answers, []),
      }

    const d = judge(ctx.config, {analysis, label, none, good, bad, url, header, mangled})
    if (!d) {
      if (isOk(none) && isOk(bad) && !api.anonymous) {
        return skip(
          `${url} answers ${none.status} with no credential and with an invalid token too, so it cannot tell a good token from a bad one: point api.url at a protected endpoint (or set api.anonymous: true if anonymous access is intended)`,
        )
      }
      const expectItems = api.expect ? await expectations(api.expect, good.body) : []
      const missed = expectItems.filter((i) => i.status !== 'pass')
      if (missed.length > 0) {
        const workspace = missed.some((i) => /workspace|tenant|org/i.test(i.label))
        return finish(
          {
            status: 'fail',
            kb: workspace ? `${E}#wrong-workspace` : `${E}#token-under-scoped`,
            message: `the API accepts the token ${label}, but not for what this pipeline needs: ${missed.map((i) => `${i.label} ${i.message}`).join('; ')}`,
            fix: [
              workspace
                ? 'Create the token in the workspace the pipeline gates (not a staging or trial one) and update the CI secret.'
                : "Widen the token's scope to the service and environment the pipeline works on (or create a token for them), then update the CI secret.",
            ],
          },
          answers,
          [],
          analysis,
          expectItems,
        )
      }
      const notes = analysis.problems.map((p) => `The API accepts the token although ${p.message}.`)
      return pass(
        `the API accepts the token ${label} (${url} answers ${good.summary})${api.anonymous ? '; with no credential it takes the anonymous path' : ''}`,
        {evidence: evidenceOf(analysis, answers, notes), items: expectItems},
      )
    }
    return finish(d, answers, [], analysis)

    function finish(
      diagnosis: Finding,
      responses: Record<string, Answer>,
      notes: string[],
      a?: TokenAnalysis,
      items: Item[] = [],
    ) {
      // Shape problems the diagnosis does not already name are worth knowing too.
      const also = (a?.problems ?? [])
        .filter((p) => !diagnosis.message.includes(p.message))
        .map((p) => `also: ${p.message}`)
      return concluded(diagnosis, SUMMARY[diagnosis.kb] ?? diagnosis.message, verifySteps(header, url), {
        evidence: evidenceOf(a, responses, [...also, ...notes]),
        items,
      })
    }
  },
})

const SUMMARY: Record<string, string> = {
  [`${E}#credential-not-sent`]:
    'No credential reaches the API: the variable is unset or empty, or the token travels in a header or scheme the API does not read.',
  [`${E}#token-invalid-revoked-expired`]:
    'The API sees the token and does not know it: revoked, rotated, expired, or from another environment.',
  [`${E}#bad-key-no-anonymous-fallback`]:
    'Anonymous mode only covers requests without any credential; a wrong key is still rejected.',
  [`${E}#wrong-workspace`]: 'The token belongs to another workspace than the one the pipeline works in.',
  [`${E}#token-under-scoped`]: 'The token is valid but its scope does not cover this call.',
  [`${E}#role-or-policy-denied`]:
    'The token is valid; a role or policy refuses the action (403 without a Bearer challenge).',
  [`${E}#token-value-mangled`]:
    'The value sent is not the token itself: stray whitespace, quotes, or an unexpanded ${VAR}.',
  [`${E}#wrong-kind-of-token`]: 'The value is another kind of credential than this API takes.',
  [`${E}#token-for-another-audience`]: 'The JWT was issued for another API or by another issuer.',
  [`${T}#token-really-expired`]: 'The token is past its expiry.',
  [`${T}#nbf-in-future`]: 'The token is not valid yet (nbf in the future).',
  [`${T}#clock-skew-issuer-verifier`]:
    "The token is valid by this machine's clock, but the API judges its time claims differently: the clocks disagree.",
  [`${F}#role-not-updated`]: "The caller's role does not allow this action.",
  [`${F}#mfa-step-up-required`]: 'The action needs an MFA step-up the call did not provide.',
  'oidc-discovery-failed#jwks-kid-not-found': "The token names a signing key that is not in the IdP's key set.",
}

function verifySteps(header: string, url: string): string[] {
  return [`\`curl -i -H '${header}: …' '${url}'\` with the token answers 2xx.`, '`doctor run api-token` passes.']
}

const isOk = (a: Answer) => a.status !== undefined && a.status >= 200 && a.status < 300

async function get(ctx: CheckContext, url: string, headers: Record<string, string>): Promise<Answer> {
  const result: HttpResult = await ctx.facts.fetch({
    url,
    purpose: 'api-token',
    headers: {accept: 'application/json', ...headers},
  })
  return answer(result)
}

export function answer(result: HttpResult): Answer {
  const res = result.response
  if (!res)
    return {challenges: [], body: '', summary: result.error?.message ?? 'no response', exchange: result.exchange}
  const www = res.header('www-authenticate')
  const challenges = parseChallenges(www)
  const bearer = bearerChallenge(www)
  const body = res.text().slice(0, 4000)
  return {
    status: res.status,
    challenges,
    bearer,
    body,
    error: bearer?.params.error,
    exchange: result.exchange,
    summary: `${res.status}${www ? `, WWW-Authenticate: ${www}` : ', no WWW-Authenticate'}`,
  }
}

/** Same answer as another request: same status and challenge, or (without a challenge) the same body. */
function same(a: Answer, b: Answer): boolean {
  if (a.status !== b.status) return false
  const sig = (x: Answer) => x.challenges.map((c) => `${c.scheme} ${c.params.error ?? ''}`).join(',')
  if (a.challenges.length > 0 || b.challenges.length > 0) return sig(a) === sig(b)
  return a.body === b.body
}

interface Seen {
  analysis: TokenAnalysis
  label: string
  none: Answer
  good: Answer
  bad: Answer
  url: string
  header: string
  mangled?: ShapeProblem
}

function judge(config: DoctorConfig, s: Seen): Finding | undefined {
  const {analysis, label, none, good, bad, header} = s
  const api = config.api!
  const problem = (kind: ShapeProblem['kind']) => analysis.problems.find((p) => p.kind === kind)
  if (isOk(good)) {
    // The trimmed value works: the stored one does not, as any strict client sends it.
    if (s.mangled)
      return {
        status: 'fail',
        kb: `${E}#token-value-mangled`,
        message: `${s.mangled.message}; doctor sent it without the whitespace and the API accepted it, but clients that send the stored value verbatim are refused`,
        fix: [
          'Store the secret without the trailing newline or spaces (`printf %s`, not `echo`), then update the CI secret.',
        ],
      }
    return undefined
  }
  const text = `${good.bearer?.params.error_description ?? ''} ${good.body}`
  if (good.status === 401 || (good.status === 400 && good.error === 'invalid_request')) {
    if (s.mangled)
      return {
        status: 'fail',
        kb: `${E}#token-value-mangled`,
        message: `the API rejects the token ${label} (${good.summary}): ${s.mangled.message}`,
        fix: [
          'Store the exact token: no quotes or whitespace around it, and make sure `${VAR}` references are expanded before the value is used.',
        ],
      }
    const prefix = problem('prefix')
    if (prefix)
      return {
        status: 'fail',
        kb: `${E}#wrong-kind-of-token`,
        message: `the API rejects the token ${label} (${good.summary}): ${prefix.message}`,
        fix: [
          `Create a token of the right kind${api.prefix ? ` (starting with ${api.prefix})` : ''} and put it in ${api.tokenEnv ?? 'api.token'}.`,
        ],
      }
    // Not seen: answered like no credential at all. When the invalid token gets that answer too, only an
    // RFC 6750 server settles it (it would add error="invalid_token" for a token it saw).
    const likeNone = same(good, none)
    const likeBad = same(good, bad)
    const saysMissing = /\b(missing|required|not provided|no (api[ _-]?key|token|credentials?|authorization))\b/i.test(
      good.body,
    )
    if (likeNone && likeBad && !good.bearer && !saysMissing) {
      return {
        status: 'fail',
        kb: E,
        message: `the API answers the same with no credential, with the token ${label} and with an invalid token (${good.summary}), and sends no Bearer challenge: it either ignores ${header} or rejects every token, and a non-standard 401 cannot tell which`,
        fix: ['Call the API by hand with the token and read its error body or log; check the header name it expects.'],
      }
    }
    const notSeen = likeNone && good.error === undefined && (good.bearer !== undefined || !likeBad || saysMissing)
    if (notSeen) {
      return {
        status: 'fail',
        kb: `${E}#credential-not-sent`,
        message: `the API answers exactly as if no credential was sent (${good.summary}): it does not read the token from ${header}${api.scheme === '' || header.toLowerCase() !== 'authorization' ? '' : ` with the ${api.scheme ?? 'Bearer'} scheme`}, or a proxy strips the header`,
        fix: [
          'Send the credential in the header the API documents (Authorization: Bearer …, or a named header such as X-API-Key), and check that proxies in front of the API pass it through.',
        ],
      }
    }
    // Seen and refused.
    const expired = problem('expired')
    if (expired)
      return {
        status: 'fail',
        kb: `${T}#token-really-expired`,
        message: `the API rejects the token ${label} (${good.summary}): ${expired.message}`,
        fix: ['Issue a new token (or use a refresh flow instead of a stored short-lived token) and update the secret.'],
      }
    const early = problem('not-yet-valid')
    if (early)
      return {
        status: 'fail',
        kb: `${T}#nbf-in-future`,
        message: `the API rejects the token ${label} (${good.summary}): ${early.message}`,
        fix: [
          "Wait until nbf or issue the token without a future nbf; if nbf looks wrong by minutes, compare the issuer's clock (`doctor run clock-skew`).",
        ],
      }
    const kid = analysis.problems.find((p) => p.message.includes('key set') && p.message.includes('kid'))
    if (kid)
      return {
        status: 'fail',
        kb: 'oidc-discovery-failed#jwks-kid-not-found',
        message: `the API rejects the token ${label} (${good.summary}): ${kid.message}`,
        fix: [
          'Use a token issued by the IdP the API trusts (same realm or tenant); after a key rotation, have the API refetch the key set.',
        ],
      }
    const audience = problem('audience') ?? problem('issuer')
    if (audience)
      return {
        status: 'fail',
        kb: `${E}#token-for-another-audience`,
        message: `the API rejects the token ${label} (${good.summary}): ${audience.message}`,
        fix: ["Request the token for this API's audience from the issuer the API trusts."],
      }
    if (analysis.jwt && /\b(exp|nbf|iat)\b|expir|not yet valid|in the future|clock/i.test(text)) {
      return {
        status: 'fail',
        kb: `${T}#clock-skew-issuer-verifier`,
        message: `the API says the token's time claims fail (${good.summary}), but by this machine's clock the token is valid (exp ${analysis.jwt.claims.exp ?? '-'}, nbf ${analysis.jwt.claims.nbf ?? '-'}): the API's clock and the issuer's disagree`,
        fix: ["Synchronise the API's and the issuer's clocks (NTP); `doctor run clock-skew` shows which one is off."],
      }
    }
    if (isOk(none)) {
      return {
        status: 'fail',
        kb: `${E}#bad-key-no-anonymous-fallback`,
        message: `the API serves anonymous requests (no credential: ${none.status}), but rejects this token ${label} (${good.summary}); a wrong key does not fall back to anonymous`,
        fix: ['Send a valid key, or send no credential header at all to use anonymous access.'],
      }
    }
    const badSig = analysis.problems.find((p) => p.message.includes('signature'))
    return {
      status: 'fail',
      kb: `${E}#token-invalid-revoked-expired`,
      message: `the API sees the token ${label} and rejects it (${good.summary})${badSig ? `; ${badSig.message}` : ''}${good.bearer ? '' : '; the 401 has no Bearer challenge (non-standard), judged by comparing with an invalid token of the same shape'}`,
      fix: [
        'Look the token up where the product lists them (Rack Gateway: the API Tokens page); if it is missing, revoked or expired, create a new one and update the secret.',
      ],
    }
  }
  if (good.status === 403) {
    const hint = good.bearer?.params.scope
    if (good.error === 'insufficient_scope' || problem('scope')) {
      const has = analysis.jwt ? ` (the token has ${analysis.jwt.scopes.join(' ') || 'no scopes'})` : ''
      return {
        status: 'fail',
        kb: `${E}#token-under-scoped`,
        message: `the token ${label} is valid but lacks scope for this call (${good.summary})${hint ? `: the API asks for ${hint}` : problem('scope') ? `: ${problem('scope')!.message}` : ''}${has}`,
        fix: [
          `Create or update the token with the scope${hint ? ` ${hint}` : 's the call needs'}, then update the secret.`,
        ],
      }
    }
    if (/\bmfa\b|step[- ]?up|--mfa-code|second factor|two[- ]factor|multi[- ]factor/i.test(text)) {
      return {
        status: 'fail',
        kb: `${F}#mfa-step-up-required`,
        message: `the token ${label} is valid, but the action needs an MFA step-up (${good.summary}): "${excerpt(good.body, /mfa|step[- ]?up|factor/i)}"`,
        fix: [
          "Rerun the command with `--mfa-code <code>` from the user's authenticator (Rack Gateway), or use an action that does not require step-up.",
        ],
      }
    }
    if (/\brole\b|\broles\b/i.test(text)) {
      return {
        status: 'fail',
        kb: `${F}#role-not-updated`,
        message: `the token ${label} is valid, but the caller's role does not allow this (${good.summary}): "${excerpt(good.body, /role/i)}"`,
        fix: [
          'Have an admin give the user (or the token) the role the action needs; the change applies to new tokens or sessions.',
        ],
      }
    }
    if (/workspace/i.test(text)) {
      return {
        status: 'fail',
        kb: `${E}#wrong-workspace`,
        message: `the token ${label} is refused for this workspace (${good.summary}): "${excerpt(good.body, /workspace/i)}"`,
        fix: ['Use a token from the workspace the pipeline gates.'],
      }
    }
    return {
      status: 'fail',
      kb: `${E}#role-or-policy-denied`,
      message: `the token ${label} is accepted as a credential, but the API refuses the action (${good.summary}): a role or policy decision${good.body ? `: "${excerpt(good.body, /./)}"` : ''}`,
      fix: ['Grant the role or permission the action needs (or call as a principal that has it).'],
    }
  }
  return {
    status: 'warn',
    kb: E,
    message: `${s.url} answers ${good.summary} with the token, which says nothing about it: point api.url at an endpoint that answers 2xx for a valid token`,
    fix: [
      'Set api.url to a GET that needs the token and answers 2xx when it is valid (an identity endpoint such as /whoami).',
    ],
  }
}

function excerpt(text: string, re: RegExp): string {
  const clean = text
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  const m = re.exec(clean)
  const at = m ? Math.max(0, m.index - 40) : 0
  return clean.slice(at, at + 140)
}

async function verifySignature(ctx: CheckContext, token: string, issuer: string): Promise<ShapeProblem | undefined> {
  const disc = ctx.config.oidc?.issuer === issuer ? await discovery(ctx.facts) : undefined
  const keys = disc?.jwks?.keys
  if (!keys) return undefined
  const jose = await import('jose')
  try {
    await jose.compactVerify(token, jose.createLocalJWKSet({keys: keys as never}))
    return undefined
  } catch (error) {
    const code = (error as {code?: string}).code
    if (code === 'ERR_JWKS_NO_MATCHING_KEY')
      return {
        kind: 'malformed-jwt',
        message: `the JWT's signing key (kid ${String(JSON.stringify((jose.decodeProtectedHeader(token) as {kid?: string}).kid ?? null))}) is not in the IdP's key set`,
      }
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
      return {
        kind: 'malformed-jwt',
        message: "the JWT's signature does not verify with the IdP's keys (altered, or signed by another IdP or realm)",
      }
    return undefined
  }
}

async function expectations(expect: Record<string, string | number | boolean>, body: string): Promise<Item[]> {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return Object.keys(expect).map((path) => ({
      label: path,
      status: 'fail' as const,
      message: 'cannot be read: the response is not JSON',
    }))
  }
  const {JSONPath} = await import('jsonpath-plus')
  return Object.entries(expect).map(([path, want]) => {
    const found = JSONPath({path, json: json as object, wrap: true}) as unknown[]
    const values = found.flatMap((v) => (Array.isArray(v) ? v : [v]))
    const ok = values.some((v) => v === want || String(v) === String(want))
    return {
      label: path,
      status: ok ? ('pass' as const) : ('fail' as const),
      message: ok
        ? `includes ${JSON.stringify(want)}`
        : `is ${values.length ? JSON.stringify(found.length === 1 ? found[0] : found) : 'absent'}, expected ${JSON.stringify(want)}`,
    }
  })
}

const ANSWER_LABEL: Record<string, string> = {
  none: 'sent nothing',
  token: 'sent the configured value',
  invalidToken: 'sent a made-up value',
}

function evidenceOf(analysis: TokenAnalysis | undefined, answers: Record<string, Answer>, notes: string[]) {
  return {
    observed: {
      token: analysis ? {...analysis.display, claims: publicClaims(analysis.jwt)} : undefined,
      shape: analysis?.problems.map((p) => p.message),
      // Labels that do not read as credential field names, so the redactor keeps the answers.
      answers: Object.fromEntries(Object.entries(answers).map(([k, a]) => [ANSWER_LABEL[k] ?? k, a.summary])),
    },
    notes,
    exchanges: Object.values(answers).flatMap((a) => (a.exchange ? [a.exchange] : [])),
  }
}
