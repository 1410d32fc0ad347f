import {defineCheck, error, unanswered, type Evidence, fail, type Item, pass, skip, warn} from '../src/engine/check.js'
import {oneLine, statusLine} from '../src/facts/wording.js'
import {parseJsonOrUndefined} from '../src/util/json.js'
import type {HttpResult} from '../src/http/client.js'

const E = 'portal-serves-json-banner'
const DEFAULT_PATH = '/portal/'
const MAX_ASSETS = 10

export default defineCheck({
  meta: {
    id: 'portal-spa',
    title: 'The portal serves its web UI',
    failureTitle: 'The portal serves a JSON banner instead of its web UI',
    area: 'platform',
    description:
      'GETs the portal page (default /portal/) as a browser would. HTML is expected; a JSON body such as {"status":"banner"} means the binary was built without its UI bundle. Then GETs the scripts and stylesheets the page links to on the same origin: one that is missing leaves the page blank.',
    needs: ['portal'],
    // From outside, the three causes look the same: the banner result names the entry, and a page that serves HTML rules all three out.
    kb: [E, `${E}#ui-bundle-not-built`, `${E}#binary-not-rebuilt`, `${E}#bare-go-build`, `${E}#assets-missing`],
    vars: {[E]: ['url'], [`${E}#assets-missing`]: ['url']},
  },
  async run(ctx) {
    const cfg = ctx.config.portal
    if (!cfg)
      return skip('no portal section in the config: set portal (portal.path defaults to /portal/) to check the web UI')
    const url = ctx.facts.resolveUrl(cfg.path ?? DEFAULT_PATH)
    const page = await ctx.facts.fetch({
      url,
      headers: {accept: 'text/html,application/xhtml+xml', ...cfg.headers},
      purpose: 'portal-spa',
    })
    const exchanges = [page.exchange]
    const shown = page.exchange.url
    if (!page.response) {
      const netError = page.error ?? {kind: 'other' as const, message: 'no response'}
      return unanswered(netError, `could not load the portal at ${shown}: ${netError.message}`, {
        evidence: {notes: [netError.hint ?? 'Check portal.path and `doctor run readiness`.'], exchanges},
      })
    }
    const res = page.response
    const type = res.header('content-type') ?? ''
    const text = res.text()
    const snippet = oneLine(page.exchange.bodySnippet ?? '')
    if (res.status < 200 || res.status > 299) {
      const hint =
        res.status >= 300 && res.status < 400
          ? `It redirects to ${String(page.exchange.responseHeaders['location'] ?? '?')}: point portal.path at the final URL (with its trailing slash).`
          : res.status === 404
            ? 'Nothing is served there: check portal.path, and that this build includes the portal at all.'
            : 'Read the service logs for this request.'
      return error(
        `the portal at ${shown} answered ${statusLine(res.status)}, not a page, so doctor cannot judge it${snippet ? `: ${snippet}` : ''}`,
        {evidence: {notes: [hint], exchanges}},
      )
    }
    const json = parseJsonOrUndefined(text)
    if (json !== undefined || /json/i.test(type)) {
      const banner = isBanner(json)
      const what = banner ? 'the fallback JSON banner' : 'JSON'
      return fail(
        `${shown} answers ${what} (${type || 'no content type'}: ${snippet || 'empty'}) instead of the web UI: the binary was built without its UI bundle, or the running binary predates it`,
        {kb: E, vars: {url: shown}},
        {
          evidence: {
            observed: {url: shown, contentType: type, body: snippet},
            expected: 'an HTML page that loads the single-page app',
            exchanges,
          },
        },
      )
    }
    if (!/html/i.test(type) && !/<(!doctype|html|script|div)/i.test(text)) {
      return error(`${shown} answered ${type || 'no content type'}, neither HTML nor JSON: ${snippet}`, {
        evidence: {notes: ['Check portal.path.'], exchanges},
      })
    }
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim()
    const page1 = `${shown} serves HTML${title ? ` ("${title}")` : ''}`
    if (cfg.assets === false) return pass(page1, {evidence: {exchanges}})

    const {Parser} = await import('htmlparser2')
    // Asset links are followed as the page wrote them (signed asset URLs carry their signature); only the exchanges are shown.
    const assets = linkedAssets(Parser, res.raw.text(), res.raw.url).slice(0, MAX_ASSETS)
    if (assets.length === 0)
      return pass(`${page1}; it links no script or stylesheet on its own origin`, {evidence: {exchanges}})
    const loads = await Promise.all(
      assets.map((a) => ctx.facts.fetch({url: a, headers: cfg.headers, purpose: 'portal-spa'})),
    )
    exchanges.push(...loads.map((l) => l.exchange))
    const items: Item[] = loads.map((l) => ({
      label: pathOf(l.exchange.url),
      status: assetOk(l) ? 'pass' : 'fail',
      message: assetText(l),
    }))
    const broken = items.filter((i) => i.status === 'fail')
    const evidence: Evidence = {observed: {url: shown, assets: items.map((i) => `${i.label}: ${i.message}`)}, exchanges}
    if (broken.length === 0)
      return pass(`${page1} and its ${assets.length} asset${assets.length === 1 ? '' : 's'} load`, {items, evidence})
    return warn(
      `${page1}, but ${broken.length} of its ${assets.length} assets fail (${broken.map((b) => `${b.label}: ${b.message}`).join('; ')}): the page stays blank or unstyled`,
      {kb: `${E}#assets-missing`, vars: {url: shown}},
      {items, evidence},
    )
  },
})

// ---------------------------------------------------------------------------------------------

const isBanner = (json: unknown): boolean =>
  typeof json === 'object' &&
  json !== null &&
  String((json as Record<string, unknown>).status).toLowerCase() === 'banner'

const pathOf = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.pathname}${u.search}`
  } catch {
    return url
  }
}

type ParserClass = typeof import('htmlparser2').Parser

/** Scripts and stylesheets on the page's own origin, absolute, without duplicates. */
function linkedAssets(Parser: ParserClass, html: string, pageUrl: string): string[] {
  const origin = new URL(pageUrl).origin
  const found = new Set<string>()
  const add = (ref: string | undefined) => {
    if (!ref || ref.startsWith('data:')) return
    try {
      const u = new URL(ref, pageUrl)
      if (u.origin === origin) found.add(u.href)
    } catch {
      /* not a URL */
    }
  }
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'script') add(attrs.src)
      if (name === 'link' && /\b(stylesheet|modulepreload)\b/i.test(attrs.rel ?? '')) add(attrs.href)
    },
  })
  parser.write(html)
  parser.end()
  return [...found]
}

function assetOk(load: HttpResult): boolean {
  const res = load.response
  if (!res || res.status < 200 || res.status > 299) return false
  // The router's fallback (HTML or the JSON banner) served for a missing file is no asset either.
  return !/html|json/i.test(res.header('content-type') ?? '')
}

function assetText(load: HttpResult): string {
  const res = load.response
  if (!res) return load.error?.message ?? 'no response'
  const type = res.header('content-type') ?? 'no content type'
  return res.status >= 200 && res.status <= 299 ? `${statusLine(res.status)} (${type})` : statusLine(res.status)
}
