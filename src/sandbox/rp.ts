import {randomBytes} from 'node:crypto'
import type {ClientMetadata, Configuration} from 'openid-client'

/**
 * The relying-party half of an app's OIDC login, built on openid-client the way real Node apps
 * do it: /login keeps state + PKCE verifier server-side under a random key (the app puts the key
 * in its login-state cookie) and sends the browser to the provider; the callback redeems the code
 * at the provider's token endpoint, which validates the ID token, and yields its claims. The
 * sandbox app and the tests' relying party share it; openid-client loads on first use.
 */

type OpenIdClient = typeof import('openid-client')

export interface LoginFlow {
  state: string
  verifier: string
}

export interface RelyingPartyOptions {
  /**
   * The provider's issuer, or the URL of its discovery document (…/.well-known/openid-configuration),
   * in which case the app takes the issuer the document publishes as it is. A function when the
   * provider starts after the app.
   */
  discovery: string | (() => string)
  clientId: string
  clientSecret?: string
  /** Client metadata beyond the secret (e.g. openid-client's clockSkew). */
  metadata?: Partial<ClientMetadata>
  /** Change the discovered configuration (a test app that expects another issuer, say). */
  adjust?: (config: Configuration, client: OpenIdClient, metadata: Partial<ClientMetadata>) => Configuration
}

export interface RelyingParty {
  /** Discovery, done once; rejects while the provider cannot be discovered. */
  configuration(): Promise<Configuration>
  /** Starts a login: the key to keep in the login-state cookie, and where to send the browser. */
  begin(params: {redirect_uri: string; scope: string} & Record<string, string>): Promise<{key: string; url: URL}>
  /** The pending login under a state-cookie key, if any. */
  pending(key: string): LoginFlow | undefined
  /**
   * Redeems the authorization response at the token endpoint (state and PKCE checked, ID token
   * validated) and returns the ID token's claims; the pending login is then forgotten. Throws
   * openid-client's error otherwise (see `describeLoginError`).
   */
  finish(key: string, currentUrl: URL): Promise<Record<string, unknown>>
}

export function relyingParty(options: RelyingPartyOptions): RelyingParty {
  let loaded: Promise<{client: OpenIdClient; config: Configuration}> | undefined
  const flows = new Map<string, LoginFlow>()
  const load = () =>
    (loaded ??= (async () => {
      const client = await import('openid-client')
      const where = typeof options.discovery === 'function' ? options.discovery() : options.discovery
      const metadata: Partial<ClientMetadata> = {
        ...(options.clientSecret ? {client_secret: options.clientSecret} : {}),
        ...options.metadata,
      }
      const config = await client.discovery(new URL(where), options.clientId, metadata, undefined, {
        execute: [client.allowInsecureRequests],
      })
      return {client, config: options.adjust ? options.adjust(config, client, metadata) : config}
    })().catch((error: unknown) => {
      // Try again on the next request: the provider may not have been up yet.
      loaded = undefined
      throw error
    }))
  return {
    configuration: async () => (await load()).config,
    async begin(params) {
      const {client, config} = await load()
      const key = randomBytes(16).toString('base64url')
      const flow = {state: client.randomState(), verifier: client.randomPKCECodeVerifier()}
      flows.set(key, flow)
      const url = client.buildAuthorizationUrl(config, {
        ...params,
        state: flow.state,
        code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
      })
      return {key, url}
    },
    pending: (key) => flows.get(key),
    async finish(key, currentUrl) {
      const flow = flows.get(key)
      if (!flow) throw new Error('no login in progress for this browser')
      const {client, config} = await load()
      const tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
      })
      flows.delete(key)
      return {...tokens.claims()}
    },
  }
}

/** What apps usually log: the library's message and its cause (openid-client puts the detail there). */
export function describeLoginError(error: unknown): string {
  const e = error as Error & {cause?: {message?: string}}
  return e.cause?.message ? `${e.message}: ${e.cause.message}` : String(e.message ?? error)
}
