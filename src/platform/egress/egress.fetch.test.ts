import { afterEach, describe, expect, it, vi } from 'vitest'
import { createEgress } from './egress.ts'
import { startServer, stopServers } from './local-server.fixture.ts'

afterEach(stopServers)

const local = (options: Parameters<typeof createEgress>[0] = {}) =>
  createEgress({ allowPrivate: ['127.0.0.1/32'], ...options })
const resolvingTo = (address: string) => vi.fn(async () => [{ address, family: 4 as const }])

describe('egress: fetch', () => {
  it('sends the request as fetch would and answers a web Response', async () => {
    const { url } = await startServer((req, res, body) => {
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          method: req.method,
          body,
          auth: req.headers.authorization,
          type: req.headers['content-type'],
        }),
      )
    })

    const res = await local().fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    })

    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ method: 'POST', body: '{"a":1}', auth: 'Bearer k', type: 'application/json' })
  })

  it('streams server-sent events as they come, without waiting for the end of the body', async () => {
    let sendRest: () => void = () => {}
    const { url } = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: first\n\n')
      sendRest = () => res.end('data: second\n\n')
    })

    const res = await local().fetch(url)
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n')
    sendRest()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: second\n\n')
    expect((await reader.read()).done).toBe(true)
  })

  it('refuses a name that resolves to loopback at call time, although it resolved publicly when checked', async () => {
    const hits: string[] = []
    const { port } = await startServer((req, res) => {
      hits.push(req.url ?? '')
      res.end('reached')
    })
    const lookup = resolvingTo('93.184.216.34')
    const egress = createEgress({ lookup })

    await expect(egress.check(`http://llm.example.test:${port}/v1`)).resolves.toBeUndefined()
    lookup.mockResolvedValue([{ address: '127.0.0.1', family: 4 }])

    await expect(
      egress.fetch(`http://llm.example.test:${port}/v1/chat/completions`, { method: 'POST', body: '{}' }),
    ).rejects.toMatchObject({ code: 'egress.address_not_allowed' })
    expect(hits).toEqual([])
  })

  it('checks a URL without sending anything: scheme, credentials, address', async () => {
    const egress = createEgress()
    await expect(egress.check('ftp://example.com/')).rejects.toMatchObject({ code: 'egress.scheme_not_allowed' })
    await expect(egress.check('http://user:pw@example.com/')).rejects.toMatchObject({ code: 'egress.invalid_url' })
    await expect(egress.check('http://0x7f000001/')).rejects.toMatchObject({ code: 'egress.address_not_allowed' })
    await expect(egress.check('http://[::ffff:169.254.169.254]/')).rejects.toMatchObject({
      code: 'egress.address_not_allowed',
    })
  })

  it('errors the body stream past maxBytes', async () => {
    const { url } = await startServer((_req, res) => res.end('x'.repeat(10_000)))
    const res = await local({ maxBytes: 1_000 }).fetch(url)
    await expect(res.text()).rejects.toMatchObject({ code: 'egress.too_large' })
  })

  it('fails a refused connection as fetch does, so callers retry it as a network error', async () => {
    const { url } = await startServer((_req, res) => res.end())
    await stopServers()
    const error = await local()
      .fetch(url)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(error).toMatchObject({
      message: 'fetch failed',
      cause: { code: 'egress.network', message: 'The request failed: ECONNREFUSED.' },
    })
  })

  it("stops when the caller's signal aborts, with the caller's reason", async () => {
    const { url } = await startServer((_req, res) => {
      res.writeHead(200)
      res.write('data: 1\n\n')
    })
    const abort = new AbortController()
    const res = await local().fetch(url, { signal: abort.signal })
    const reader = res.body!.getReader()
    await reader.read()
    abort.abort()
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' })
  })
})
