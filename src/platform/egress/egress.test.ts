import { afterEach, describe, expect, it, vi } from 'vitest'
import { createEgress } from './egress.ts'
import { startServer, stopServers } from './local-server.fixture.ts'

afterEach(stopServers)

// The one operator opening the tests use: the local servers below listen on 127.0.0.1.
const local = (options: Parameters<typeof createEgress>[0] = {}) =>
  createEgress({ allowPrivate: ['127.0.0.1/32'], ...options })
const resolvingTo = (...addresses: string[]) =>
  vi.fn(async () => addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 })))

describe('egress: schemes and URLs', () => {
  it.each([
    'file:///etc/passwd',
    'ftp://example.com/',
    'data:text/plain,hi',
    'gopher://example.com/',
    'javascript:alert(1)',
  ])('refuses the scheme of %s', async (url) => {
    await expect(createEgress().request(url)).rejects.toMatchObject({ code: 'egress.scheme_not_allowed' })
  })

  it('refuses a URL that carries credentials', async () => {
    await expect(createEgress().request('http://user:pass@example.com/')).rejects.toMatchObject({
      code: 'egress.invalid_url',
    })
  })

  it('refuses a string that is not a URL', async () => {
    await expect(createEgress().request('not a url')).rejects.toMatchObject({ code: 'egress.invalid_url' })
  })
})

describe('egress: addresses', () => {
  it('refuses loopback reached by the name localhost', async () => {
    await expect(createEgress().request('http://localhost/')).rejects.toMatchObject({
      code: 'egress.address_not_allowed',
    })
  })

  it.each([
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://[::1]/',
    'http://0.0.0.0/',
  ])('refuses the loopback literal %s', async (url) => {
    await expect(createEgress().request(url)).rejects.toMatchObject({ code: 'egress.address_not_allowed' })
  })

  it.each([
    'http://10.0.0.5/',
    'http://172.16.0.1/',
    'http://192.168.1.1/',
    'http://[fd12::1]/',
    'http://100.64.0.1/',
    'http://[fe80::1]/',
  ])('refuses the private literal %s', async (url) => {
    await expect(createEgress().request(url)).rejects.toMatchObject({ code: 'egress.address_not_allowed' })
  })

  it.each(['http://[::ffff:127.0.0.1]/', 'http://[::ffff:a00:5]/'])(
    'refuses the IPv4-mapped IPv6 literal %s',
    async (url) => {
      await expect(createEgress().request(url)).rejects.toMatchObject({ code: 'egress.address_not_allowed' })
    },
  )

  it('refuses metadata even when the operator opened link-local', async () => {
    const egress = createEgress({ allowPrivate: ['169.254.0.0/16', 'fd00::/8'], lookup: resolvingTo('fd00:ec2::254') })

    await expect(egress.request('http://169.254.169.254/latest/meta-data/')).rejects.toMatchObject({
      code: 'egress.address_not_allowed',
    })
    await expect(egress.request('http://metadata.example.com/')).rejects.toMatchObject({
      code: 'egress.address_not_allowed',
    })
  })

  it('refuses a public-looking name that resolves to a private address', async () => {
    const egress = createEgress({ lookup: resolvingTo('10.0.0.5') })

    await expect(egress.request('https://files.example.com/report.pdf')).rejects.toMatchObject({
      code: 'egress.address_not_allowed',
    })
  })

  it('refuses a name that resolves to an IPv4-mapped private address', async () => {
    const egress = createEgress({ lookup: resolvingTo('::ffff:10.0.0.5') })

    await expect(egress.request('http://mapped.example.com/')).rejects.toMatchObject({
      code: 'egress.address_not_allowed',
    })
  })

  it('refuses a name when any one of its addresses is not allowed, without connecting', async () => {
    const hits = vi.fn()
    const { port } = await startServer((_req, res) => (hits(), res.end('ok')))
    const egress = local({ lookup: resolvingTo('127.0.0.1', '10.0.0.5') })

    await expect(egress.request(`http://mixed.example.com:${port}/`)).rejects.toMatchObject({
      code: 'egress.address_not_allowed',
    })
    expect(hits).not.toHaveBeenCalled()
  })

  it('reaches a private range the operator opened', async () => {
    const { url } = await startServer((_req, res) => res.end('hello'))

    const response = await local().request(`${url}/greeting`)

    expect(response).toMatchObject({ status: 200, url: `${url}/greeting` })
    expect(response.text()).toBe('hello')
  })

  it('connects to the vetted address with one lookup and keeps the Host header', async () => {
    const { port } = await startServer((req, res) => res.end(req.headers.host))
    const lookup = resolvingTo('127.0.0.1')

    const response = await local({ lookup }).request(`http://api.example.test:${port}/`)

    expect(response.text()).toBe(`api.example.test:${port}`)
    expect(lookup).toHaveBeenCalledTimes(1)
  })
})
