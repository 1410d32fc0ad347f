import type {DoctorConfig} from '../config/schema.js'
import type {HttpClient, HttpRequest, HttpResult, RedirectChain} from '../http/client.js'

/**
 * Lighthouse's gatherers, for a live deployment: checks never fetch on their own, they ask
 * for facts. A fact is computed at most once per run (the first caller starts it, the rest
 * await the same promise), so a URL two checks need is fetched once.
 */
export class Facts {
  private readonly memo = new Map<string, Promise<unknown>>()

  constructor(
    readonly config: DoctorConfig,
    readonly http: HttpClient,
    /** Aborted at the run deadline. Facts are shared, so they do not stop when one check times out. */
    readonly signal: AbortSignal,
    /** The environment config values may name (api.tokenEnv). */
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined
    if (!p) {
      p = compute()
      this.memo.set(key, p)
    }
    return p
  }

  /** A GET (or other safe method) fetched once per run for a given URL and header set. */
  fetch(req: Omit<HttpRequest, 'signal'>): Promise<HttpResult> {
    const method = (req.method ?? 'GET').toUpperCase()
    const key = `http ${method} ${req.url} ${JSON.stringify(req.headers ?? {})}`
    return this.once(key, () => this.http.request({...req, method, signal: this.signal}))
  }

  follow(req: Omit<HttpRequest, 'signal'>, maxHops?: number): Promise<RedirectChain> {
    const key = `follow ${req.method ?? 'GET'} ${req.url} ${JSON.stringify(req.headers ?? {})}`
    return this.once(key, () => this.http.follow({...req, signal: this.signal}, maxHops))
  }

  /** Resolve a config URL: absolute as-is, "/path" against target.baseUrl. */
  resolveUrl(urlOrPath: string): string {
    if (!urlOrPath.startsWith('/')) return urlOrPath
    const base = this.config.target?.baseUrl
    if (!base) throw new Error(`cannot resolve ${urlOrPath}: target.baseUrl is not configured`)
    // "/readyz" is relative to the app's base path: https://host/app + /readyz = https://host/app/readyz.
    return new URL(`${base.replace(/\/+$/, '')}${urlOrPath}`).href
  }
}
