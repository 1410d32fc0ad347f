/**
 * Whether a name (a JSON member, YAML key, query or form parameter, HTML input, XML element,
 * header, environment variable) says its value is a credential. Names are split into words
 * (camelCase, snake_case, kebab-case, dots, UPPER_CASE), so `registration_access_token`,
 * `agentSecret`, `X-Api-Key` and `DATABASE_PASSWORD` are credentials while `PWD`, `keyboard`,
 * `token_endpoint` and `password_policy` are not: matching is by word, never by substring.
 */

/** A word that makes the name a credential wherever it stands. */
const CREDENTIAL_WORDS = new Set([
  'password',
  'passwords',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'passcode',
  'secret',
  'secrets',
  'token',
  'tokens',
  'apikey',
  'apikeys',
  'credential',
  'credentials',
  'creds',
  'cred',
  'csrf',
  'xsrf',
  'csrftoken',
  'xsrftoken',
  'authenticity',
  'session',
  'sessionid',
  'sessid',
  'phpsessid',
  'jsessionid',
  'auth',
  'auths',
  'authorization',
  'authtoken',
  'signature',
  'cookie',
  'cookies',
  'jwt',
  'bearer',
  'hmac',
  'privatekey',
  'secretkey',
  'accesskey',
  'licensekey',
  'signingkey',
  'otp',
  'totp',
  'samlresponse',
  'samlrequest',
])

/**
 * Words before "key" that make it an index, a path or a public identifier rather than key
 * material: sort_key, partition_key, object_key, public_key, site_key. Any other word makes it a
 * credential (api_key, license_key, sdk_key, write_key, x-scrape-key).
 */
const PLAIN_KEY_QUALIFIERS = new Set([
  'sort',
  'primary',
  'partition',
  'range',
  'hash',
  'cache',
  'idempotency',
  'foreign',
  'group',
  'lookup',
  'object',
  's3',
  'bucket',
  'map',
  'dict',
  'unique',
  'composite',
  'index',
  'row',
  'column',
  'table',
  'shard',
  'dedup',
  'dedupe',
  'deduplication',
  'correlation',
  'event',
  'message',
  'metric',
  'label',
  'i18n',
  'translation',
  'locale',
  'config',
  'setting',
  'settings',
  'feature',
  'flag',
  'registry',
  'node',
  'public',
  'publishable',
  'site',
  'react',
  'list',
  'item',
  'child',
  'parent',
  'join',
  'match',
  'field',
  'attribute',
  'property',
  'json',
  'yaml',
  'redis',
  'storage_object',
  'cluster',
  'namespace',
  'resource',
  'annotation',
  'selector',
  'routing',
  'shortcut',
  'hot',
  'keyboard',
  'music',
  'the',
  'a',
  'this',
  'that',
  'each',
  'any',
  'which',
  'no',
  'by',
  'per',
  'of',
  'state',
  'query',
  'path',
  'url',
  'version',
  'jwks',
  'relative',
  'missing',
  'unknown',
  'known',
  'required',
  'allowed',
  'extra',
  'sorted',
  'distinct',
  'top',
  'nested',
])

/** Words that turn a following "code" into a one-time credential: device_code, session_code. */
const CODE_QUALIFIERS = new Set([
  'authorization',
  'authorisation',
  'auth',
  'device',
  'user',
  'session',
  'otp',
  'totp',
  'mfa',
  'recovery',
  'backup',
  'verification',
  'verify',
  'reset',
  'activation',
  'invite',
  'invitation',
  'access',
  'one',
  'login',
  'sms',
  'email',
  'security',
  'pairing',
  'enrollment',
  'enrolment',
  'bypass',
  'unlock',
  'confirmation',
])

/**
 * Last words that say the value describes a credential rather than being one: where it lives
 * (token_endpoint, secret_file, cookie_name), how it behaves (session_timeout, password_policy),
 * or a count or flag (secret_count, token_enabled).
 */
