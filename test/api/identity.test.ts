import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, createToken, login, signup, uniqueEmail, type TestContext } from '../harness.ts'

let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext()
})
afterAll(async () => {
  await ctx.close()
})

describe('signup', () => {
  it('creates the account, answers 201 with the user and sets an httpOnly session cookie', async () => {
    const email = uniqueEmail('new')
    const res = await call(
      ctx.app,
      'POST',
      '/api/auth/signup',
      {},
      { email: email.toUpperCase(), password: 'a long enough passphrase', name: 'Nora' },
    )
    expect(res.statusCode).toBe(201)
    expect(res.json().user).toMatchObject({ email, name: 'Nora', hasPassword: true })
    expect(String(res.headers['set-cookie'])).toMatch(/camarad_session=.+HttpOnly.*SameSite=Lax/)
  })

  it('refuses a second account with the same email with 409 auth.email_taken', async () => {
    const user = await signup(ctx.app, 'dup')
    const res = await call(
      ctx.app,
      'POST',
      '/api/auth/signup',
      {},
      { email: user.email, password: 'another long passphrase', name: 'X' },
    )
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('auth.email_taken')
  })

  it('refuses short and common passwords with a clear code', async () => {
    const short = await call(
      ctx.app,
      'POST',
      '/api/auth/signup',
      {},
      { email: uniqueEmail(), password: 'short', name: 'X' },
    )
    expect(short.statusCode).toBe(400)
    expect(short.json().error.code).toBe('request.invalid')
    const common = await call(
      ctx.app,
      'POST',
      '/api/auth/signup',
      {},
      { email: uniqueEmail(), password: 'password123', name: 'X' },
    )
    expect(common.statusCode).toBe(400)
    expect(common.json().error.code).toBe('auth.weak_password')
  })

  it('rejects a malformed email with 400 and the field named', async () => {
    const res = await call(
      ctx.app,
      'POST',
      '/api/auth/signup',
      {},
      { email: 'not-an-email', password: 'a long enough passphrase', name: 'X' },
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().error.details.issues[0].path).toBe('body.email')
  })
})

