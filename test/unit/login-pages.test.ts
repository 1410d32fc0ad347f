import {readdirSync, readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {readPage} from '../../src/login/html.js'
import {
  classifyIdpError,
  type IdpResponse,
  KEYCLOAK_REDIRECT_NOTE,
  looksLikeLoginPage,
  placeholderReason,
} from '../../src/login/idp-errors.js'

interface Fixture {
  file: string
  idp: string
  expect: string
  status: number
  contentType: string
  url: string
  code?: string
}
const dir = new URL('../fixtures/idp-pages/', import.meta.url)
const fixtures = JSON.parse(readFileSync(new URL('index.json', dir), 'utf8')) as Fixture[]
const load = (file: string): IdpResponse => {
  const f = fixtures.find((x) => x.file === file)!
  return {status: f.status, url: f.url, contentType: f.contentType, body: readFileSync(new URL(f.file, dir), 'utf8')}
}
const classify = (file: string) => classifyIdpError(load(file))!
const page = (status: number, body: string, url = 'https://idp.example.com/authorize?client_id=x'): IdpResponse => ({
  status,
  url,
  body,
  contentType: 'text/html',
})

/** oidc-provider 8's response_modes/form_post.js template, values escaped with its htmlSafe. */
function oidcProviderFormPost(action: string, inputs: Record<string, string>): string {
  const safe = (v: string) =>
    v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
  const formInputs = Object.entries(inputs)
    .map(([key, value]) => `<input type="hidden" name="${key}" value="${safe(value)}"/>`)
    .join('\n')
  return `<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge">
  <title>Submitting Callback</title>
  <script>
    document.addEventListener('DOMContentLoaded', function () { document.forms[0].submit() });
  </script>
</head>
<body>
  <form method="post" action="${safe(action)}">
    ${formInputs}
    <noscript>
      Your browser does not support JavaScript or you've disabled it.<br/>
      <button autofocus type="submit">Continue</button>
    </noscript>
  </form>
</body>
</html>`
}

describe('recorded IdP pages', () => {
  it('index.json lists every fixture, and each IdP has a redirect-uri and a client page', () => {
    expect(
      readdirSync(dir)
        .filter((f) => f !== 'index.json')
        .sort(),
    ).toEqual(fixtures.map((f) => f.file).sort())
    for (const idp of ['keycloak', 'google', 'okta', 'auth0', 'entra', 'dex', 'gitlab', 'oidc-provider']) {
      const kinds = fixtures.filter((f) => f.idp === idp).map((f) => f.expect)
      expect(kinds, idp).toEqual(expect.arrayContaining(['redirect-uri', 'client']))
    }
  })

  it.each(fixtures.map((f) => [f.file, f] as const))('%s', (_name, f) => {
    const res = load(f.file)
    const m = classifyIdpError(res)
    if (f.expect === 'login-page' || f.expect === 'none') {
      expect(m).toBeUndefined()
    } else {
      expect(m).toMatchObject({idp: f.idp, kind: f.expect})
      if (f.code) expect(m?.code).toBe(f.code)
      expect(m!.message.length).toBeGreaterThan(0)
      expect(m!.message.length).toBeLessThanOrEqual(300)
    }
    expect(looksLikeLoginPage(res)).toBe(f.expect === 'login-page')
    // Served from a loopback test server, the page alone must say the same.
    const loopback = {...res, url: `http://127.0.0.1:4000/authorize${new URL(f.url).search}`}
    expect(classifyIdpError(loopback)).toEqual(m)
    expect(looksLikeLoginPage(loopback)).toBe(f.expect === 'login-page')
  })

  it('extracts the message as shown, the offending value, and the caveats', () => {
    expect(classify('keycloak-redirect-uri.html')).toMatchObject({
      message: 'Invalid parameter: redirect_uri',
      notes: [KEYCLOAK_REDIRECT_NOTE],
    })
    expect(KEYCLOAK_REDIRECT_NOTE).toMatch(/#13314.*#19731/)
    expect(classify('keycloak-client-not-found.html').message).toBe('Client not found.')
    expect(classify('dex-redirect-uri.html').message).toBe(
      'Unregistered redirect_uri ("https://app.example.com/oauth2/callback").',
    )
    expect(classify('dex-invalid-client.html').message).toBe('Invalid client_id ("YOUR_CLIENT_ID").')
    const entra = classify('entra-redirect-uri.html')
    expect(entra.message).toMatch(
      /^AADSTS50011: The redirect URI 'https:\/\/app\.example\.com\/oauth2\/callback' specified in the request does not match/,
    )
    expect(entra.message).not.toMatch(/Navigate to/)
    expect(entra.notes).toEqual([])
    expect(classify('entra-redirect-uri-case.html').notes.join(' ')).toMatch(/case/)
    expect(classify('entra-unknown-client.html').notes.join(' ')).toMatch(/wrong tenant/)
    expect(classify('entra-unknown-client.json').message).not.toMatch(/Trace ID/)
    expect(classify('google-redirect-uri-mismatch.html').message).toBe(
      'Error 400: redirect_uri_mismatch (redirect_uri=https://app.example.com/oauth2/callback)',
    )
    expect(classify('google-invalid-client.html').message).toBe(
      'Error 401: invalid_client (The OAuth client was not found.)',
    )
    expect(classify('oidc-provider-redirect-uri.html').message).toBe(
      "invalid_redirect_uri: redirect_uri did not match any of the client's registered redirect_uris",
    )
    expect(classify('oidc-provider-invalid-client.html').message).toBe('invalid_client: client is invalid')
    expect(classify('okta-invalid-client.json').message).toBe("Invalid value for 'client_id' parameter.")
    expect(classify('okta-redirect-uri.html').message).toBe(
      "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.",
    )
    expect(classify('auth0-callback-mismatch.html').message).toMatch(
      /^Callback URL mismatch\. The provided redirect_uri is not in the list of allowed callback URLs\. \(https:\/\/app/,
    )
    expect(classify('gitlab-redirect-uri.html').message).toBe('The redirect URI included is not valid.')
    expect(classify('negative-app-404.html').message).toBe('404 — This page could not be found.')
    expect(classify('negative-500.html').message).toBe('500 Internal Server Error')
  })

  it("leaves redirects to the caller, except the IdP's own error page", () => {
    const redirect = (location: string, url = 'https://accounts.google.com/o/oauth2/v2/auth?client_id=x') =>
      classifyIdpError({status: 302, url, body: '', location})
    expect(redirect('https://accounts.google.com/v3/signin/identifier?continue=x')).toBeUndefined()
    expect(redirect('https://app.example.com/oauth2/callback?error=invalid_scope')).toBeUndefined()
    expect(
      redirect(
        'https://accounts.google.com/signin/oauth/error/v2?authError=Cg5pbnZhbGlkX2NsaWVudBIfVGhlIE9BdXRoIGNsaWVudCB3YXMgbm90IGZvdW5kLiCRAw%3D%3D&client_id=x',
      ),
    ).toMatchObject({
      idp: 'google',
      kind: 'client',
      code: 'invalid_client',
      message: 'invalid_client: The OAuth client was not found.',
    })
    expect(
      redirect('/error?code=50011', 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=x'),
    ).toMatchObject({idp: 'entra', kind: 'redirect-uri', code: 'AADSTS50011'})
    expect(
      redirect(
        '/error?error=invalid_request&error_description=Callback%20URL%20mismatch.',
        'https://acme.us.auth0.com/authorize?client_id=x',
      ),
    ).toMatchObject({idp: 'auth0', kind: 'redirect-uri'})
    expect(classifyIdpError({status: 302, url: 'https://idp.example.com/a', body: ''})).toBeUndefined()
  })

  it('reads JSON bodies', () => {
    const json = (body: unknown, status = 400) =>
      classifyIdpError({
        status,
        url: 'https://op.example.com/auth',
        contentType: 'application/json',
        body: JSON.stringify(body),
      })
    expect(
      json({
        error: 'invalid_redirect_uri',
        error_description: "redirect_uri did not match any of the client's registered redirect_uris",
      }),
    ).toMatchObject({idp: 'oidc-provider', kind: 'redirect-uri', code: 'invalid_redirect_uri'})
    expect(
      json({error: 'invalid_request', error_description: 'AADSTS50011: reply url mismatch', error_codes: [50011]}),
    ).toMatchObject({idp: 'entra', kind: 'redirect-uri', code: 'AADSTS50011'})
    expect(json({error: 'invalid_request', error_codes: [7000112]})).toMatchObject({
      idp: 'entra',
      kind: 'client-disabled',
      code: 'AADSTS7000112',
    })
    expect(json({error: {code: 'client_not_found', message: 'No such client'}})).toMatchObject({
      idp: 'generic',
      kind: 'client',
      code: 'client_not_found',
    })
    expect(
      json({error: 'invalid_request', error_description: 'The redirect_uri is not registered for this client.'}),
    ).toMatchObject({idp: 'generic', kind: 'redirect-uri', code: 'invalid_request'})
    expect(json({error: 'invalid_scope'})).toMatchObject({idp: 'generic', kind: 'other', code: 'invalid_scope'})
    expect(json({status: 'ok'}, 200)).toBeUndefined()
  })

  it('recognises older wordings and generic pages that name the parameter', () => {
    const googleOld =
      '<html><head><title>Error 401 (OAuth2 Error)!!1</title></head><body><p><b>401.</b> <ins>That’s an error.</ins></p><p><b>Error: invalid_client</b></p><p>The OAuth client was not found.</p><p>Request Details</p><p>client_id=None</p></body></html>'
    expect(
      classifyIdpError(page(401, googleOld, 'https://accounts.google.com/o/oauth2/auth?client_id=None')),
    ).toMatchObject({idp: 'google', kind: 'client', code: 'invalid_client'})
    const auth0Old =
      '<h2>Oops!, something went wrong</h2><p>Callback URL mismatch.</p><p>The url "https://app.example.com/cb" is not in the list of allowed callback URLs: https://app.example.com/callback.</p>'
    expect(classifyIdpError(page(400, auth0Old))).toMatchObject({
      idp: 'auth0',
      kind: 'redirect-uri',
      message:
        'Callback URL mismatch. The url "https://app.example.com/cb" is not in the list of allowed callback URLs',
    })
    expect(
      classifyIdpError(
        page(
          400,
          "<h3>An error has occurred</h3><pre>The requested redirect uri is malformed or doesn't match client redirect URI.</pre>",
        ),
      ),
    ).toMatchObject({idp: 'generic', kind: 'redirect-uri'})
    expect(
      classifyIdpError(
        page(
          400,
          '<title>Login failed</title><p>The redirect_uri https://a.example/cb is not allowed for this client.</p>',
        ),
      ),
    ).toMatchObject({idp: 'generic', kind: 'redirect-uri'})
    expect(
      classifyIdpError(
        page(400, '<title>Error</title><div class="alert alert-danger">Unknown client or client not enabled</div>'),
      ),
    ).toMatchObject({idp: 'generic', kind: 'client', message: 'Unknown client or client not enabled'})
    expect(classifyIdpError(page(200, '<title>Oops</title><h1>Sorry, something broke</h1>'))).toMatchObject({
      idp: 'generic',
      kind: 'other',
      message: 'Sorry, something broke',
    })
    // A login page that shows a failed-login message is not an error page.
    const kcLogin = load('keycloak-login.html')
    const withError = {
      ...kcLogin,
      body: kcLogin.body.replace(
        '<div id="kc-form">',
        '<div class="alert-error pf-m-danger"><span class="kc-feedback-text">Invalid client credentials or redirect_uri mismatch</span></div><div id="kc-form">',
      ),
    }
    expect(readPage(withError.body, withError.url).errorTexts).toContain(
      'Invalid client credentials or redirect_uri mismatch',
    )
    expect(classifyIdpError(withError)).toBeUndefined()
  })

  it('never throws on junk', () => {
    for (const res of [
      {status: 400, url: 'not a url', body: '<<</div>&&&'},
      {status: 400, url: '', body: undefined as unknown as string},
      {status: 500, url: 'x', body: '{"error":'},
      null as unknown as IdpResponse,
    ]) {
      expect(() => classifyIdpError(res)).not.toThrow()
      expect(() => looksLikeLoginPage(res)).not.toThrow()
    }
    expect(classifyIdpError({status: 500, url: 'x', body: '{"error":'})).toMatchObject({idp: 'generic', kind: 'other'})
  })
})

describe('readPage', () => {
  it('reads an oidc-provider form_post response as a self-submitting form', () => {
    const html = oidcProviderFormPost('https://app.example.com/oauth2/callback', {
      code: 'Xk9_aB-1',
      state: 'a&b"c',
      iss: 'https://op.example.com',
    })
    const info = readPage(html, 'https://op.example.com/auth?response_mode=form_post')
    expect(info.title).toBe('Submitting Callback')
    expect(info.forms).toEqual([
      {
        action: 'https://app.example.com/oauth2/callback',
        method: 'POST',
        fields: [
          {name: 'code', value: 'Xk9_aB-1', type: 'hidden'},
          {name: 'state', value: 'a&b"c', type: 'hidden'},
          {name: 'iss', value: 'https://op.example.com', type: 'hidden'},
        ],
        hasPassword: false,
        autoSubmit: true,
      },
    ])
    expect(info.text).toBe('')
    // Without the script, the noscript button of a form_post page still marks it.
    expect(
      readPage(html.replace(/<script>[\s\S]*?<\/script>/, ''), 'https://op.example.com/auth').forms[0].autoSubmit,
    ).toBe(true)
    // A SAML POST-binding page that submits on body onload.
    const saml =
      '<body onload="document.forms[0].submit()"><form method="post" action="/saml/acs"><input type="hidden" name="SAMLResponse" value="PHNhbWw+"><input type="hidden" name="RelayState" value="/"></form></body>'
    expect(readPage(saml, 'https://sp.example.com/x').forms[0]).toMatchObject({
      action: 'https://sp.example.com/saml/acs',
      autoSubmit: true,
    })
  })

  it('finds script-driven submits and ignores handlers', () => {
    const two = (script: string) =>
      readPage(
        `<form id="a" action="/a"><input name="x" value="1"></form><form name="b" action="/b"></form><script>${script}</script>`,
        'https://h.example/p',
      ).forms.map((f) => f.autoSubmit)
    expect(two('document.getElementById("a").submit()')).toEqual([true, false])
    expect(two("document.forms['b'].submit();")).toEqual([false, true])
    expect(two('document.forms[1].submit()')).toEqual([false, true])
    expect(two('document.b.submit()')).toEqual([false, true])
    expect(two('document.querySelector("#a").requestSubmit()')).toEqual([true, false])
    expect(two('form.submit()')).toEqual([false, false])
    const one = (
      script: string,
      form = '<form action="/go" method="post"><input type="hidden" name="t" value="1"></form>',
    ) => readPage(`${form}<script>${script}</script>`, 'https://h.example/').forms[0].autoSubmit
    expect(one('window.onload = function () { form.submit() }')).toBe(true)
    expect(one('$("#login").submit(function (e) { e.preventDefault() })')).toBe(false)
    expect(
      one(
        'setTimeout(function(){document.forms[0].submit()}, 0)',
        '<form action="/l" method="post"><input name="user"><input type="password" name="pw"></form>',
      ),
    ).toBe(false)
  })

  it('follows meta refresh the way a browser does', () => {
    const refresh = (content: string) =>
      readPage(
        `<html><head><base href="https://app.example.com/base/"><meta HTTP-EQUIV="Refresh" content="${content}"></head><body>Redirecting</body></html>`,
        'https://app.example.com/protected/index.html',
      ).metaRefresh
    // mod_auth_openidc-style hop to the authorization endpoint.
    expect(
      refresh('0; url=https://sso.example.com/realms/acme/protocol/openid-connect/auth?client_id=rp&amp;state=x'),
    ).toEqual({
      delaySeconds: 0,
      url: 'https://sso.example.com/realms/acme/protocol/openid-connect/auth?client_id=rp&state=x',
    })
    expect(refresh("5;URL='next?a=1'")).toEqual({delaySeconds: 5, url: 'https://app.example.com/base/next?a=1'})
    expect(refresh('3')).toEqual({delaySeconds: 3, url: 'https://app.example.com/protected/index.html'})
    expect(refresh("0,url = '/x y'")).toEqual({delaySeconds: 0, url: 'https://app.example.com/x%20y'})
    expect(refresh('soon')).toBeUndefined()
    expect(
      readPage('<noscript><meta http-equiv="refresh" content="0; url=/jsdisabled"></noscript>', 'https://h.example/')
        .metaRefresh,
    ).toBeUndefined()
  })

  it('reads login forms: user name field, password field, actions against <base href>', () => {
    const op = readPage(
      load('oidc-provider-login.html').body,
      'https://op.example.com/interaction/zj7IqxJSOpk-fZyOLC6mO',
    ).forms[0]
    expect(op).toMatchObject({
      method: 'POST',
      hasPassword: true,
      usernameField: 'login',
      passwordField: 'password',
      autoSubmit: false,
      action: 'https://op.example.com/interaction/zj7IqxJSOpk-fZyOLC6mO',
    })
    expect(op.fields).toEqual([
      {name: 'prompt', value: 'login', type: 'hidden'},
      {name: 'login', value: '', type: 'text'},
      {name: 'password', value: '', type: 'password'},
    ])
    const kc = readPage(load('keycloak-login.html').body, load('keycloak-login.html').url).forms[0]
    expect(kc).toMatchObject({
      id: 'kc-form-login',
      usernameField: 'username',
      passwordField: 'password',
      hasPassword: true,
    })
    expect(kc.action).toMatch(
      /^https:\/\/sso\.example\.com\/realms\/acme\/login-actions\/authenticate\?session_code=[^&]+&execution=/,
    )
    expect(kc.fields.map((f) => f.name)).toEqual(['username', 'password', 'credentialId'])
    const html = `<base href="/app/"><form action="session" method=POST>
      <input type="text" name="hp" style="display:none"><input type="EMAIL" name="email" autocomplete="username"><input type="password" name="pw" disabled><input type="password" name="secret">
      <input type="checkbox" name="remember" checked><input type="checkbox" name="tos"><input type="radio" name="r" value="b" checked>
      <select name="lang"><option value="en">English</option><option value="de" selected>Deutsch</option></select><textarea name="note">a &lt; b</textarea>
      <input type="submit" name="go" value="Sign in"><button name="btn">Go</button><input name="weird" type="bogus" value="w"></form>`
    const form = readPage(html, 'https://h.example/login?x=1').forms[0]
    expect(form).toMatchObject({
      action: 'https://h.example/app/session',
      method: 'POST',
      usernameField: 'email',
      passwordField: 'secret',
      hasPassword: true,
    })
    expect(form.fields).toEqual([
      {name: 'hp', value: '', type: 'text'},
      {name: 'email', value: '', type: 'email'},
      {name: 'secret', value: '', type: 'password'},
      {name: 'remember', value: 'on', type: 'checkbox'},
      {name: 'r', value: 'b', type: 'radio'},
      {name: 'lang', value: 'de', type: 'select'},
      {name: 'note', value: 'a < b', type: 'textarea'},
      {name: 'weird', value: 'w', type: 'text'},
    ])
    // No name hint: the visible text input before the password field.
    expect(
      readPage('<form><input name="j_id"><input type="password" name="j_pw"></form>', 'https://h.example/a/b').forms[0],
    ).toMatchObject({usernameField: 'j_id', action: 'https://h.example/a/b', method: 'GET'})
    // A form whose action does not resolve is left out.
    expect(
      readPage('<form action="/x"></form><form action="https://ok.example/y"></form>', 'not a url').forms.map(
        (f) => f.action,
      ),
    ).toEqual(['https://ok.example/y'])
  })

  it('collects title, visible text, headings and error boxes', () => {
    const info = readPage(
      `<!doctype html><html><head><title>  We are
      sorry&hellip; </title><style>p{color:red}</style><script>var hidden = "no"</script></head>
      <body><h1 id="kc-page-title">We are sorry...</h1><div id="kc-error-message"><p class="instruction">Client&nbsp;not found.</p></div>
      <noscript>enable JS</noscript><template><p>tpl</p></template><p hidden>secret</p><p style="display: none">none</p><p>caf&eacute; &amp; more</p><div>a</div><div>b</div>
      <span class="alert-error"><span class="kc-feedback-text">Client not found.</span></span><h2>Second</h2><svg><title>icon</title></svg></body></html>`,
      'https://h.example/',
    )
    expect(info.title).toBe('We are sorry…')
    expect(info.text).toBe('We are sorry... Client not found. café & more a b Client not found. Second')
    expect(info.headings).toEqual(['We are sorry...', 'Second'])
    expect(info.errorTexts).toEqual(['Client not found.'])
    expect(info.forms).toEqual([])
    expect(readPage(`<p>${'word '.repeat(10_000)}</p>`, 'https://h.example/').text).toMatch(/^(?:word ){3999}word$/)
  })

  it('never throws on malformed input, and is fast on a 1 MiB page', () => {
    for (const html of [
      '',
      '<',
      '<form action="http://[::1">',
      '<<<>>><form><input name=a value="unterminated',
      '<div>'.repeat(5_000),
      '\u0000\uffff<x y=">',
    ]) {
      expect(() => readPage(html, 'https://h.example/')).not.toThrow()
    }
    expect(
      readPage(
        '<form action="http://[bad"><input name=a></form><form><input name=b></form>',
        'https://h.example/',
      ).forms.map((f) => f.fields[0].name),
    ).toEqual(['b'])
    // Shaped like an IdP page: a large inline bundle, styles, then markup with a form.
    const script = `<script>${'var a=function(b){return b&&b.c<1?"x":"y"};'.repeat(15_000)}</script><style>${'.a{color:red}'.repeat(10_000)}</style>`
    const markup = `${'<div class="row"><p>Lorem ipsum dolor &amp; sit amet <a href="/x">link</a></p></div>\n'.repeat(3_500)}<form method="post"><input name="u"><input type="password" name="p"></form>`
    const big = `<html><head><title>Big</title>${script}</head><body>${markup}</body></html>`
    expect(big.length).toBeGreaterThan(1_048_576)
    // Its speed (an accidental quadratic scan) is measured in npm run bench, not asserted here.
    const info = readPage(big, 'https://h.example/')
    expect(info.text.length).toBeLessThanOrEqual(20_000)
    expect(info.forms[0]).toMatchObject({usernameField: 'u', passwordField: 'p'})
  })
})

describe('placeholderReason', () => {
  it('flags obvious placeholders', () => {
    const flagged = [
      '',
      '   ',
      'None',
      'null',
      'undefined',
      'changeme',
      'CHANGE-ME',
      'your-client-id',
      'YOUR_CLIENT_ID',
      'client-id',
      'client_id',
      'xxx',
      'XXXXXXXX',
      'xxxx-xxxx-xxxx',
      'xxx...',
      'xxxxxxxx.apps.googleusercontent.com',
      'your-app-client-id',
      'insert_client_id_here',
      '<client-id>',
      '{client_id}',
      '${OIDC_CLIENT_ID}',
      '{{ client_id }}',
      'todo',
      'TODO',
      'example',
      'replace-me',
      'dummy',
      'placeholder',
      '...',
      '"rp-console"',
      'rp-console\n',
    ]
    for (const v of flagged) expect(placeholderReason(v), JSON.stringify(v)).toBeTypeOf('string')
    expect(placeholderReason(undefined)).toBe('is empty')
    expect(placeholderReason('<client-id>')).toBe('looks like a template placeholder ("<client-id>")')
    expect(placeholderReason('${CLIENT_ID}')).toMatch(/uninterpolated/)
    // Long adversarial inputs are answered (their speed is measured in npm run bench).
    expect(() => placeholderReason(`your${'a-'.repeat(5_000)}!`)).not.toThrow()
    expect(() => placeholderReason(`${'x-'.repeat(5_000)}!`)).not.toThrow()
  })

  it('accepts real-looking ids', () => {
    for (const v of [
      '0oa1b2c3d4E5F6g7H8i9',
      '123456789012-abc.apps.googleusercontent.com',
      'rp-console',
      'test',
      'NlllqwmYLlEsvtk0BFiNqM2BbAJCN5E7',
      '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      'example-app',
      'account',
      'x',
      'my-app',
      'oauth2-proxy',
      'grafana',
    ]) {
      expect(placeholderReason(v), v).toBeUndefined()
    }
  })
})
