import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {getResponse, type RequestHandler} from 'msw'

/**
 * msw request handlers served on a real loopback port. doctor talks HTTP through undici, whose
 * requests msw's interceptors do not see, so the handlers answer over a socket instead: each
 * request becomes a Fetch Request, `getResponse` picks the handler, and its Response is written
 * back. A request no handler takes is a 404 naming it (a test that forgot a route fails loudly).
 */
export interface MswServer {
  url: string
  /** Requests seen, in order: "GET /path". */
  seen: string[]
  use(...handlers: RequestHandler[]): void
  reset(...handlers: RequestHandler[]): void
  close(): Promise<void>
}

export async function serveHandlers(...initial: RequestHandler[]): Promise<MswServer> {
  let handlers = [...initial]
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    void answer(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, {'content-type': 'text/plain'})
      res.end(`msw-server: ${error.message}`)
    })
  })
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers))
      for (const x of Array.isArray(v) ? v : v ? [v] : []) headers.append(k, x)
    const request = new Request(new URL(req.url ?? '/', base), {
      method: req.method,
      headers,
      ...(body.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? {body} : {}),
    })
    const response = await getResponse(handlers, request)
    if (!response) {
      res.writeHead(404, {'content-type': 'text/plain'})
      res.end(`no msw handler for ${req.method} ${req.url}`)
      return
    }
    const out: Record<string, string | string[]> = {}
    response.headers.forEach((value, key) => {
      if (key === 'set-cookie') return
      out[key] = value
    })
    const cookies = response.headers.getSetCookie()
    if (cookies.length > 0) out['set-cookie'] = cookies
    res.writeHead(response.status, out)
    res.end(Buffer.from(await response.arrayBuffer()))
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: base,
    seen,
    use: (...more) => handlers.unshift(...more),
    reset: (...next) => {
      handlers = [...next]
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
