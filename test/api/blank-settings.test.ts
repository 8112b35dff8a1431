import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Env } from '../../src/config.ts'
import { call, createTestContext, driver, uniqueEmail, type TestContext } from '../harness.ts'

/**
 * A copied .env has `OPENAI_BASE_URL=` and friends: every optional setting left blank (empty, or only spaces) is
 * unset, and the full app boots and serves. Kept: where the test database lives, a fixed SECRET_KEY (a blank one
 * would write a key file into the working directory), and a silent log.
 */
const KEPT = new Set(['DATA_DIR', 'DATABASE_URL', 'SECRET_KEY', 'LOG_LEVEL'])

for (const blank of ['', '   ']) {
  describe(`every optional setting set to ${JSON.stringify(blank)}`, () => {
    let ctx: TestContext

    beforeAll(async () => {
      const blanks = Object.fromEntries(
        Object.keys(Env.shape)
          .filter((k) => !KEPT.has(k))
          .map((k) => [k, blank]),
      )
      ctx = await createTestContext({ ...blanks, ...(driver === 'postgres' ? {} : { DATA_DIR: ':memory:' }) })
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('serves /readyz', async () => {
      const res = await call(ctx.app, 'GET', '/readyz')

      expect(res.statusCode).toBe(200)
    })

    it('signs a person up', async () => {
      const res = await call(
        ctx.app,
        'POST',
        '/api/auth/signup',
        { origin: null },
        { email: uniqueEmail('blank'), password: 'correct horse blank battery', name: 'Blank' },
      )

      expect(res.statusCode).toBe(201)
    })
  })
}