describe('login and sessions', () => {
  it('answers 200 with a new session id on every login', async () => {
    const user = await signup(ctx.app, 'login')
    const first = await login(ctx.app, user)
    const second = await login(ctx.app, user)
    expect(first).not.toBe(second)
    expect(first).not.toBe(user.cookie)
  })

  it('answers 401 auth.invalid_credentials for a wrong password and for an unknown email alike', async () => {
    const user = await signup(ctx.app, 'wrong')
    const wrong = await call(
      ctx.app,
      'POST',
      '/api/auth/login',
      {},
      { email: user.email, password: 'not the password' },
    )
    const unknown = await call(
      ctx.app,
      'POST',
      '/api/auth/login',
      {},
      { email: uniqueEmail('ghost'), password: 'not the password' },
    )
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    const strip = (b: { error: Record<string, unknown> }) => ({ ...b.error, requestId: undefined })
    expect(strip(unknown.json())).toEqual(strip(wrong.json()))
    expect(wrong.json().error.code).toBe('auth.invalid_credentials')
  })

  it('reports the signed-in user and their workspaces on /api/auth/status', async () => {
    const user = await signup(ctx.app, 'status')
    const res = await call(ctx.app, 'GET', '/api/auth/status', { cookie: user.cookie })
    expect(res.json()).toMatchObject({ authenticated: true, via: 'session', workspaces: [], user: { id: user.id } })
    const anon = await call(ctx.app, 'GET', '/api/auth/status')
    expect(anon.json()).toMatchObject({ authenticated: false, user: null })
  })

  it('logout answers 204 and the old cookie no longer works', async () => {
    const user = await signup(ctx.app, 'logout')
    expect((await call(ctx.app, 'POST', '/api/auth/logout', { cookie: user.cookie })).statusCode).toBe(204)
    expect((await call(ctx.app, 'GET', '/api/tokens', { cookie: user.cookie })).statusCode).toBe(401)
  })

  it('a tampered cookie signature is not a session', async () => {
    const user = await signup(ctx.app, 'tamper')
    const tampered = user.cookie.slice(0, -2) + (user.cookie.endsWith('A') ? 'BB' : 'AA')
    expect((await call(ctx.app, 'GET', '/api/tokens', { cookie: tampered })).statusCode).toBe(401)
  })

  it('changing the password ends the other sessions and keeps this one', async () => {
    const user = await signup(ctx.app, 'pw')
    const other = await login(ctx.app, user)
    const res = await call(
      ctx.app,
      'POST',
      '/api/auth/password',
      { cookie: user.cookie },
      { currentPassword: user.password, newPassword: 'a brand new passphrase' },
    )
    expect(res.statusCode).toBe(204)
    expect((await call(ctx.app, 'GET', '/api/tokens', { cookie: other })).statusCode).toBe(401)
    expect((await call(ctx.app, 'GET', '/api/tokens', { cookie: user.cookie })).statusCode).toBe(200)
    expect(
      (await call(ctx.app, 'POST', '/api/auth/login', {}, { email: user.email, password: 'a brand new passphrase' }))
        .statusCode,
    ).toBe(200)
  })

  it('refuses a password change with a wrong current password', async () => {
    const user = await signup(ctx.app, 'pw2')
    const res = await call(
      ctx.app,
      'POST',
      '/api/auth/password',
      { cookie: user.cookie },
      { currentPassword: 'nope nope nope', newPassword: 'a brand new passphrase' },
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('auth.wrong_password')
  })

  it('updates the profile name', async () => {
    const user = await signup(ctx.app, 'profile')
    const res = await call(ctx.app, 'PATCH', '/api/auth/profile', { cookie: user.cookie }, { name: 'Renamed' })
    expect(res.statusCode).toBe(200)
    expect(res.json().user.name).toBe('Renamed')
  })
})

describe('API tokens', () => {
  it('shows the token once, stores only its hash, and authenticates as Bearer', async () => {
    const user = await signup(ctx.app, 'tok')
    const { token, apiToken } = await createToken(ctx.app, user)
    expect(token).toMatch(/^cmr_/)
    const list = await call(ctx.app, 'GET', '/api/tokens', { cookie: user.cookie })
    expect(list.body).not.toContain(token)
    expect(list.json().items[0]).toMatchObject({ id: apiToken.id, prefix: token.slice(0, 10), revokedAt: null })
    const stored = await ctx.container.db
      .selectFrom('apiTokens')
      .select('tokenHash')
      .where('id', '=', apiToken.id)
      .executeTakeFirstOrThrow()
    expect(stored.tokenHash).not.toContain(token.slice(4))
    const status = await call(ctx.app, 'GET', '/api/auth/status', { token })
    expect(status.json()).toMatchObject({ authenticated: true, via: 'token', user: { id: user.id } })
  })

  it('a revoked token answers 401', async () => {
    const user = await signup(ctx.app, 'revoke')
    const { token, apiToken } = await createToken(ctx.app, user)
    expect((await call(ctx.app, 'DELETE', `/api/tokens/${apiToken.id}`, { cookie: user.cookie })).statusCode).toBe(204)
    expect((await call(ctx.app, 'GET', '/api/tokens', { token })).statusCode).toBe(401)
  })

  it("cannot revoke another user's token (404) and that token keeps working", async () => {
    const a = await signup(ctx.app, 'a')
    const b = await signup(ctx.app, 'b')
    const { token, apiToken } = await createToken(ctx.app, a)
    const res = await call(ctx.app, 'DELETE', `/api/tokens/${apiToken.id}`, { cookie: b.cookie })
    expect(res.statusCode).toBe(404)
    expect((await call(ctx.app, 'GET', '/api/tokens', { token })).statusCode).toBe(200)
  })

  it('an unknown or malformed Bearer token answers 401 and does not fall back to the cookie', async () => {
    const user = await signup(ctx.app, 'bearer')
    expect((await call(ctx.app, 'GET', '/api/tokens', { token: 'cmr_nope' })).statusCode).toBe(401)
    expect((await call(ctx.app, 'GET', '/api/tokens', { cookie: user.cookie, token: 'cmr_nope' })).statusCode).toBe(401)
  })

  it('an expired token answers 401', async () => {
    const user = await signup(ctx.app, 'exp')
    const { token, apiToken } = await createToken(ctx.app, user)
    await ctx.container.db
      .updateTable('apiTokens')
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where('id', '=', apiToken.id)
      .execute()
    expect((await call(ctx.app, 'GET', '/api/tokens', { token })).statusCode).toBe(401)
  })
})
