/**
 * Credentials recognised by their shape alone, wherever they stand: vendor token prefixes
 * (gitleaks-style), JWTs, PEM blocks (also with newlines collapsed, escaped or cut short),
 * an AWS secret access key next to its key id, base64 `user:password`, and long random runs
 * right after a credential word. Each rule is a replacement over a string; the redactor applies
 * them in order, after known values and before structure.
 */

export type Replace = (kind: string, value: string) => string

/**
 * Vendor tokens with a distinctive prefix. `kind` is what the marker says. Every match contains
 * one of the hints, checked first with a plain substring search, so a long body without such a
 * token costs nothing; each expression starts with its literal, and a match that is only the end
 * of a longer word is skipped. With a capture group, only the group is replaced.
 */
export const TOKEN_SHAPES: ReadonlyArray<readonly [kind: string, re: RegExp, hints: readonly string[]]> = [
  // Rack Gateway.
  ['token', /rgw_[A-Za-z0-9_-]{8,}/g, ['rgw_']],
  // GitHub: classic and fine-grained personal tokens, OAuth, app and refresh tokens.
  ['token', /gh[pousr]_[A-Za-z0-9]{20,}/g, ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_']],
  ['token', /github_pat_[A-Za-z0-9_]{20,}/g, ['github_pat_']],
  // GitLab: personal, deploy, runner, CI job, trigger, OAuth, SCIM, feed, incoming-mail and agent tokens; runner registration.
  [
    'token',
    /gl(?:pat|dt|rt|cbt|ptt|oas|soat|ft|imt|agent)-[A-Za-z0-9_-]{16,}/g,
    ['glpat-', 'gldt-', 'glrt-', 'glcbt-', 'glptt-', 'gloas-', 'glsoat-', 'glft-', 'glimt-', 'glagent-'],
  ],
  ['token', /GR1348941[A-Za-z0-9_-]{20,}/g, ['GR1348941']],
  // Stripe secret and restricted keys, webhook signing secrets (Stripe, Svix/Standard Webhooks).
  ['token', /[sr]k_(?:test|live|prod)_[A-Za-z0-9]{10,}/g, ['k_test_', 'k_live_', 'k_prod_']],
  ['secret', /whsec_[A-Za-z0-9+/=_-]{10,}/g, ['whsec_']],
  ['secret', /wh[sp]k_[A-Za-z0-9+/=_-]{10,}/g, ['whsk_', 'whpk_']],
  // Slack bot, user and app tokens and incoming-webhook URLs; Discord webhooks (the path after the ids).
  ['token', /xox[abeoprs]-[A-Za-z0-9-]{10,}/g, ['xox']],
  ['token', /xapp-[A-Za-z0-9-]{10,}/g, ['xapp-']],
  ['token', /hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9_/-]{20,})/g, ['hooks.slack.com']],
  ['token', /discord(?:app)?\.com\/api\/webhooks\/\d{5,}\/([A-Za-z0-9_-]{20,})/g, ['/api/webhooks/']],
  // AWS access key ids (the secret key next to one is found by replaceAwsSecrets).
  [
    'token',
    /A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA|BIA|CCA)[0-9A-Z]{16}\b/g,
    ['AKIA', 'ASIA', 'AGPA', 'AIDA', 'AROA', 'ANPA', 'ANVA', 'AIPA', 'ABIA', 'ACCA'],
  ],
  // Google API keys, OAuth client secrets, access and refresh tokens.
  ['token', /AIza[0-9A-Za-z_-]{35}\b/g, ['AIza']],
  ['secret', /GOCSPX-[A-Za-z0-9_-]{20,}/g, ['GOCSPX-']],
  ['token', /ya29\.[A-Za-z0-9_-]{20,}/g, ['ya29.']],
  ['token', /1\/\/0[A-Za-z0-9_-]{30,}/g, ['1//0']],
  // Azure AD client secrets (the "Q~" form).
  ['secret', /[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g, ['Q~']],
  // Grafana, Vault, OpenAI/Anthropic, npm, PyPI, Docker Hub, DigitalOcean.
  ['token', /glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b/g, ['glsa_']],
  ['token', /glc_[A-Za-z0-9+/=]{32,}/g, ['glc_']],
  ['token', /hv[sbr]\.[A-Za-z0-9_-]{24,}/g, ['hvs.', 'hvb.', 'hvr.']],
  ['token', /sk-(?:proj-|ant-(?:api|admin)\d\d-)?[A-Za-z0-9_-]{20,}/g, ['sk-']],
  ['token', /npm_[A-Za-z0-9]{30,}/g, ['npm_']],
  ['token', /pypi-AgE[A-Za-z0-9_-]{50,}/g, ['pypi-AgE']],
  ['token', /dckr_pat_[A-Za-z0-9_-]{20,}/g, ['dckr_pat_']],
  ['token', /do[por]_v1_[a-f0-9]{64}\b/g, ['_v1_']],
  // Shopify, Hugging Face, Linear, Postman, Atlassian, New Relic, Doppler, Sentry, Terraform Cloud, age.
  ['token', /shp(?:at|ca|pa|ss)_[A-Fa-f0-9]{20,}/g, ['shpat_', 'shpca_', 'shppa_', 'shpss_']],
  ['token', /hf_[A-Za-z]{30,}\b/g, ['hf_']],
  ['token', /lin_(?:api|oauth)_[A-Za-z0-9]{32,}/g, ['lin_api_', 'lin_oauth_']],
  ['token', /PMAK-[a-f0-9]{24}-[a-f0-9]{34}\b/g, ['PMAK-']],
  ['token', /ATATT3[A-Za-z0-9_=-]{50,}/g, ['ATATT3']],
  ['token', /NRAK-[A-Z0-9]{27}\b/g, ['NRAK-']],
  [
    'token',
    /dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}/g,
    ['dp.pt.', 'dp.st.', 'dp.sa.', 'dp.ct.', 'dp.scim.', 'dp.audit.'],
  ],
  ['token', /sntr[ysu]_[A-Za-z0-9+/=_-]{30,}/g, ['sntrys_', 'sntryu_', 'sntrus_']],
  ['token', /[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}/g, ['.atlasv1.']],
  ['key', /AGE-SECRET-KEY-1[0-9A-Z]{58}\b/g, ['AGE-SECRET-KEY-1']],
  // SendGrid, Twilio API keys, Mailgun.
  ['token', /SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64}/g, ['SG.']],
  ['token', /SK[0-9a-f]{32}\b/g, ['SK']],
  ['token', /key-[0-9a-f]{32}\b/g, ['key-']],
  // Okta API tokens travel as "SSWS <token>".
  ['token', /SSWS\s+([A-Za-z0-9_-]{20,})/g, ['SSWS']],
]

