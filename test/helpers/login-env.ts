import {startIdp, type IdpUser, type TestIdp} from './oidc.js'
import {type RpOptions, startRp, type TestRp} from './rp-app.js'

export const CLIENT_ID = 'rp-console'
export const CLIENT_SECRET = 'rp-console-secret-5f2a9c41'
export const USER = {
  username: 'alice',
  password: 'alice-pw-7d1e2b',
  email: 'alice@example.com',
  groups: ['release-admins'],
} as const
export const CONSOLE_HOST = 'console.example.test'

export interface LoginEnv {
  idp: TestIdp
  rp: TestRp
  /** The app's public origin (loopback, or console.example.test resolved to 127.0.0.1). */
  origin: string
  callback: string
  /** A doctor.yaml object for this deployment. */
  config(extra?: {
    login?: Record<string, unknown>
    oidc?: Record<string, unknown>
    withUser?: boolean
  }): Record<string, unknown>
  stop(): Promise<void>
}

/**
 * The app (a real openid-client relying party) and panva's oidc-provider, wired together.
 * `named: true` serves the app as http://console.example.test:PORT (doctor resolves the name to
 * 127.0.0.1 through http.resolve), so it is not a secure context the way localhost is.
 */
export async function startLoginEnv(
  options: {
    rp?: Partial<RpOptions>
    named?: boolean
    registered?: (callback: string) => string[]
    users?: Record<string, IdpUser>
  } = {},
): Promise<LoginEnv> {
  let issuer = ''
  const named = options.named ?? false
  const rp = await startRp({
    issuer: () => issuer,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    ...(named ? {publicOrigin: (port: number) => `http://${CONSOLE_HOST}:${port}`} : {}),
    ...options.rp,
  })
  const origin = named ? `http://${CONSOLE_HOST}:${rp.port}` : rp.url
  const callback = `${origin}${options.rp?.callbackPath ?? '/auth/callback'}`
  const idp = await startIdp({
    clients: [
      {client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: options.registered?.(callback) ?? [callback]},
    ],
    users: options.users ?? {[USER.username]: {password: USER.password, email: USER.email, groups: [...USER.groups]}},
  })
  issuer = idp.issuer
  return {
    idp,
    rp,
    origin,
    callback,
    config: (extra = {}) => ({
      target: {baseUrl: origin},
      oidc: {issuer: idp.issuer, clientId: CLIENT_ID, redirectUris: [callback], ...extra.oidc},
      login: {
        consolePath: '/console',
        sessionCookie: 'rp_session',
        ...(extra.withUser === false ? {} : {testUser: {username: USER.username, password: USER.password}}),
        ...extra.login,
      },
      ...(named ? {http: {resolve: {[CONSOLE_HOST]: '127.0.0.1'}}} : {}),
    }),
    stop: async () => {
      await Promise.all([rp.stop(), idp.stop()])
    },
  }
}
