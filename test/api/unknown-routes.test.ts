import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, signup, type TestContext } from '../harness.ts'

/** An unknown route answers 404 `route.not_found` whatever is sent with it: a body does not turn it into a 400. */
let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext()
})
afterAll(async () => {
  await ctx?.close()
})

const expectNotFound = (res: Awaited<ReturnType<typeof call>>) => {
  expect(res.statusCode, res.body).toBe(404)
  expect(res.json().error.code).toBe('route.not_found')
}

describe('an unknown route', () => {
  it('answers 404 route.not_found to a POST without a body', async () => {
    expectNotFound(await call(ctx.app, 'POST', '/api/nope'))
  })

  it('answers 404 route.not_found to a POST with a JSON body, not 400 request.unexpected_body', async () => {
    expectNotFound(await call(ctx.app, 'POST', '/api/nope', {}, { a: 1 }))
  })

  it('answers 404 route.not_found to a signed-in caller sending a JSON body', async () => {
    const user = await signup(ctx.app, 'lost')
    expectNotFound(await call(ctx.app, 'PUT', '/api/nope/deeper', { cookie: user.cookie }, { a: 1 }))
  })

  it('answers 404 route.not_found under /v1 with a JSON body', async () => {
    expectNotFound(await call(ctx.app, 'POST', '/v1/nope', {}, { model: 'x' }))
  })
})
