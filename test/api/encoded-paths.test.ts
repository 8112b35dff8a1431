import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, onboard, type TestContext } from '../harness.ts'

/** The router decodes `%61` to `a`: every check keys on the matched route, so an encoded path meets the same ones. */
describe('percent-encoded paths', () => {
  let ctx: TestContext
  let limited: TestContext

  beforeAll(async () => {
    ;[ctx, limited] = await Promise.all([createTestContext(), createTestContext({ RATE_LIMIT_PER_MINUTE: '3' })])
  })
  afterAll(async () => {
    await Promise.all([ctx?.close(), limited?.close()])
  })

  it('answers 401 before validating the body of a protected route reached as /%61pi/…', async () => {
    const res = await call(ctx.app, 'POST', '/%61pi/clients', {}, { unexpected: true })

    expect(res.statusCode).toBe(401)
    expect(res.json().error.code).toBe('auth.unauthenticated')
  })

  it('signs the caller in on an encoded path, as on the plain one', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'encoded-reader')

    const res = await call(ctx.app, 'GET', '/%61pi/clients', { cookie: user.cookie, workspaceId })

    expect(res.statusCode).toBe(200)
  })

  it('refuses a cookie-authenticated change from a foreign origin on an encoded path as CSRF and creates nothing', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'encoded-csrf')

    const res = await call(
      ctx.app,
      'POST',
      '/%61pi/%63lients',
      { cookie: user.cookie, workspaceId, origin: 'https://evil.example' },
      { name: 'forged' },
    )

    expect(res.statusCode).toBe(403)
    expect(res.json().error.code).toBe('auth.csrf')
    const list = await call(ctx.app, 'GET', '/api/clients', { cookie: user.cookie, workspaceId })
    expect((list.json().items as { name: string }[]).map((c) => c.name)).not.toContain('forged')
  })

  it('counts encoded and plain paths against the same per-user rate limit', async () => {
    // Three requests a minute per caller; onboarding spends the user's first.
    const { user, workspaceId } = await onboard(limited.app, 'encoded-limit')
    const paths = ['/api/clients', '/%61pi/clients', '/api/%63lients', '/%61%70%69/clients']
    const codes = []
    for (const p of paths)
      codes.push((await call(limited.app, 'GET', p, { cookie: user.cookie, workspaceId })).statusCode)

    expect(codes).toEqual([200, 200, 429, 429])
  })
})
