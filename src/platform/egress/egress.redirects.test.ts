import { afterEach, describe, expect, it, vi } from 'vitest'
import { createEgress } from './egress.ts'
import { startServer, stopServers } from './local-server.fixture.ts'

afterEach(stopServers)

const local = (options: Parameters<typeof createEgress>[0] = {}) =>
  createEgress({ allowPrivate: ['127.0.0.1/32'], ...options })
const redirect = (status: number, location: string) => ({ status, location })

/** A server whose /start answers with `first` and whose /landing records what arrived. */
const redirecting = async (first: { status: number; location: string }) => {
  const landed = vi.fn()
  const server = await startServer((req, res, body) => {
    if (req.url === '/start') return res.writeHead(first.status, { location: first.location }).end()
    landed({ method: req.method, body, authorization: req.headers.authorization })
    res.end('landed')
  })
  return { ...server, landed }
}

describe('egress: redirects', () => {
  it('follows a redirect and reports the final URL', async () => {
    const { url } = await redirecting(redirect(302, '/landing'))

    const response = await local().request(`${url}/start`)

    expect(response).toMatchObject({ status: 200, url: `${url}/landing` })
  })

  it('refuses a redirect to a loopback address the operator did not open', async () => {
    const { url } = await redirecting(redirect(302, 'http://127.0.0.2/admin'))

    await expect(local().request(`${url}/start`)).rejects.toMatchObject({ code: 'egress.address_not_allowed' })
  })

  it('refuses a redirect to a name that resolves to metadata', async () => {
    const { url } = await redirecting(redirect(301, 'http://metadata.example.com/'))
    const lookup = vi.fn(async () => [{ address: '169.254.169.254', family: 4 as const }])

    await expect(local({ lookup }).request(`${url}/start`)).rejects.toMatchObject({
      code: 'egress.address_not_allowed',
    })
  })

  it.each(['file:///etc/passwd', 'gopher://127.0.0.1:25/'])('refuses a redirect to %s', async (location) => {
    const { url } = await redirecting(redirect(302, location))

    await expect(local().request(`${url}/start`)).rejects.toMatchObject({ code: 'egress.scheme_not_allowed' })
  })

  it('refuses a chain longer than maxRedirects', async () => {
    const hits = vi.fn()
    const { url } = await startServer((req, res) => {
      hits()
      res.writeHead(302, { location: `/hop${Number(req.url?.slice(4) || 0) + 1}` }).end()
    })

    await expect(local({ maxRedirects: 3 }).request(`${url}/hop0`)).rejects.toMatchObject({
      code: 'egress.too_many_redirects',
    })
    expect(hits).toHaveBeenCalledTimes(4)
  })

  it('follows a chain exactly maxRedirects long', async () => {
    const { url } = await startServer((req, res) => {
      const hop = Number(req.url?.slice(4))
      if (hop < 2) return res.writeHead(307, { location: `/hop${hop + 1}` }).end()
      res.end('done')
    })

    const response = await local({ maxRedirects: 2 }).request(`${url}/hop0`)

    expect(response.text()).toBe('done')
  })

  it.each([303, 302, 301])('turns a POST into a GET without body on %i', async (status) => {
    const { url, landed } = await redirecting(redirect(status, '/landing'))

    await local().request(`${url}/start`, {
      method: 'POST',
      body: 'name=ada',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })

    expect(landed).toHaveBeenCalledWith(expect.objectContaining({ method: 'GET', body: '' }))
  })

  it.each([307, 308])('repeats the POST with its body on %i', async (status) => {
    const { url, landed } = await redirecting(redirect(status, '/landing'))

    await local().request(`${url}/start`, { method: 'POST', body: 'name=ada' })

    expect(landed).toHaveBeenCalledWith(expect.objectContaining({ method: 'POST', body: 'name=ada' }))
  })

  it('keeps Authorization on the same origin and drops it on another', async () => {
    const same = await redirecting(redirect(302, '/landing'))
    const other = await redirecting(redirect(302, '/landing'))
    const crossing = await redirecting(redirect(302, `http://other.example.test:${other.port}/landing`))
    const egress = local({ lookup: vi.fn(async () => [{ address: '127.0.0.1', family: 4 as const }]) })

    await egress.request(`${same.url}/start`, { headers: { Authorization: 'Bearer secret' } })
    await egress.request(`${crossing.url}/start`, { headers: { Authorization: 'Bearer secret' } })

    expect(same.landed).toHaveBeenCalledWith(expect.objectContaining({ authorization: 'Bearer secret' }))
    expect(other.landed).toHaveBeenCalledWith(expect.objectContaining({ authorization: undefined }))
  })
})
