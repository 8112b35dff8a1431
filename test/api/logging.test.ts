import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, createToken, onboard, type TestContext } from '../harness.ts'

const lines: string[] = []
let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext(
    { LOG_LEVEL: 'info' },
    {
      logStream: {
        write: (l) => {
          lines.push(l)
        },
      },
    },
  )
})
afterAll(async () => {
  await ctx.close()
})

describe('request logs', () => {
  it('carry the request id and never a cookie, a token or a password', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'logged')
    const { token } = await createToken(ctx.app, user)
    await call(ctx.app, 'GET', '/api/clients', {
      token,
      workspaceId,
      headers: { 'x-request-id': 'req-logging-test-1' },
    })
    await call(ctx.app, 'POST', '/api/auth/login', {}, { email: user.email, password: user.password })
    const text = lines.join('')
    expect(text).toContain('"reqId":"req-logging-test-1"')
    expect(text).toContain('[redacted]')
    expect(text).not.toContain(token)
    expect(text).not.toContain(token.slice(4, 20))
    expect(text).not.toContain(user.cookie.split('=')[1]!.slice(0, 20))
    expect(text).not.toContain(user.password)
  })

  it('logs an unhandled error with its request id, and answers without details', async () => {
    const broken = await createTestContext(
      { LOG_LEVEL: 'info' },
      {
        logStream: {
          write: (l) => {
            lines.push(l)
          },
        },
      },
    )
    const { user } = await onboard(broken.app, 'broken')
    await broken.container.database.close()
    const res = await call(broken.app, 'GET', '/api/tokens', {
      cookie: user.cookie,
      headers: { 'x-request-id': 'req-logging-test-500' },
    })
    await broken.close()
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({
      error: { code: 'internal', message: expect.any(String), requestId: 'req-logging-test-500' },
    })
    expect(lines.some((l) => l.includes('"level":50') && l.includes('req-logging-test-500'))).toBe(true)
  })
})

describe('request bodies', () => {
  it('a body sent to a route that declares none is refused with 400 and changes nothing', async () => {
    const { user, clientId } = await onboard(ctx.app, 'body')
    const res = await call(
      ctx.app,
      'POST',
      `/api/clients/${clientId}/archive`,
      { cookie: user.cookie },
      { archivedAt: null },
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('request.unexpected_body')
    expect(
      (await call(ctx.app, 'GET', `/api/clients/${clientId}`, { cookie: user.cookie })).json().archivedAt,
    ).toBeNull()
  })
})
