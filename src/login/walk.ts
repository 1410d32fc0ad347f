import type {HttpClient, HttpResult} from '../http/client.js'
import type {ExchangeRecord, NetError} from '../http/types.js'
import {CookieJar, cookieHeaderBytes, isSameSite, type SetCookieJudgement} from './cookies.js'
import {type PageForm, type PageInfo, readPage} from './html.js'

/**
 * A browser's walk through a login, without a browser: every way a page moves the browser
 * (Location redirects, <meta http-equiv="refresh">, auto-submitting forms such as OAuth
 * form_post), a cookie jar that stores and sends cookies the way current Chromium does, and,
 * when credentials are given, the IdP's login form typed in once. Nothing here judges; the
 * checks read the hops.
 */

export type HopVia = 'start' | 'redirect' | 'meta-refresh' | 'form-post' | 'form-get' | 'login-submit' | 'navigate'

export interface WalkHop {
  n: number
  method: string
  url: string
  via: HopVia
  /** The previous page or redirect was on another site (what SameSite decides on). */
  crossSite: boolean
  status?: number
  location?: string
  cookiesSent: string[]
  cookiesWithheld: Array<{name: string; reason: string}>
  /** Size of the Cookie header line sent (0 when none), for proxies' header limits. */
  cookieHeaderBytes: number
  setCookies: SetCookieJudgement[]
  /** For pages (2xx/4xx/5xx without a move): title and the start of the visible text. */
  page?: {title?: string; text: string; hasPasswordForm: boolean}
  /** This hop delivered an authorization response (code= or error= back to the app). */
  callback?: {code: boolean; error?: string; errorDescription?: string}
  error?: NetError
}

export type WalkEnd =
  | {kind: 'page'; status: number}
  | {kind: 'login-form'}
  | {kind: 'login-rejected'; message: string}
  | {kind: 'loop'; first: number; repeat: number; key: string}
  | {kind: 'too-many-hops'; limit: number}
  | {kind: 'net-error'; error: NetError}
  | {kind: 'stuck'; message: string}

export interface Walk {
  start: string
  hops: WalkHop[]
  end: WalkEnd
  jar: CookieJar
  /** The test user's credentials were typed into a login form. */
  submittedLogin: boolean
  /** The recorded HTTP exchanges, one per hop (redacted by the client). */
  exchanges: ExchangeRecord[]
}

export interface WalkOptions {
  start: string
  maxHops: number
  purpose: string
  signal?: AbortSignal
  credentials?: {username: string; password: string}
  /** After the walk ends on a page, open these URLs in the same browser (e.g. the console after login). */
  then?: string[]
  /** Each secret value the walk sees (cookie values) goes here, to be redacted everywhere. */
  onSecret?: (value: string) => void
}

/** Query parameters that change on every attempt; a loop is the same URL up to these. */
const VOLATILE = new Set([
  'state',
  'nonce',
  'code',
  'code_challenge',
  'session_state',
  'iss',
  'client_request_id',
  'sid',
  '_',
  'ts',
  't',
  'rnd',
])

export function loopKey(method: string, url: string): string {
  try {
    const u = new URL(url)
    const params = [...u.searchParams.entries()]
      .filter(([k]) => !VOLATILE.has(k.toLowerCase()))
      .sort(([a], [b]) => a.localeCompare(b))
    // Interaction ids in paths (/interaction/<uid>, /auth/<uid>) are volatile too.
    const path = u.pathname.replace(/\/[A-Za-z0-9_-]{16,}(?=\/|$)/g, '/:id')
    return `${method} ${u.origin}${path}${params.length ? `?${new URLSearchParams(params).toString()}` : ''}`
  } catch {
    return `${method} ${url}`
  }
}

interface Pending {
  method: string
  url: string
  via: HopVia
  body?: string
  from?: string
}