const WORD_CHAR = /[A-Za-z0-9_]/
/** Characters a token is made of; anything else (space, quote, colon, comma, bracket…) ends a run. */
const TOKEN_CHAR = new Uint8Array(128)
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./+=~')
  TOKEN_CHAR[ch.charCodeAt(0)] = 1
const ANY_HINT = new RegExp(
  TOKEN_SHAPES.flatMap(([, , hints]) => hints)
    .map((h) => h.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('|'),
)
const SHORTEST_TOKEN = 16

/**
 * Replace the vendor tokens in `text` (see TOKEN_SHAPES). One pass cuts the text into runs of
 * token characters; only a run long enough to be a token and containing a vendor prefix is
 * matched against the shapes, so a large body costs about one loop over its characters.
 */
export function replaceTokenShapes(text: string, replace: Replace): string {
  let out = ''
  let last = 0
  const n = text.length
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c >= 128 || TOKEN_CHAR[c] === 0) {
      i++
      continue
    }
    let j = i + 1
    while (j < n) {
      const d = text.charCodeAt(j)
      if (d >= 128 || TOKEN_CHAR[d] === 0) break
      j++
    }
    if (j - i >= SHORTEST_TOKEN) {
      // The run plus a little context: a group pattern (hooks.slack.com/…) may start inside it, SSWS before it.
      const from = Math.max(last, i - 8)
      const run = text.slice(from, j)
      if (ANY_HINT.test(run)) {
        const replaced = replaceShapesIn(run, replace)
        if (replaced !== run) {
          out += text.slice(last, from) + replaced
          last = j
        }
      }
    }
    i = j
  }
  return last === 0 ? text : out + text.slice(last)
}

function replaceShapesIn(run: string, replace: Replace): string {
  let out = run
  for (const [kind, re, hints] of TOKEN_SHAPES) {
    if (!hints.some((h) => out.includes(h))) continue
    out = out.replace(re, (m: string, ...rest: unknown[]) => {
      const group = typeof rest[0] === 'string' ? rest[0] : undefined
      const offset = rest.find((x): x is number => typeof x === 'number')!
      if (group) return `${m.slice(0, m.length - group.length)}${replace(kind, group)}`
      return offset > 0 && WORD_CHAR.test(out[offset - 1]!) ? m : replace(kind, m)
    })
  }
  return out
}

/** A JWT or JWE: base64url header starting with {"…, then two or four more parts. */
export const JWT_RE = /\beyJ[A-Za-z0-9_-]{8,}\.(?:[A-Za-z0-9_-]*\.){1,3}[A-Za-z0-9_-]*/g

/** URL userinfo with a password: scheme://user:password@host. */
export const USERINFO_RE = /:\/\/([^\s/@:]*):([^\s/@]+)@/g

