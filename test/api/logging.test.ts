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
    // Headers are not logged at all now (one line per request); the redaction paths are checked below.
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

describe('request log lines', () => {
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)

  it('are one line per request: request id, route, path, status, duration and the workspace', async () => {
    const { user, workspaceId, clientId } = await onboard(ctx.app, 'log-line')
    await call(ctx.app, 'GET', `/api/clients/${clientId}`, {
      cookie: user.cookie,
      headers: { 'x-request-id': 'req-log-line-1' },
    })
    const mine = parsed().filter((l) => l.reqId === 'req-log-line-1')
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: 'request',
      method: 'GET',
      route: '/api/clients/:id',
      path: `/api/clients/${clientId}`,
      status: 200,
      workspaceId,
    })
    expect(typeof mine[0]!.ms).toBe('number')
  })

  it('put paths nothing answers (scanners) at debug, not info', async () => {
    await call(ctx.app, 'GET', '/wp-login.php', { headers: { 'x-request-id': 'req-log-scanner' } })
    await call(ctx.app, 'POST', '/api/no-such-thing', { headers: { 'x-request-id': 'req-log-scanner-2' } })
    expect(lines.join('')).not.toContain('req-log-scanner')
  })

  it('never write a webhook secret, an invitation token or an OAuth code from the URL', async () => {
    const secret = 'whsec-path-secret-0123456789abcdef'
    await call(ctx.app, 'POST', `/api/hooks/flows/${secret}`, { headers: { 'x-request-id': 'req-log-hook' } }, {})
    await call(ctx.app, 'GET', '/api/invitations/inv-token-abcdef0123456789', {
      headers: { 'x-request-id': 'req-log-invite' },
    })
    await call(ctx.app, 'GET', '/api/connectors/google/callback?code=4/oauth-code-secret-xyz&state=state-secret-xyz', {
      headers: { 'x-request-id': 'req-log-oauth' },
    })
    const text = lines.join('')
    for (const id of ['req-log-hook', 'req-log-invite', 'req-log-oauth']) expect(text).toContain(id)
    for (const leaked of [secret, 'inv-token-abcdef0123456789', 'oauth-code-secret-xyz', 'state-secret-xyz'])
      expect(text).not.toContain(leaked)
    expect(parsed().find((l) => l.reqId === 'req-log-hook')).toMatchObject({
      route: '/api/hooks/flows/:secret',
      path: '/api/hooks/flows/[redacted]',
    })
  })

  it('censor every redaction path the logger declares', () => {
    const before = lines.length
    const value = 'must-not-appear-0123456789'
    ctx.app.log.info({
      req: { method: 'GET', url: '/x', headers: { cookie: value, authorization: value, 'x-internal-token': value } },
      res: { headers: { 'set-cookie': value } },
      body: { password: value, token: value },
      user: { password: value, newPassword: value, currentPassword: value, token: value, secret: value },
    })
    const written = lines.slice(before).join('')
    expect(written).toContain('[redacted]')
    expect(written).not.toContain(value)
  })
})
