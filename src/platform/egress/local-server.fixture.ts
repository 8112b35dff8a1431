import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** Receives the request with its whole body already read, so handlers can assert on it. */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void

const servers: http.Server[] = []

/** Starts an HTTP server on 127.0.0.1 (the one range the tests open) and returns its base URL. */
export const startServer = async (handler: Handler) => {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')))
    // The client cutting a stream short is what several tests provoke; not a server failure.
    res.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    port: (server.address() as AddressInfo).port,
  }
}

export const stopServers = () =>
  Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }),
  )