/**
 * PEM blocks of any kind (private keys, certificates, PGP blocks), whatever happened to their
 * line breaks: real newlines, spaces, `\n` or `\\n` escapes, `%0A` URL encoding. A block cut
 * off before its END line (a body over the size cap) is redacted to where it stops.
 */
const PEM_BEGIN = /-----BEGIN((?: |%20|\+)[A-Z0-9]+(?:(?: |%20|\+)[A-Z0-9]+)*)-----/g
const PEM_BODY_CHAR = /[A-Za-z0-9+/=\s\\%:,.-]/

export function replacePem(text: string, replace: Replace): string {
  if (!text.includes('-----BEGIN')) return text
  let out = ''
  let last = 0
  PEM_BEGIN.lastIndex = 0
  for (let m = PEM_BEGIN.exec(text); m; m = PEM_BEGIN.exec(text)) {
    const label = m[1]!.replace(/%20|\+/g, ' ').trim()
    const bodyStart = m.index + m[0].length
    const endMarker = /-----END(?: |%20|\+)[A-Z0-9]+(?:(?: |%20|\+)[A-Z0-9]+)*-----/g
    endMarker.lastIndex = bodyStart
    const end = endMarker.exec(text)
    let stop: number
    if (end && /^[A-Za-z0-9+/=\s\\%:,.-]*$/.test(text.slice(bodyStart, end.index))) {
      stop = end.index + end[0].length
    } else {
      stop = bodyStart
      while (stop < text.length && PEM_BODY_CHAR.test(text[stop]!)) stop++
      // Leave a closing quote or escape sequence that ends the surrounding string.
      while (stop > bodyStart && /[\\\s]/.test(text[stop - 1]!)) stop--
    }
    const kind = /PRIVATE|SECRET/.test(label) ? 'private-key' : /CERTIFICATE/.test(label) ? 'certificate' : 'pem'
    out += text.slice(last, m.index) + replace(kind, text.slice(m.index, stop))
    last = stop
    PEM_BEGIN.lastIndex = stop
  }
  return out + text.slice(last)
}

/** A PEM block that was base64-encoded whole (Kubernetes Secret data, kubeconfig client-key-data). */
export const BASE64_PEM_RE = /\bLS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}/g

/** PuTTY private keys: the Private-Lines block and its MAC. */
export const PUTTY_RE = /(Private-Lines:\s*\d+\s*(?:\r?\n|\\n))((?:[A-Za-z0-9+/=]+(?:\r?\n|\\n))+)/g

/** An AWS secret access key: 40 base64 characters within a few lines after an access key id. */
const AWS_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g
export function replaceAwsSecrets(text: string, replace: Replace): string {
  if (!/(?:AKIA|ASIA|aws_secret|secretaccesskey|secret_access_key|SecretAccessKey)/i.test(text)) return text
  return text.replace(AWS_SECRET, (m, offset: number) => {
    const before = text.slice(Math.max(0, offset - 300), offset)
    if (!/(?:AKIA|ASIA)[0-9A-Z]{16}|‹redacted:token:[0-9a-f]{4}›|secret_?access_?key|aws_?secret/i.test(before))
      return m
    if (!/[0-9]/.test(m) || !/[A-Z]/.test(m) || !/[a-z]/.test(m)) return m
    return replace('secret', m)
  })
}

/** "Basic <base64>" in text: replaced when the base64 decodes to user:password (so "Basic authentication" stays). */
const BASIC_RE = /\b(Basic\s+)([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])/g
export function replaceBasicCredentials(text: string, replace: Replace): string {
  if (!text.includes('Basic') && !text.includes('basic')) return text
  return text.replace(new RegExp(BASIC_RE.source, 'gi'), (m, prefix: string, b64: string) => {
    const decoded = Buffer.from(b64, 'base64').toString('latin1')
    return /^[\x20-\x7e]*:[\x20-\x7e]+$/.test(decoded) ? `${prefix}${replace('credential', b64)}` : m
  })
}

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>()
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let bits = 0
  for (const n of counts.values()) {
    const p = n / value.length
    bits -= p * Math.log2(p)
  }
  return bits
}

/** A run that reads like generated key material: long, mixed character classes, high entropy, not a path or host. */
export function looksRandom(run: string): boolean {
  if (run.length < 16 || run.startsWith('‹')) return false
  if (/^\.?\.?\//.test(run) || /^[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i.test(run)) return false // a path, a host name
  if (/^\d+$/.test(run) || /^[a-z]+$/i.test(run)) return false
  // Identifiers are words joined by - _ . (__Host-leaky_session, X-Forwarded-Proto, checkout-api-v2).
  if (/^[_.-]*[A-Za-z]{2,}[a-z]*(?:[_.-]+[A-Za-z]?[a-z]+\d{0,2})*[_.-]*$/.test(run)) return false
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(run)).length
  if (classes < 2) return false
  // Generated material nearly always has digits; a long run of three classes may not.
  if (!/[0-9]/.test(run) && !(classes === 2 && run.length >= 32 && /[a-z]/.test(run) && /[A-Z]/.test(run))) return false
  if (/^[0-9a-f-]+$/i.test(run) && run.length < 32 && !/[0-9]/.test(run.slice(0, 8))) return false
  return entropy(run) >= (classes === 2 ? 3.3 : 3.6)
}