export async function walkLogin(http: HttpClient, options: WalkOptions): Promise<Walk> {
  const jar = new CookieJar()
  const hops: WalkHop[] = []
  const seen = new Map<string, number>()
  let submittedLogin = false
  const queue = [...(options.then ?? [])]
  /** Who set each cookie: a withheld cookie matters only to the origin that set it. */
  const setter = new Map<string, string>()
  let next: Pending | undefined = {method: 'GET', url: options.start, via: 'start'}

  const exchanges: ExchangeRecord[] = []
  const finish = (end: WalkEnd): Walk => ({start: options.start, hops, end, jar, submittedLogin, exchanges})

  while (next) {
    if (hops.length >= options.maxHops) return finish({kind: 'too-many-hops', limit: options.maxHops})
    const key = loopKey(next.method, next.url)

    const crossSite = next.from !== undefined && !isSameSite(next.from, next.url)
    const selection = jar.select(next.url, {crossSite, method: next.method, topLevel: true})
    const headers: Record<string, string> = {accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8'}
    if (selection.header) headers.cookie = selection.header
    if (next.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    if (next.from && next.via !== 'navigate') headers.referer = new URL(next.from).origin + '/'
    const result: HttpResult = await http.request({
      method: next.method,
      url: next.url,
      headers,
      body: next.body,
      purpose: options.purpose,
      signal: options.signal,
    })
    const hop: WalkHop = {
      n: hops.length + 1,
      method: next.method,
      url: result.exchange.url,
      via: next.via,
      crossSite,
      cookiesSent: selection.sent,
      cookiesWithheld: selection.withheld.filter((w) => setter.get(w.name) === new URL(next!.url).origin),
      cookieHeaderBytes: cookieHeaderBytes(selection),
      setCookies: [],
    }
    hops.push(hop)
    exchanges.push(result.exchange)
    const callbackParams = authorizationResponse(next)
    if (callbackParams) hop.callback = http.redactor.redactDeep(callbackParams)
    if (!result.response) {
      hop.error = result.error
      return finish({kind: 'net-error', error: result.error ?? {kind: 'other', message: 'no response'}})
    }
    const res = result.response
    hop.status = res.status
    // Protocol steps read the response as received (cookies, redirects, forms); what the hop
    // records for checks to read comes from the redacted view.
    const raw = res.raw.headers['set-cookie']
    const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
    if (setCookies.length > 0) {
      for (const line of setCookies) {
        const eq = line.indexOf('=')
        const semi = line.indexOf(';')
        if (eq >= 0) options.onSecret?.(line.slice(eq + 1, semi > eq ? semi : undefined).trim())
      }
      hop.setCookies = jar.storeFrom(setCookies, next.url)
      for (const c of hop.setCookies) setter.set(c.name, new URL(next.url).origin)
    }
    const from: string = next.url
    const location = res.raw.header('location')
    // A loop is the same request answered the same way twice: revisiting the console after
    // signing in is normal, being sent from it to the login again is not.
    const repeated = (target: string): WalkEnd | undefined => {
      const pair = `${key} -> ${loopKey('GET', target)}`
      if (seen.has(pair)) return {kind: 'loop', first: seen.get(pair)!, repeat: hops.length - 1, key}
      seen.set(pair, hops.length - 1)
      return undefined
    }
    if (res.status >= 300 && res.status < 400 && location) {
      hop.location = res.header('location')
      let target: string
      try {
        target = new URL(location, from).href
      } catch {
        return finish({
          kind: 'stuck',
          message: `the redirect from ${hop.url} points at "${hop.location}", which is not a URL`,
        })
      }
      const loop = repeated(target)
      if (loop) return finish(loop)
      const method: string = res.status === 307 || res.status === 308 ? next.method : 'GET'
      next = {method, url: target, via: 'redirect', body: method === 'GET' ? undefined : next.body, from}
      continue
    }

    const isHtml = /html/i.test(res.header('content-type') ?? '') || /^\s*</.test(res.text().slice(0, 64))
    // Forms and refresh targets carry one-time values (session_code, csrf tokens) the next step must send.
    const info: PageInfo | undefined = isHtml ? readPage(res.raw.text(), from) : undefined
    const shown: PageInfo | undefined = isHtml ? readPage(res.text(), from) : undefined
    const loginForm = info?.forms.find((f) => f.hasPassword)
    hop.page = {
      title: shown?.title,
      text: (shown?.text ?? res.text()).slice(0, 600),
      hasPasswordForm: Boolean(loginForm),
    }

    if (info?.metaRefresh && info.metaRefresh.url !== from) {
      const loop = repeated(info.metaRefresh.url)
      if (loop) return finish(loop)
      next = {method: 'GET', url: info.metaRefresh.url, via: 'meta-refresh', from}
      continue
    }
    const auto = info?.forms.find((f) => f.autoSubmit)
    if (auto) {
      const loop = repeated(auto.action)
      if (loop) return finish(loop)
      next = formRequest(auto, from, auto.method === 'POST' ? 'form-post' : 'form-get')
      continue
    }
    if (loginForm) {
      if (!options.credentials) return finish({kind: 'login-form'})
      if (submittedLogin)
        return finish({
          kind: 'login-rejected',
          message: errorText(shown) ?? "the login form came back after the test user's credentials were submitted",
        })
      submittedLogin = true
      const fields = loginForm.fields.filter(
        (f) => f.name !== loginForm.usernameField && f.name !== loginForm.passwordField,
      )
      const filled: PageForm = {
        ...loginForm,
        fields: [
          ...fields,
          ...(loginForm.usernameField
            ? [{name: loginForm.usernameField, value: options.credentials.username, type: 'text'}]
            : []),
          ...(loginForm.passwordField
            ? [{name: loginForm.passwordField, value: options.credentials.password, type: 'password'}]
            : []),
        ],
      }
      next = formRequest(filled, from, 'login-submit')
      continue
    }
    // Open the console again only once a login went through (an authorization response reached the app).
    let upcoming = hops.some((h) => h.callback) && res.status < 400 ? queue.shift() : undefined
    while (upcoming && loopKey('GET', upcoming) === key) upcoming = queue.shift()
    if (upcoming) {
      next = {method: 'GET', url: upcoming, via: 'navigate', from}
      continue
    }
    return finish({kind: 'page', status: res.status})
  }
  return finish({kind: 'stuck', message: 'the walk ended without a page'})
}

function formRequest(form: PageForm, from: string, via: HopVia): Pending {
  const body = new URLSearchParams(form.fields.map((f): [string, string] => [f.name, f.value])).toString()
  if (form.method === 'GET') {
    const url = new URL(form.action)
    url.search = body
    return {method: 'GET', url: url.href, via: via === 'form-post' ? 'form-get' : via, from}
  }
  return {method: 'POST', url: form.action, via, body, from}
}

/** code= / error= arriving at the app: in the query of a GET, or in a form_post body. */
function authorizationResponse(req: Pending): WalkHop['callback'] | undefined {
  let params: URLSearchParams
  try {
    params =
      req.method === 'POST' && req.body !== undefined ? new URLSearchParams(req.body) : new URL(req.url).searchParams
  } catch {
    return undefined
  }
  if (!params.has('state')) return undefined
  if (params.has('code')) return {code: true}
  const error = params.get('error')
  if (error)
    return {
      code: false,
      error,
      ...(params.get('error_description') ? {errorDescription: params.get('error_description')!} : {}),
    }
  return undefined
}

function errorText(info: PageInfo | undefined): string | undefined {
  return info?.errorTexts[0] ?? undefined
}
