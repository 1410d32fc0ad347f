import {generateKeyPairSync, randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * A real OpenID Provider on loopback: panva's oidc-provider (certified; version 8 for Node 20),
 * mounted under a path like Keycloak's realms, with a small login interaction of our own (user
 * name + password, wrong passwords rejected) and consent pre-granted for first-party clients.
 * A browser's login goes /auth -> /interaction/<uid> (form) -> POST -> /auth/<uid> ->
 * redirect_uri?code=..., and the app redeems the code at /token. The sandbox runs it as its
 * identity provider; the integration tests run it with their own clients and users.
 */

export interface IdpUser {
  password: string
  email: string
  groups?: string[]
}

export interface IdpClient {
  client_id: string
  client_secret?: string
  redirect_uris: string[]
}

export interface IdpOptions {
  clients: IdpClient[]
  users?: Record<string, IdpUser>
  /** Path the provider is mounted on (default /realms/app). */
  mount?: string
  host?: string
  /** Host name in the issuer instead of 127.0.0.1 (the caller resolves it). */
  publicHost?: string
  /** Publish the issuer with a trailing slash (…/realms/app/), which clients that compare it exactly reject. */
  issuerTrailingSlash?: boolean
  /** Stamp every response's Date header this far ahead: to its clients the provider's clock runs fast. */
  clockOffsetMs?: number
  /** Title of the login page. */
  loginTitle?: string
  /**
   * Run like a deployment rather than a test fixture: a signing key and cookie key made for this
   * run instead of oidc-provider's published development ones, and its development notices
   * ("oidc-provider WARNING: …") kept off the console while it runs (restored on stop).
   */
  deployment?: boolean
}

export interface Idp {
  /** The issuer as the provider publishes it, e.g. http://127.0.0.1:PORT/realms/app. */
  issuer: string
  /** The issuer without a trailing slash: origin + mount. */
  realm: string
  origin: string
  port: number
  server: Server
  /** "METHOD /path" of every request, for asserting what doctor sent. */
  seen: string[]
  stop(): Promise<void>
}

let hushed = 0
let unhush: (() => void) | undefined

/**
 * Drop oidc-provider's notices from console.warn/info while at least one deployment-style
 * provider runs; everything else still prints, and the console is restored when the last stops.
 */
function hushProviderNotices(): () => void {
  if (hushed++ === 0) {
    const {warn, info} = console
    // In a terminal the notice starts with a colour escape.
    const keep =
      (print: (...args: unknown[]) => void) =>
      (...args: unknown[]): void => {
        if (!/^(?:\u001B\[[\d;]*m)?oidc-provider /.test(String(args[0]))) print(...args)
      }
    console.warn = keep(warn)
    console.info = keep(info)
    unhush = () => {
      console.warn = warn
      console.info = info
    }
  }
  let done = false
  return () => {
    if (done) return
    done = true
    if (--hushed === 0) unhush?.()
  }
}

export async function startIdp(options: IdpOptions): Promise<Idp> {
  const unhushed = options.deployment ? hushProviderNotices() : () => {}
  try {
    return await start(options, unhushed)
  } catch (error) {
    unhushed()
    throw error
  }
}

async function start(options: IdpOptions, unhushed: () => void): Promise<Idp> {
  const mount = options.mount ?? '/realms/app'
  const accounts = accountsOf(options.users ?? {})
  const clockOffsetMs = options.clockOffsetMs ?? 0
  const server = createServer()
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const origin = `http://${options.publicHost ?? '127.0.0.1'}:${port}`
  const realm = `${origin}${mount}`
  const issuer = options.issuerTrailingSlash ? `${realm}/` : realm
  const seen: string[] = []
  // The issuer needs the port, so the server listens first and the provider is made for it.
  let provider: any
  try {
    provider = await createProvider(options, issuer, mount, accounts)
  } catch (error) {
    server.close()
    throw error
  }
  const callback: (req: IncomingMessage, res: ServerResponse) => void = provider.callback()

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`)
    if (clockOffsetMs !== 0) {
      res.sendDate = false
      res.setHeader('date', new Date(Date.now() + clockOffsetMs).toUTCString())
    }
    route(req, res)
  })

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/'
    if (!url.startsWith(`${mount}/`) && url !== mount) {
      res.writeHead(404, {'content-type': 'text/plain'})
      res.end('not found')
      return
    }
    const rest = url.slice(mount.length) || '/'
    const interaction = /^\/interaction\/([\w-]+)(\/login)?$/.exec(rest.split('?')[0])
    if (interaction) {
      void handleInteraction(req, res, interaction[2] === '/login').catch((error: Error) => {
        res.writeHead(500, {'content-type': 'text/plain'})
        res.end(error.message)
      })
      return
    }
    // Mounted like express does it: originalUrl keeps the prefix, url loses it.
    ;(req as IncomingMessage & {originalUrl?: string}).originalUrl = url
    req.url = rest
    callback(req, res)
  }

  async function handleInteraction(req: IncomingMessage, res: ServerResponse, submit: boolean): Promise<void> {
    const details = await provider.interactionDetails(req, res)
    const form = (message = '') =>
      page(
        res,
        200,
        options.loginTitle ?? 'Sign in to Test IdP',
        `${message ? `<p class="error" role="alert">${message}</p>` : ''}<form method="post" action="${mount}/interaction/${details.uid}/login">
  <label>Username <input type="text" name="username" autocomplete="username"></label>
  <label>Password <input type="password" name="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>`,
      )
    if (!submit || req.method !== 'POST') return form()
    const body = new URLSearchParams(await readBody(req))
    const account = accounts.get(body.get('username') ?? '')
    if (!account || account.password !== body.get('password')) return form('Invalid username or password.')
    await provider.interactionFinished(req, res, {login: {accountId: account.sub}}, {mergeWithLastSubmission: false})
  }

  return {
    issuer,
    realm,
    origin,
    port,
    server,
    seen,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
      unhushed()
    },
  }
}

