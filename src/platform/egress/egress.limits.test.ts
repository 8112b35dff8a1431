import type { ServerResponse } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createEgress } from './egress.ts'
import { startServer, stopServers } from './local-server.fixture.ts'

afterEach(stopServers)

const MiB = 1024 * 1024
const local = (options: Parameters<typeof createEgress>[0] = {}) =>
  createEgress({ allowPrivate: ['127.0.0.1/32'], ...options })

/** Streams `total` bytes in 64 KiB chunks with backpressure; the pipeline stops when the client goes away. */
const stream = (total: number) => (res: ServerResponse) => {
  const chunk = Buffer.alloc(64 * 1024, 'x')
  const chunks = function* () {
    for (let sent = 0; sent < total; sent += chunk.length) yield chunk
  }
  pipeline(Readable.from(chunks()), res, () => {})
}

describe('egress: requests and limits', () => {
  it('sends a POST body with its headers and the Camarad user agent', async () => {
    const { url } = await startServer((req, res, body) =>
      res.end(
        JSON.stringify({
          method: req.method,
          body,
          type: req.headers['content-type'],
          length: req.headers['content-length'],
          agent: req.headers['user-agent'],
        }),
      ),
    )

    const response = await local().request(url, {
      method: 'post',
      body: '{"hello":"world"}',
      headers: { 'Content-Type': 'application/json' },
    })

    expect(JSON.parse(response.text())).toEqual({
      method: 'POST',
      body: '{"hello":"world"}',
      type: 'application/json',
      length: '17',
      agent: 'Camarad/0.1 (+self-hosted)',
    })
  })

  it('returns the status and headers of a non-2xx response', async () => {
    const { url } = await startServer((_req, res) => res.writeHead(404, { 'x-reason': 'gone' }).end('missing'))

    const response = await local().request(url)

    expect([response.status, response.headers.get('X-Reason'), response.text()]).toEqual([404, 'gone', 'missing'])
  })

  it('refuses a streamed body larger than maxBytes', async () => {
    const { url } = await startServer((_req, res) => stream(3 * MiB)(res))

    await expect(local({ maxBytes: MiB }).request(url)).rejects.toMatchObject({ code: 'egress.too_large' })
  })

  it('refuses a declared Content-Length larger than maxBytes before reading', async () => {
    const { url } = await startServer((_req, res) =>
      res.writeHead(200, { 'content-length': String(3 * MiB) }).flushHeaders(),
    )

    await expect(local({ maxBytes: MiB }).request(url)).rejects.toMatchObject({ code: 'egress.too_large' })
  })

  it('accepts a body of exactly maxBytes', async () => {
    const { url } = await startServer((_req, res) => res.end(Buffer.alloc(1024, 'y')))

    const response = await local({ maxBytes: 1024 }).request(url)

    expect(response.body.length).toBe(1024)
  })

  it('times out a server that never answers', async () => {
    const { url } = await startServer(() => {})

    await expect(local({ timeoutMs: 200 }).request(url)).rejects.toMatchObject({ code: 'egress.timeout' })
  })

  it('times out a body that stalls after the headers', async () => {
    const { url } = await startServer((_req, res) => res.writeHead(200).write('partial'))

    await expect(local({ timeoutMs: 200 }).request(url)).rejects.toMatchObject({ code: 'egress.timeout' })
  })

  it('times out a name that takes too long to resolve', async () => {
    const lookup = () => new Promise<never>(() => {})

    await expect(
      createEgress({ lookup, timeoutMs: 200 }).request('http://slow-dns.example.com/'),
    ).rejects.toMatchObject({ code: 'egress.timeout' })
  })

  it('reports a refused connection as a network error', async () => {
    const { url } = await startServer(() => {})
    await stopServers()

    await expect(local().request(url)).rejects.toMatchObject({ code: 'egress.network' })
  })
})
