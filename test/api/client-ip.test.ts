import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomInt } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { createTestContext, ORIGIN, type TestContext } from '../harness.ts'

const octet = () => randomInt(1, 255)
const status = (app: FastifyInstance, remoteAddress: string, forwardedFor?: string) =>
  app.inject({
    method: 'GET',
    url: '/api/auth/status',
    remoteAddress,
    headers: { origin: ORIGIN, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
  })

describe('the client address behind a proxy', () => {
  let direct: TestContext
  let oneHop: TestContext
  let byCidr: TestContext

  beforeAll(async () => {
    ;[direct, oneHop, byCidr] = await Promise.all([
      createTestContext({ RATE_LIMIT_PER_MINUTE: '3' }),
      createTestContext({ RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: '1' }),
      createTestContext({ RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: '192.0.2.0/24' }),
    ])
  })
  afterAll(async () => {
    await Promise.all([direct?.close(), oneHop?.close(), byCidr?.close()])
  })

  it('ignores X-Forwarded-For when no proxy is trusted: a client cannot pick a fresh address per request', async () => {
    const peer = `10.1.${octet()}.${octet()}`
    for (let i = 0; i < 3; i++) await status(direct.app, peer, `203.0.113.${i + 1}`)

    expect((await status(direct.app, peer, '203.0.113.99')).statusCode).toBe(429)
  })

  it('takes the address the one trusted proxy saw, not what the client wrote before it', async () => {
    const client = `198.51.100.${octet()}`
    for (let i = 0; i < 3; i++)
      expect((await status(oneHop.app, `10.2.0.${i + 1}`, `6.6.6.${i}, ${client}`)).statusCode).toBe(200)

    expect((await status(oneHop.app, '10.2.0.9', `7.7.7.7, ${client}`)).statusCode).toBe(429)
  })

  it('trusts X-Forwarded-For only from the listed proxy range', async () => {
    const client = `198.51.100.${octet()}`
    for (let i = 0; i < 3; i++) await status(byCidr.app, '192.0.2.10', client)
    expect((await status(byCidr.app, '192.0.2.11', client)).statusCode).toBe(429)

    const outsider = `10.3.${octet()}.${octet()}`
    expect((await status(byCidr.app, outsider, client)).statusCode).toBe(200)
  })

  it('counts a whole IPv6 /64 as one address for the global rate limit', async () => {
    const prefix = `2001:db8:${randomInt(65_536).toString(16)}:${randomInt(65_536).toString(16)}`
    for (let i = 1; i <= 3; i++) expect((await status(direct.app, `${prefix}::${i}`)).statusCode).toBe(200)

    expect((await status(direct.app, `${prefix}:abcd::1`)).statusCode).toBe(429)
    expect((await status(direct.app, `2001:db8:ffff:${randomInt(65_536).toString(16)}::1`)).statusCode).toBe(200)
  })
})
