import {randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {page, readBody, requestCookies} from '../../src/sandbox/idp.js'
import {clockSkew, type ServerMetadata} from 'openid-client'
import {describeLoginError, relyingParty} from '../../src/sandbox/rp.js'

/**
 * A small relying party (the "app" doctor diagnoses), on the sandbox's openid-client login
 * (src/sandbox/rp.ts): /console needs a session, /login starts the code flow (state + PKCE kept
 * server-side, keyed by a state cookie), the callback exchanges the code at the IdP and sets
 * the session cookie. Every knob is a fault a real deployment has had.
 */
export interface RpOptions {
  /** The IdP's issuer; a function when the IdP starts after the app (it needs the app's port for its redirect URIs). */
  issuer: string | (() => string)
  clientId: string
  clientSecret?: string
  /** Public origin the app builds its callback from (default: its own loopback URL). */
  publicOrigin?: (port: number) => string
  callbackPath?: string
  /** Fault: the redirect_uri the app sends differs from the one it serves (e.g. a trailing slash). */
  sentRedirectUri?: (origin: string) => string
  /** Fault: the client id the app sends (a placeholder, a wrong one). */
  sentClientId?: string
  stateCookieAttributes?: string
  sessionCookieName?: string
  sessionCookieAttributes?: string
  /** Fault: pad the session cookie value to this many bytes (tokens stored in the cookie). */
  sessionCookieBytes?: number
  /** Fault: /console refuses sessions whose groups claim lacks this group, and sends the user back to log in. */
  requireGroup?: string
  /** Fault: /console refuses sessions whose ID token lacks this claim, and says so in the redirect. */
  requireClaim?: string
  /** The callback admits only emails of this domain (Rack Gateway's GOOGLE_ALLOWED_DOMAIN) and answers 403 otherwise. */
  allowedEmailDomain?: string
  /** mod_auth_openidc style: /console moves the browser to /login with a 200 page and <meta http-equiv="refresh">. */
  metaRefresh?: boolean
  /** Fault: the callback fails token validation this way and sends the user back to /login with the error. */
  callbackError?: 'issuer' | 'audience' | 'clock'
  /** The IdP answers the callback with a cross-site POST (response_mode=form_post). */
  formPost?: boolean
  /** The callback reports errors as a 401 page instead of redirecting to /login. */
  errorPage?: boolean
  host?: string
}

export interface TestRp {
  /** Every cookie value the app handed out (state keys, session ids): none may appear in doctor's output. */
  issued: string[]
  url: string
  port: number
  server: Server
  seen: string[]
  /** Sessions created by successful callbacks. */
  sessions: number
  stop(): Promise<void>
}

export async function startRp(options: RpOptions): Promise<TestRp> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const origin = options.publicOrigin?.(port) ?? `http://127.0.0.1:${port}`
  const callbackPath = options.callbackPath ?? '/auth/callback'
  const redirectUri = options.sentRedirectUri?.(origin) ?? `${origin}${callbackPath}`
  const sessionName = options.sessionCookieName ?? 'rp_session'
  const sessions = new Map<string, {groups: string[]; claims: Record<string, unknown>}>()
  const seen: string[] = []
  const issued: string[] = []
  const stats = {sessions: 0}

  const rp = relyingParty({
    discovery: options.issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    // Fault "clock": the app's clock runs 10 minutes ahead of the provider's, so fresh ID tokens (5 minutes) look expired.
    ...(options.callbackError === 'clock' ? {metadata: {[clockSkew]: 600}} : {}),
    // Fault "issuer": the app expects a slightly different issuer than the provider's (a trailing slash).
    ...(options.callbackError === 'issuer'
      ? {
          adjust: (config, client, metadata) => {
            const server = JSON.parse(JSON.stringify(config.serverMetadata())) as ServerMetadata
            const changed = new client.Configuration(
              {...server, issuer: `${server.issuer}/`},
              options.clientId,
              metadata,
            )
            client.allowInsecureRequests(changed)
            return changed
          },
        }
      : {}),
  })

  const redirect = (res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}) => {
    res.writeHead(302, {location, ...headers})
    res.end()
  }
  const fail = (res: ServerResponse, message: string) => {
    if (options.errorPage) return page(res, 401, 'Sign-in failed', `<p class="error">${message}</p>`)
    redirect(res, `/login?error=${encodeURIComponent(message)}`)
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`)
    void handle(req, res).catch((error: Error) => {
      if (!res.headersSent) page(res, 500, 'Internal error', `<p>${error.message}</p>`)
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin)
    await rp.configuration()
    const jar = requestCookies(req)
    if (url.pathname === '/') return page(res, 200, 'Test app', '<p><a href="/console">Console</a></p>')
    if (url.pathname === '/console') {
      const session = sessions.get(jar.get(sessionName) ?? '')
      if (!session) {
        if (options.metaRefresh)
          return page(
            res,
            200,
            'Signing in',
            '<p>Redirecting to the login…</p>',
            {},
            '<meta http-equiv="refresh" content="0; url=/login">',
          )
        return redirect(res, '/login')
      }
      if (options.requireGroup && !session.groups.includes(options.requireGroup)) {
        return redirect(
          res,
          `/login?error=missing_claim&error_description=${encodeURIComponent(`the groups claim does not contain ${options.requireGroup}`)}`,
        )
      }
      if (options.requireClaim && session.claims[options.requireClaim] === undefined) {
        return redirect(res, `/login?error=missing_claim&claim=${encodeURIComponent(options.requireClaim)}`)
      }
      return page(res, 200, 'Console', '<p>Releases and settings.</p>')
    }
    if (url.pathname === '/login') {
      const {key, url: authorize} = await rp.begin({
        redirect_uri: redirectUri,
        scope: 'openid email groups',
        ...(options.formPost ? {response_mode: 'form_post'} : {}),
      })
      issued.push(key)
      if (options.sentClientId !== undefined) authorize.searchParams.set('client_id', options.sentClientId)
      return redirect(res, authorize.href, {
        'set-cookie': `rp_state=${key}; ${options.stateCookieAttributes ?? 'Path=/; HttpOnly; SameSite=Lax'}`,
      })
    }
    if (url.pathname === callbackPath) {
      const key = jar.get('rp_state') ?? ''
      if (!rp.pending(key)) return redirect(res, '/login')
      let current = url
      if (req.method === 'POST') {
        current = new URL(url)
        current.search = await readBody(req)
      }
      let groups: string[]
      let claims: Record<string, unknown>
      try {
        claims = await rp.finish(key, current)
        if (options.callbackError === 'audience') throw new Error('unexpected JWT "aud" (audience) claim value')
        groups = (claims.groups as string[] | undefined) ?? []
        const email = String(claims.email ?? '')
        if (options.allowedEmailDomain && !email.endsWith(`@${options.allowedEmailDomain}`)) {
          return page(
            res,
            403,
            'Access denied',
            `<p class="error">Login failed: ${email.slice(email.indexOf('@') + 1)} is not an allowed domain.</p>`,
          )
        }
      } catch (error) {
        return fail(res, describeLoginError(error))
      }
      const id = randomBytes(24).toString('base64url')
      const value = options.sessionCookieBytes
        ? `${id}.${'x'.repeat(Math.max(0, options.sessionCookieBytes - id.length - 1))}`
        : id
      sessions.set(value, {groups, claims})
      issued.push(value)
      stats.sessions++
      return redirect(res, '/console', {
        'set-cookie': [
          `${sessionName}=${value}; ${options.sessionCookieAttributes ?? 'Path=/; HttpOnly; SameSite=Lax'}`,
          'rp_state=; Path=/; Max-Age=0',
        ],
      })
    }
    page(res, 404, 'Not found', '')
  }

  return {
    issued,
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    seen,
    get sessions() {
      return stats.sessions
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