const DESCRIPTIVE_LAST = new Set([
  'type',
  'types',
  'url',
  'urls',
  'uri',
  'uris',
  'endpoint',
  'endpoints',
  'path',
  'paths',
  'file',
  'files',
  'filename',
  'dir',
  'directory',
  'env',
  'var',
  'name',
  'names',
  'header',
  'param',
  'parameter',
  'field',
  'prefix',
  'suffix',
  'ttl',
  'timeout',
  'expiry',
  'expires',
  'expiration',
  'lifetime',
  'length',
  'len',
  'size',
  'bytes',
  'count',
  'max',
  'min',
  'limit',
  'at',
  'time',
  'date',
  'ts',
  'timestamp',
  'format',
  'alg',
  'algorithm',
  'algorithms',
  'method',
  'methods',
  'mode',
  'enabled',
  'disabled',
  'required',
  'hint',
  'version',
  'policy',
  'policies',
  'rotation',
  'rules',
  'rule',
  'strategy',
  'location',
  'kind',
  'status',
  'supported',
  'source',
  'provider',
  'issuer',
  'audience',
  'scope',
  'scopes',
  'label',
  'description',
  'help',
  'regex',
  'pattern',
  'domain',
  'samesite',
  'secure',
  'httponly',
  'duration',
  'interval',
  'seconds',
  'secs',
  'minutes',
  'mins',
  'hours',
  'days',
  'ms',
  'age',
  'used',
  'created',
  'updated',
  'generated',
  'exists',
  'present',
  'valid',
  'validity',
  'fingerprint',
  'fp',
  'kid',
  'sent',
  'withheld',
  'seen',
  'received',
  'reset',
  'store',
  'backend',
  'manager',
  'id',
  'ids',
  'index',
  'error',
  'errors',
  'message',
  'reason',
  'hash',
  'strength',
  'complexity',
  'changed',
  'updated',
  'rotated',
  'issued',
  'state',
  'check',
  'checks',
  'level',
  'audit',
  'usage',
  'handler',
  'service',
  'class',
  'module',
  'plugin',
  'flow',
  'grant',
  'response',
  'request',
  'cache',
  'store',
  'storage',
  'encoding',
  'charset',
])

/** Last words that keep "…_id" a credential: secret_id (Vault AppRole), session_id, csrf_id. */
const SECRET_IDS = new Set(['secret', 'session', 'csrf', 'xsrf', 'sess'])

/** First words of flags and counters: has_password, is_secret, num_tokens, max_sessions. */
const DESCRIPTIVE_FIRST = new Set([
  'is',
  'has',
  'have',
  'use',
  'uses',
  'allow',
  'allows',
  'require',
  'requires',
  'enable',
  'enabled',
  'disable',
  'num',
  'total',
  'max',
  'min',
  'show',
  'with',
  'no',
  'should',
  'can',
  'must',
  'need',
  'needs',
])

/** Names that are identifiers, not secrets, though they contain a credential word. */
const SAFE_NAMES = new Set([
  'pwd',
  'oldpwd',
  'token_type',
  'tokentype',
  'token_type_hint',
  'kid',
  'key_id',
  'keyid',
  'public_key',
  'publickey',
  'pubkey',
  'public_keys',
  'keys',
  'key',
  'expires_in',
  'refresh_expires_in',
  'not_before_policy',
  'id_token_hint',
  'session_state_check',
  'auth_time',
  'passed',
  'passing',
  'pass_count',
  'secretless',
  'authority',
  'authenticated',
  'authenticity_param',
  'csrf_param',
  'csrf_header',
  'session_cookie',
  'auth_method',
  'auth_type',
])

/** Words used in query strings and form bodies for one-time OAuth/SAML values; only there are they credentials. */
const PARAMETER_ONLY = new Set([
  'code',
  'state',
  'nonce',
  'sig',
  'key',
  'session_state',
  'code_verifier',
  'code_challenge',
  'client_assertion',
  'assertion',
  'ticket',
  'pin',
  'mfa',
])

/** Split a name into lowercase words: `registrationAccessToken` → registration, access, token. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
}

/** Glued words (`csrfmiddlewaretoken`, `adminpassword`, `APIKEY`) that end in a credential word. */
const GLUED =
  /(token|secret|passw(?:or)?d|apikey|credentials?|privatekey|secretkey|accesskey|licensekey|signingkey|sessionid)$/

