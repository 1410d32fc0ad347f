import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface TestServer {
  url: string
  port: number
  server: Server
  /** Requests seen, in order: "METHOD /path". */
  seen: string[]
  close(): Promise<void>
}

/** A real HTTP server on 127.0.0.1 with an ephemeral port. */
export async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Respond with JSON (or another content type) and a status. */
export function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, {'content-type': contentType, 'content-length': Buffer.byteLength(text)})
  res.end(text)
}

/** Stream `bytes` of filler with backpressure, for body-cap tests; tolerates the client hanging up. */
export function streamBytes(
  res: ServerResponse,
  bytes: number,
  contentType = 'application/octet-stream',
  status = 200,
): void {
  res.writeHead(status, {'content-type': contentType})
  res.on('error', () => {})
  const chunk = Buffer.alloc(64 * 1024, 97)
  let sent = 0
  const pump = () => {
    while (sent < bytes) {
      sent += chunk.length
      if (!res.write(chunk)) return res.once('drain', pump)
    }
    res.end()
  }
  pump()
}
