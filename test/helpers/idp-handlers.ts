import {readFileSync} from 'node:fs'
import {http, HttpResponse, type RequestHandler} from 'msw'

/**
 * The recorded IdP pages (Keycloak, Google, Okta, Entra ID, Auth0, Dex, GitLab, oidc-provider)
 * as msw handlers: a discovery document at the test server, and an authorization endpoint that
 * answers with one recorded page, status and content type as the IdP sent them.
 */
export interface IdpFixture {
  file: string
  idp: string
  /** What the page means: redirect-uri, client, client-disabled, login-page, other, none. */
  expect: string
  status: number
  contentType: string
  code?: string
}

const DIR = new URL('../fixtures/idp-pages/', import.meta.url)

export const idpFixtures = (): IdpFixture[] =>
  JSON.parse(readFileSync(new URL('index.json', DIR), 'utf8')) as IdpFixture[]

export function idpPageHandlers(fixture: IdpFixture): (base: string) => RequestHandler[] {
  const body = readFileSync(new URL(fixture.file, DIR))
  return (base) => [
    http.get('*/.well-known/openid-configuration', () =>
      HttpResponse.json({
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        jwks_uri: `${base}/jwks`,
      }),
    ),
    http.get('*/jwks', () => HttpResponse.json({keys: []})),
    http.get(
      '*/authorize',
      () => new HttpResponse(body, {status: fixture.status, headers: {'content-type': fixture.contentType}}),
    ),
  ]
}