export interface NameOptions {
  /** The name is a query, fragment or form parameter (`?code=`, `&state=`): OAuth one-time values count. */
  parameter?: boolean
  /** Extra credential names from doctor.yaml (`redact.names`), lowercase, matched as whole names or words. */
  extra?: ReadonlySet<string>
}

/**
 * A name that describes a credential (where it lives, how long it lasts, how many) rather than
 * holding one. `singleWord` false: a lone word (`at`, `id`) says too little to count.
 */
export function isDescriptiveName(name: string, singleWord = true): boolean {
  const words = nameWords(name)
  const snake = words.join('_')
  if (SAFE_NAMES.has(snake) || SAFE_NAMES.has(name.toLowerCase())) return true
  if (words.length === 0 || (words.length === 1 && !singleWord)) return false
  return DESCRIPTIVE_LAST.has(words[words.length - 1]!) || (words.length > 1 && DESCRIPTIVE_FIRST.has(words[0]!))
}

const verdicts = new Map<string, boolean>()

/** True when a value stored under this name is a credential. */
export function isCredentialName(name: string, options: NameOptions = {}): boolean {
  // Bodies repeat the same few member names thousands of times: remember the plain verdicts.
  if (options.extra && options.extra.size > 0) return judgeName(name, options)
  const key = options.parameter ? `?${name}` : name
  let verdict = verdicts.get(key)
  if (verdict === undefined) {
    verdict = judgeName(name, options)
    if (verdicts.size > 50_000) verdicts.clear()
    verdicts.set(key, verdict)
  }
  return verdict
}

function judgeName(name: string, options: NameOptions): boolean {
  const lower = name.toLowerCase()
  if (options.extra && (options.extra.has(lower) || nameWords(name).some((w) => options.extra!.has(w)))) return true
  const snake = nameWords(name).join('_')
  if (options.parameter && (PARAMETER_ONLY.has(lower) || PARAMETER_ONLY.has(snake))) return true
  if (SAFE_NAMES.has(snake) || SAFE_NAMES.has(lower)) return false
  const words = nameWords(name)
  if (words.length === 0) return false
  const last = words[words.length - 1]!
  if (words.includes('public') || words.includes('publishable')) return false
  if (words.length > 1 && DESCRIPTIVE_FIRST.has(words[0]!)) return false
  if (last === 'id' || last === 'ids') {
    const before = words[words.length - 2]
    if (before && SECRET_IDS.has(before)) return true
  }
  if (words.length > 1 && DESCRIPTIVE_LAST.has(last)) return false
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (CREDENTIAL_WORDS.has(w)) return true
    if ((w === 'key' || w === 'keys') && i > 0 && !PLAIN_KEY_QUALIFIERS.has(words[i - 1]!)) return true
    if ((w === 'code' || w === 'codes') && i > 0 && CODE_QUALIFIERS.has(words[i - 1]!)) return true
    if (w.length > 5 && GLUED.test(w)) return true
  }
  return false
}

/**
 * An environment variable whose value doctor treats as a secret. Same words as above, but the
 * shell's own variables never are (PWD is the working directory, not a password).
 */
const SHELL_VARIABLES = new Set([
  'PWD',
  'OLDPWD',
  'HOME',
  'PATH',
  'SHELL',
  'USER',
  'LOGNAME',
  'TERM',
  'LANG',
  'TMPDIR',
  'HOSTNAME',
  'SHLVL',
  'XAUTHORITY',
  'SSH_AUTH_SOCK',
  'GPG_AGENT_INFO',
  'DBUS_SESSION_BUS_ADDRESS',
  'XDG_SESSION_ID',
  'XDG_SESSION_TYPE',
  'XDG_SESSION_CLASS',
  'XDG_SESSION_DESKTOP',
  'DESKTOP_SESSION',
  'SESSION_MANAGER',
  'npm_config_cache',
  'KRB5CCNAME',
])

export function isSecretEnvName(name: string, extra?: ReadonlySet<string>): boolean {
  if (SHELL_VARIABLES.has(name) || /^(npm_|VITEST|NODE_|XDG_)/.test(name)) return false
  return isCredentialName(name, {extra})
}
