import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * panva's oidc-provider (a certified OpenID Provider), version 8 for Node 20, on 127.0.0.1.
 * Mounted under a path like Keycloak's realms, with a small login interaction of our own
 * (user name + password, wrong passwords rejected) and consent pre-granted, so a login walk
 * goes: /auth -> /interaction/<uid> (form) -> POST -> /auth/<uid> -> redirect_uri?code=...
 */
// oidc-provider announces its development defaults on every start; the tests use them on purpose.
const warn = console.warn.bind(console)
const info = console.info.bind(console)
const quiet = (print: (...args: unknown[]) => void) => (...args: unknown[]) => {
  if (!String(args[0]).startsWith('oidc-provider')) print(...args)
}
console.warn = quiet(warn)
console.info = quiet(info)
console.log = quiet(console.log.bind(console))

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

export interface TestIdp {
  /** The issuer, e.g. http://127.0.0.1:PORT/realms/app (no trailing slash). */
  issuer: string
  origin: string
  port: number
  server: Server
  /** "METHOD /path" of every request, for asserting what doctor sent. */
  seen: string[]
  stop(): Promise<void>
}

export async function startIdp(options: {clients: IdpClient[]; users?: Record<string, IdpUser>; mount?: string; host?: string; publicHost?: string}): Promise<TestIdp> {
  const {default: Provider} = await import('oidc-provider')
  const mount = options.mount ?? '/realms/app'
  const users = options.users ?? {}
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const origin = `http://${options.publicHost ?? '127.0.0.1'}:${port}`
  const issuer = `${origin}${mount}`
  const accounts = new Map(Object.entries(users).map(([username, u]) => [username, {...u, sub: `user-${username.replace(/\W+/g, '-')}`}]))
  const bySub = new Map([...accounts.values()].map((a) => [a.sub, a]))

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      ...c,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: c.client_secret ? 'client_secret_basic' : 'none',
    })),
    cookies: {keys: ['test-cookie-signing-key-0123456789']},
    pkce: {required: () => true, methods: ['S256']},
    features: {devInteractions: {enabled: false}},
    claims: {openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups']},
    scopes: ['openid', 'email', 'groups', 'offline_access'],
    interactions: {url: (_ctx: unknown, interaction: {uid: string}) => `${mount}/interaction/${interaction.uid}`},
    ttl: {Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, IdToken: 300, AccessToken: 3600},
    async findAccount(_ctx: unknown, sub: string) {
      const account = bySub.get(sub)
      if (!account) return undefined
      return {accountId: sub, claims: async () => ({sub, email: account.email, email_verified: true, groups: account.groups ?? []})}
    },
    // First-party clients: consent is implied, so the walk never stops at a consent screen.
    async loadExistingGrant(ctx: any) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId)
      if (grantId) return ctx.oidc.provider.Grant.find(grantId)
      const grant = new ctx.oidc.provider.Grant({clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId})
      grant.addOIDCScope('openid email groups')
      await grant.save()
      return grant
    },
  } as never)
  const callback = provider.callback()
  const seen: string[] = []

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`)
    const url = req.url ?? '/'
    if (!url.startsWith(`${mount}/`) && url !== mount) {
      res.writeHead(404, {'content-type': 'text/plain'})
      return res.end('not found')
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
  })

  async function handleInteraction(req: IncomingMessage, res: ServerResponse, submit: boolean): Promise<void> {
    const details = await provider.interactionDetails(req, res)
    const form = (message = '') =>
      page(
        res,
        200,
        'Sign in to Test IdP',
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
    origin,
    port,
    server,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function readBody(req: IncomingMessage): Promise<string> {
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

export function page(res: ServerResponse, status: number, title: string, body: string, headers: Record<string, string | string[]> = {}, head = ''): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}<title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`
  res.writeHead(status, {'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers})
  res.end(html)
}

export {readBody}
