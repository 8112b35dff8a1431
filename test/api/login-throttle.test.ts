import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomInt } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { call, createTestContext, driver, login, ORIGIN, signup, type TestContext, type TestUser } from '../harness.ts'

/** A fresh address per test, so windows (in memory or in Redis) never carry over between tests or runs. */
const uniqueIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`

const loginFrom = (app: FastifyInstance, ip: string, email: string, password: string) =>
  app.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress: ip,
    headers: { origin: ORIGIN },
    payload: { email, password },
  })

const failedChecks = async (ctx: TestContext, user: TestUser) =>
  (
    await ctx.container.db
      .selectFrom('auditEvents')
      .select('id')
      .where('action', '=', 'auth.login_failed')
      .where('subjectUserId', '=', user.id)
      .execute()
  ).length

const LIMIT = 3

describe('login throttling', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext({ LOGIN_MAX_FAILURES_PER_ACCOUNT: String(LIMIT), LOGIN_MAX_ATTEMPTS_PER_IP: '6' })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('refuses an address after its attempts run out, whatever the accounts', async () => {
    const ip = uniqueIp()
    for (let i = 0; i < 6; i++)
      expect((await loginFrom(ctx.app, ip, `nobody-${i}@example.test`, 'wrong password guess')).statusCode).toBe(401)

    const res = await loginFrom(ctx.app, ip, 'someone-else@example.test', 'wrong password guess')

    expect(res.statusCode).toBe(429)
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('counts every IPv6 address of one /64 as one address', async () => {
    const prefix = `2001:db8:${randomInt(65_536).toString(16)}:${randomInt(65_536).toString(16)}`
    for (let i = 1; i <= 6; i++)
      await loginFrom(ctx.app, `${prefix}::${i}`, `nobody-v6-${i}@example.test`, 'wrong password guess')

    const res = await loginFrom(
      ctx.app,
      `${prefix}:ffff:ffff:ffff:ffff`,
      'nobody-v6@example.test',
      'wrong password guess',
    )

    expect(res.statusCode).toBe(429)
  })

  it('throttles password changes like logins: wrong current passwords count', async () => {
    const user = await signup(ctx.app, 'pw-guesser')
    const change = (current: string) =>
      call(
        ctx.app,
        'POST',
        '/api/auth/password',
        { cookie: user.cookie },
        { currentPassword: current, newPassword: 'a brand new passphrase here' },
      )
    for (let i = 0; i < LIMIT; i++) expect((await change('wrong current guess')).statusCode).toBe(400)

    const res = await change(user.password)

    expect(res.statusCode).toBe(429)
    expect(res.json().error.code).toBe('auth.throttled')
    expect(await login(ctx.app, user)).toMatch(/^camarad_session=/)
  })
})

describe('a throttle always ends', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '2', LOGIN_THROTTLE_WINDOW_SECONDS: '1' })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('lets the right password in once the window has passed, even after attempts during the lockout', async () => {
    const user = await signup(ctx.app, 'patient')
    const ip = uniqueIp()
    for (let i = 0; i < 2; i++) await loginFrom(ctx.app, ip, user.email, 'wrong password guess')
    for (let i = 0; i < 3; i++)
      expect((await loginFrom(ctx.app, ip, user.email, 'wrong password guess')).statusCode).toBe(429)

    await new Promise((ok) => setTimeout(ok, 1_200))

    expect((await loginFrom(ctx.app, ip, user.email, user.password)).statusCode).toBe(200)
  })
})

// The race is between the count and the password check: on PostgreSQL, as the other concurrency suites.
describe.skipIf(driver !== 'postgres')('parallel wrong passwords', () => {
  const stores: [string, Record<string, string>][] = [
    ['the in-process store', {}],
    ...(process.env.REDIS_URL
      ? [['Redis', { REDIS_URL: process.env.REDIS_URL }] as [string, Record<string, string>]]
      : []),
  ]
  for (const [name, env] of stores) {
    describe(`with ${name}`, () => {
      let ctx: TestContext

      beforeAll(async () => {
        ctx = await createTestContext({ ...env, LOGIN_MAX_FAILURES_PER_ACCOUNT: String(LIMIT) })
      })
      afterAll(async () => {
        await ctx?.close()
      })

      it(`checks at most ${LIMIT} of 20 parallel guesses at one account`, async () => {
        const user = await signup(ctx.app, 'raced')

        const results = await Promise.all(
          Array.from({ length: 20 }, () => loginFrom(ctx.app, uniqueIp(), user.email, 'wrong password guess')),
        )

        expect(results.filter((r) => r.statusCode === 401).length).toBeLessThanOrEqual(LIMIT)
        expect(results.filter((r) => r.statusCode === 429).length).toBeGreaterThanOrEqual(20 - LIMIT)
        expect(await failedChecks(ctx, user)).toBeLessThanOrEqual(LIMIT)
      })
    })
  }
})