type Accounts = Map<string, IdpUser & {sub: string}>

/** Accounts by user name, each with its subject. */
function accountsOf(users: Record<string, IdpUser>): Accounts {
  return new Map(
    Object.entries(users).map(([username, u]) => [username, {...u, sub: `user-${username.replace(/\W+/g, '-')}`}]),
  )
}

async function createProvider(options: IdpOptions, issuer: string, mount: string, accounts: Accounts): Promise<any> {
  const {default: Provider} = await import('oidc-provider')
  const bySub = new Map([...accounts.values()].map((a) => [a.sub, a]))
  const ownKeys = options.deployment
    ? {
        jwks: {
          keys: [
            {
              ...generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({format: 'jwk'}),
              kid: `sig-${randomBytes(4).toString('hex')}`,
              use: 'sig',
              alg: 'ES256',
            },
          ],
        },
        clientDefaults: {id_token_signed_response_alg: 'ES256'},
      }
    : {}

  return new Provider(issuer, {
    ...ownKeys,
    clients: options.clients.map((c) => ({
      ...c,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: c.client_secret ? 'client_secret_basic' : 'none',
    })),
    // Served over plain http, a deployment keeps its session cookie Lax: SameSite=None would need Secure.
    cookies: options.deployment
      ? {keys: [randomBytes(24).toString('base64url')], long: {httpOnly: true, sameSite: 'lax'}}
      : {keys: ['test-cookie-signing-key-0123456789']},
    pkce: {required: () => true, methods: ['S256']},
    features: {devInteractions: {enabled: false}},
    claims: {openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups']},
    scopes: ['openid', 'email', 'groups', 'offline_access'],
    interactions: {url: (_ctx: unknown, interaction: {uid: string}) => `${mount}/interaction/${interaction.uid}`},
    ttl: {Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, IdToken: 300, AccessToken: 3600},
    async findAccount(_ctx: unknown, sub: string) {
      const account = bySub.get(sub)
      if (!account) return undefined
      return {
        accountId: sub,
        claims: async () => ({sub, email: account.email, email_verified: true, groups: account.groups ?? []}),
      }
    },
    // First-party clients: consent is implied, so the walk never stops at a consent screen.
    async loadExistingGrant(ctx: any) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId)
      if (grantId) return ctx.oidc.provider.Grant.find(grantId)
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      })
      grant.addOIDCScope('openid email groups')
      await grant.save()
      return grant
    },
  } as never)
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      data += chunk
      if (data.length > 64 * 1024) req.destroy(new Error('body too large'))
    })
    req.on('end', () => resolve(data))
    req.on('error', reject)
  })
}

export function page(
  res: ServerResponse,
  status: number,
  title: string,
  body: string,
  headers: Record<string, string | string[]> = {},
  head = '',
): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}<title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`
  res.writeHead(status, {'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers})
  res.end(html)
}

/** The request's cookies by name (a repeated name keeps its last value). */
export function requestCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>()
  for (const pair of (req.headers.cookie ?? '').split(/;\s*/)) {
    const eq = pair.indexOf('=')
    if (eq > 0) out.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  return out
}