/**
 * Prose such as "the signing key is 8f3a…" or "using secret wJalrX…": a random-looking run of at
 * least 16 characters within a few words after a credential word.
 */
/** Words after which a random-looking run is taken for the credential they name. */
export const NEAR_WORD =
  /^(?:secrets?|tokens?|passwords?|passwd|passphrase|api[_-]?keys?|apikeys?|keys?|credentials?|signature|bearer|auth)$/i
/** What may stand between the word and the value: "key is", "secret: ", "token = '", "HMAC key, …", a path's "/". */
const CONNECTOR =
  /^(?:[\s:="'`,/]|\b(?:is|was|are|were|of|to|set|value|equals|reads|used|using|with|for|as|the|a|an|new|old|its|this|here|now)\b)*/i
/** A connector that says the next word is the value: "is", "was", "=", ":", "set to". */
const ASSIGNING = /[:=]|\b(?:is|was|are|were|equals|to)\b/i
const RUN = /^[A-Za-z0-9+/=_.~-]{6,}/
const CONNECTOR_AT = new RegExp(CONNECTOR.source.slice(1), 'iy')
/** Words after which a user name may come before the credential: "basic auth bot / …", "password for admin: …". */
const LEADS_TO_A_PAIR = /^(?:auth|password|passwd|passphrase|secret|credentials?|login)$/i
const TOKEN = /[^\s,;()[\]{}<>"'`]+/g

/**
 * The value a credential word introduces in prose or a command line: "the signing key is 8f3a…",
 * "using secret wJalrX…", "the old passphrase was dekf-…", "--token abc123…", "basic auth bot /
 * 2k1H…". Taken when it reads like generated key material, or like a credential after an
 * assigning connector or a command-line flag; a key-looking run a few words later counts only
 * when it is clearly random. Returns its span, or undefined.
 */
export function valueAfterWord(text: string, after: number, flag = false, word = ''): [number, number] | undefined {
  // Cheap rejection first: in prose the next word is short and plain.
  CONNECTOR_AT.lastIndex = after
  const p = after + CONNECTOR_AT.exec(text)![0].length
  let q = p
  while (q < text.length && q - p < 8 && /[A-Za-z0-9+/=_.~-]/.test(text[q]!)) q++
  if (q - p < 6 && !LEADS_TO_A_PAIR.test(word)) return undefined
  const window = text.slice(after, after + 160)
  const gap = CONNECTOR.exec(window)![0]
  if (gap.length > 40) return undefined
  const r = RUN.exec(window.slice(gap.length))
  if (r) {
    const run = r[0].replace(/[.=_~-]+$/, '').replace(/^\/+/, '')
    const start = after + gap.length + (r[0].length - r[0].replace(/^\/+/, '').length)
    if (run.startsWith('‹')) return undefined
    if (looksRandom(run) || ((flag || ASSIGNING.test(gap)) && looksLikeCredential(run) && !/^(?:https?:|\/)/.test(run)))
      return [start, start + run.length]
  }
  // "basic auth evidence-bot / 2k1H…": a clearly random run within the next three words.
  if (!LEADS_TO_A_PAIR.test(word)) return undefined
  TOKEN.lastIndex = gap.length
  const rest = window
  for (let n = 0, t = TOKEN.exec(rest); t && n < 4; n++, t = TOKEN.exec(rest)) {
    const word = t[0].replace(/[.:]+$/, '')
    if (
      n > 0 &&
      /^[A-Za-z0-9+=_~-]{20,}$/.test(word) &&
      looksRandom(word) &&
      /[a-z]/.test(word) &&
      /[A-Z]/.test(word) &&
      /[0-9]/.test(word)
    )
      return [after + t.index, after + t.index + word.length]
  }
  return undefined
}

/** A word that reads like a credential rather than English: digits or token punctuation in it, or very long. */
export function looksLikeCredential(value: string): boolean {
  if (value.startsWith('‹redacted')) return true
  return (value.length >= 8 && /[0-9._~+/=-]/.test(value)) || value.length >= 24
}

/** Every random-looking run in a short text (an authentication challenge): replaced whole. */
export function replaceRandomRuns(text: string, replace: Replace): string {
  return text.replace(/[A-Za-z0-9+/=_.~-]{16,}/g, (m) =>
    looksRandom(m.replace(/[.=_~-]+$/, '')) && !m.startsWith('‹') ? replace('credential', m) : m,
  )
}
