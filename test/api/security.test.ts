import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomInt } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import {
  addMember,
  call,
  createTestContext,
  createToken,
  login,
  onboard,
  ORIGIN,
  signup,
  uniqueEmail,
  type TestContext,
} from '../harness.ts'

const EVIL = 'https://evil.example'
const SECRET_FIELDS = ['passwordHash', 'password_hash', 'tokenHash', 'token_hash']

/** A fresh address per test, so rate-limit windows (in memory or in Redis) never carry over between tests or runs. */
const uniqueIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`

const statusFrom = (app: FastifyInstance, ip: string) =>
  app.inject({ method: 'GET', url: '/api/auth/status', remoteAddress: ip, headers: { origin: ORIGIN } })

const clientNames = async (app: FastifyInstance, cookie: string, workspaceId: string) => {
  const res = await call(app, 'GET', '/api/clients?archived=include&limit=100', { cookie, workspaceId })
  expect(res.statusCode).toBe(200)
  return (res.json().items as { name: string }[]).map((c) => c.name).sort()
}

describe('security', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  describe('security headers', () => {
    for (const url of ['/api/auth/status', '/healthz']) {
      it(`sends a CSP that forbids plugins, framing and base-uri changes on ${url}`, async () => {
        const res = await call(ctx.app, 'GET', url)

        expect(res.statusCode).toBe(200)
        const csp = String(res.headers['content-security-policy'])
        expect(csp).toContain("object-src 'none'")
        expect(csp).toContain("frame-ancestors 'none'")
        expect(csp).toContain("base-uri 'none'")
      })

      it(`sends nosniff and a referrer policy on ${url}`, async () => {
        const res = await call(ctx.app, 'GET', url)

        expect(res.headers['x-content-type-options']).toBe('nosniff')
        expect(res.headers['referrer-policy']).toEqual(expect.any(String))
        expect(String(res.headers['referrer-policy'])).not.toBe('')
      })

      it(`sends no HSTS outside production on ${url}`, async () => {
        const res = await call(ctx.app, 'GET', url)

        expect(res.headers['strict-transport-security']).toBeUndefined()
      })
    }

    describe('in production', () => {
      let prod: TestContext

      beforeAll(async () => {
        prod = await createTestContext({ NODE_ENV: 'production' })
      })
      afterAll(async () => {
        await prod?.close()
      })

      for (const url of ['/api/auth/status', '/healthz']) {
        it(`sends HSTS on ${url}`, async () => {
          const res = await call(prod.app, 'GET', url)

          expect(res.statusCode).toBe(200)
          expect(String(res.headers['strict-transport-security'])).toMatch(/max-age=\d{7,}/)
        })
      }
    })
  })

  describe('CSRF', () => {
    it('refuses a cookie-authenticated client creation from a foreign origin and creates nothing', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'csrf-foreign')
      const before = await clientNames(ctx.app, user.cookie, workspaceId)

      const res = await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: user.cookie, workspaceId, origin: EVIL },
        { name: 'forged client' },
      )

      expect(res.statusCode).toBe(403)
      expect(res.json().error.code).toBe('auth.csrf')
      expect(await clientNames(ctx.app, user.cookie, workspaceId)).toEqual(before)
    })

    it('refuses a cookie-authenticated token creation from a foreign origin and creates nothing', async () => {
      const user = await signup(ctx.app, 'csrf-token')

      const res = await call(
        ctx.app,
        'POST',
        '/api/tokens',
        { cookie: user.cookie, origin: EVIL },
        { name: 'forged token' },
      )

      expect(res.statusCode).toBe(403)
      expect(res.json().error.code).toBe('auth.csrf')
      const list = await call(ctx.app, 'GET', '/api/tokens', { cookie: user.cookie })
      expect(list.json().items).toEqual([])
    })

    it('refuses a cookie-authenticated change that carries neither Origin nor Referer', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'csrf-none')
      const before = await clientNames(ctx.app, user.cookie, workspaceId)

      const res = await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: user.cookie, workspaceId, origin: null },
        { name: 'originless client' },
      )

      expect(res.statusCode).toBe(403)
      expect(res.json().error.code).toBe('auth.csrf')
      expect(await clientNames(ctx.app, user.cookie, workspaceId)).toEqual(before)
    })

    it('refuses a cookie-authenticated change from an opaque origin (Origin: null) as CSRF and creates nothing', async () => {
      // Browsers send the literal `null` from sandboxed iframes, data: URLs and cross-origin redirects.
      const { user, workspaceId } = await onboard(ctx.app, 'csrf-null')
      const before = await clientNames(ctx.app, user.cookie, workspaceId)

      const res = await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: user.cookie, workspaceId, origin: 'null' },
        { name: 'sandboxed client' },
      )

      expect(res.statusCode).toBe(403)
      expect(res.json().error.code).toBe('auth.csrf')
      expect(await clientNames(ctx.app, user.cookie, workspaceId)).toEqual(before)
    })

    it('refuses a cookie-authenticated change whose only Referer is foreign', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'csrf-referer')

      const res = await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: user.cookie, workspaceId, origin: null, headers: { referer: `${EVIL}/page` } },
        { name: 'referred client' },
      )

      expect(res.statusCode).toBe(403)
      expect(res.json().error.code).toBe('auth.csrf')
    })

    it('accepts a cookie-authenticated change from the app origin', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'csrf-same')

      const res = await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: user.cookie, workspaceId, origin: ORIGIN },
        { name: 'legit client' },
      )

      expect(res.statusCode).toBe(201)
      expect(await clientNames(ctx.app, user.cookie, workspaceId)).toContain('legit client')
    })

    it('accepts a Bearer-token change from a foreign origin', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'csrf-bearer')
      const { token } = await createToken(ctx.app, user)

      const res = await call(
        ctx.app,
        'POST',
        '/api/clients',
        { token, workspaceId, origin: EVIL },
        { name: 'api client' },
      )

      expect(res.statusCode).toBe(201)
      expect(await clientNames(ctx.app, user.cookie, workspaceId)).toContain('api client')
    })

    it('does not refuse a cookie-authenticated GET from a foreign origin', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'csrf-get')

      const res = await call(ctx.app, 'GET', '/api/clients', { cookie: user.cookie, workspaceId, origin: EVIL })

      expect(res.statusCode).toBe(200)
    })
  })

  describe('CORS', () => {
    const preflight = (origin: string) =>
      ctx.app.inject({
        method: 'OPTIONS',
        url: '/api/clients',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-workspace-id',
        },
      })

    it('does not allow a preflight from an origin outside the allowlist', async () => {
      const res = await preflight(EVIL)

      expect(res.headers['access-control-allow-origin']).toBeUndefined()
    })

    it('allows a preflight from the app origin', async () => {
      const res = await preflight(ORIGIN)

      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN)
    })
  })

  describe('request bodies', () => {
    it('refuses a login sent as text/plain with 415 and signs nobody in', async () => {
      const user = await signup(ctx.app, 'plain-text')
      const sessionsBefore = await ctx.container.db
        .selectFrom('sessions')
        .select('id')
        .where('userId', '=', user.id)
        .execute()

      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { origin: ORIGIN, 'content-type': 'text/plain' },
        payload: JSON.stringify({ email: user.email, password: user.password }),
      })

      expect(res.statusCode).toBe(415)
      expect(res.json().error.code).toBe('request.unsupported_media_type')
      expect(res.headers['set-cookie']).toBeUndefined()
      const sessionsAfter = await ctx.container.db
        .selectFrom('sessions')
        .select('id')
        .where('userId', '=', user.id)
        .execute()
      expect(sessionsAfter).toEqual(sessionsBefore)
    })

    for (const extra of [{ workspaceId: 'ws_someoneelse0123456789' }, { id: 'cl_chosenbycaller012345' }]) {
      it(`refuses a client with the unknown field ${Object.keys(extra)[0]} and creates nothing`, async () => {
        const { user, workspaceId } = await onboard(ctx.app, 'strict-client')
        const before = await clientNames(ctx.app, user.cookie, workspaceId)

        const res = await call(
          ctx.app,
          'POST',
          '/api/clients',
          { cookie: user.cookie, workspaceId },
          { name: 'smuggled', ...extra },
        )

        expect(res.statusCode).toBe(400)
        expect(res.json().error.code).toBe('request.invalid')
        expect(await clientNames(ctx.app, user.cookie, workspaceId)).toEqual(before)
      })
    }

    it('refuses a signup that tries to set a role and creates no account', async () => {
      const email = uniqueEmail('role-smuggler')

      const res = await call(
        ctx.app,
        'POST',
        '/api/auth/signup',
        {},
        { email, password: 'correct horse role battery', name: 'smuggler', role: 'admin' },
      )

      expect(res.statusCode).toBe(400)
      expect(res.json().error.code).toBe('request.invalid')
      expect(res.headers['set-cookie']).toBeUndefined()
      expect(
        await ctx.container.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst(),
      ).toBeUndefined()
    })
  })

  describe('sessions and tokens', () => {
    it('kills the session server-side on logout', async () => {
      const user = await signup(ctx.app, 'leaver')
      expect((await call(ctx.app, 'GET', '/api/tokens', { cookie: user.cookie })).statusCode).toBe(200)

      const out = await call(ctx.app, 'POST', '/api/auth/logout', { cookie: user.cookie })

      expect(out.statusCode).toBe(204)
      const after = await call(ctx.app, 'GET', '/api/tokens', { cookie: user.cookie })
      expect(after.statusCode).toBe(401)
    })

    it('refuses a token once it is revoked', async () => {
      const user = await signup(ctx.app, 'revoker')
      const { token, apiToken } = await createToken(ctx.app, user)
      expect((await call(ctx.app, 'GET', '/api/tokens', { token })).statusCode).toBe(200)

      const revoke = await call(ctx.app, 'DELETE', `/api/tokens/${apiToken.id}`, { cookie: user.cookie })

      expect(revoke.statusCode).toBe(204)
      expect((await call(ctx.app, 'GET', '/api/tokens', { token })).statusCode).toBe(401)
    })
  })

  describe('a viewer cannot write', () => {
    let owner: Awaited<ReturnType<typeof onboard>>
    let viewer: Awaited<ReturnType<typeof addMember>>

    beforeAll(async () => {
      owner = await onboard(ctx.app, 'viewer-owner')
      viewer = await addMember(ctx.app, owner.user, owner.workspaceId, 'viewer')
    })

    const clientAsOwner = async () => {
      const res = await call(ctx.app, 'GET', `/api/clients/${owner.clientId}`, { cookie: owner.user.cookie })
      expect(res.statusCode).toBe(200)
      return res.json()
    }

    it('refuses a viewer creating a client and creates nothing', async () => {
      const before = await clientNames(ctx.app, owner.user.cookie, owner.workspaceId)

      const res = await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: viewer.cookie, workspaceId: owner.workspaceId },
        { name: 'viewer client' },
      )

      expect(res.statusCode).toBe(403)
      expect(await clientNames(ctx.app, owner.user.cookie, owner.workspaceId)).toEqual(before)
    })

    it('refuses a viewer changing a client and changes nothing', async () => {
      const before = await clientAsOwner()

      const res = await call(
        ctx.app,
        'PATCH',
        `/api/clients/${owner.clientId}`,
        { cookie: viewer.cookie },
        { name: 'renamed by viewer' },
      )

      expect(res.statusCode).toBe(403)
      expect(await clientAsOwner()).toEqual(before)
    })

    it('refuses a viewer archiving a client and leaves it active', async () => {
      const res = await call(ctx.app, 'POST', `/api/clients/${owner.clientId}/archive`, { cookie: viewer.cookie })

      expect(res.statusCode).toBe(403)
      expect((await clientAsOwner()).archivedAt).toBeNull()
    })

    it('refuses a viewer inviting someone and creates no invitation', async () => {
      const list = () =>
        call(ctx.app, 'GET', `/api/workspaces/${owner.workspaceId}/invitations`, { cookie: owner.user.cookie })
      const before = (await list()).json().items

      const res = await call(
        ctx.app,
        'POST',
        `/api/workspaces/${owner.workspaceId}/invitations`,
        { cookie: viewer.cookie },
        { email: uniqueEmail('viewer-invitee'), role: 'viewer' },
      )

      expect(res.statusCode).toBe(403)
      expect((await list()).json().items).toEqual(before)
    })
  })

  describe('responses never carry secrets', () => {
    const expectNoSecrets = (body: string) => {
      for (const field of SECRET_FIELDS) expect(body).not.toContain(field)
    }

    it('says nothing secret in the signup response', async () => {
      const res = await call(
        ctx.app,
        'POST',
        '/api/auth/signup',
        {},
        { email: uniqueEmail('secret-signup'), password: 'correct horse secret battery', name: 'secret' },
      )

      expect(res.statusCode).toBe(201)
      expectNoSecrets(res.body)
    })

    it('says nothing secret in the login response', async () => {
      const user = await signup(ctx.app, 'secret-login')

      const res = await call(ctx.app, 'POST', '/api/auth/login', {}, { email: user.email, password: user.password })

      expect(res.statusCode).toBe(200)
      expectNoSecrets(res.body)
    })

    it('says nothing secret in the auth status', async () => {
      const { user } = await onboard(ctx.app, 'secret-status')

      const res = await call(ctx.app, 'GET', '/api/auth/status', { cookie: user.cookie })

      expect(res.json().authenticated).toBe(true)
      expectNoSecrets(res.body)
    })

    it('says nothing secret, and not the raw token, in the token list', async () => {
      const user = await signup(ctx.app, 'secret-tokens')
      const { token } = await createToken(ctx.app, user)

      const res = await call(ctx.app, 'GET', '/api/tokens', { cookie: user.cookie })

      expect(res.json().items).toHaveLength(1)
      expectNoSecrets(res.body)
      expect(res.body).not.toContain(token)
    })

    it('says nothing secret in the member list', async () => {
      const { user, workspaceId } = await onboard(ctx.app, 'secret-members')
      await addMember(ctx.app, user, workspaceId, 'member')

      const res = await call(ctx.app, 'GET', `/api/workspaces/${workspaceId}/members`, { cookie: user.cookie })

      expect(res.json().items).toHaveLength(2)
      expectNoSecrets(res.body)
    })
  })

  describe('request ids', () => {
    it('echoes a well-formed x-request-id back', async () => {
      const sent = 'req-0123456789abcdef'

      const res = await call(ctx.app, 'GET', '/api/auth/status', { headers: { 'x-request-id': sent } })

      expect(res.headers['x-request-id']).toBe(sent)
    })

    it('replaces a malformed x-request-id with one of its own', async () => {
      const sent = 'junk id <script>alert(1)</script>'

      const res = await call(ctx.app, 'GET', '/api/auth/status', { headers: { 'x-request-id': sent } })

      const id = String(res.headers['x-request-id'])
      expect(id).not.toBe(sent)
      expect(id).toMatch(/^[A-Za-z0-9._:-]{8,128}$/)
    })

    it('puts the request id into error bodies', async () => {
      const res = await call(ctx.app, 'GET', '/api/tokens')

      expect(res.statusCode).toBe(401)
      expect(res.json().error.requestId).toBe(res.headers['x-request-id'])
    })
  })
})

describe('rate limiting', () => {
  const expectRateLimitedAfterFive = async (app: FastifyInstance) => {
    const ip = uniqueIp()
    for (let i = 0; i < 5; i++) expect((await statusFrom(app, ip)).statusCode).toBe(200)

    const res = await statusFrom(app, ip)

    expect(res.statusCode).toBe(429)
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(res.json().error.code).toBe('request.rate_limited')
  }

  describe('with the in-memory store', () => {
    let ctx: TestContext

    beforeAll(async () => {
      ctx = await createTestContext({ RATE_LIMIT_PER_MINUTE: '5' })
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('answers the sixth request in a minute from one address with 429 and Retry-After', async () => {
      await expectRateLimitedAfterFive(ctx.app)
    })

    it('counts each address on its own', async () => {
      const busy = uniqueIp()
      for (let i = 0; i < 6; i++) await statusFrom(ctx.app, busy)

      const res = await statusFrom(ctx.app, uniqueIp())

      expect(res.statusCode).toBe(200)
    })
  })

  // Runs where Redis is configured (CI sets REDIS_URL); a fresh laptop without Redis skips it.
  describe.skipIf(!process.env.REDIS_URL)('with the Redis store', () => {
    const env = { RATE_LIMIT_PER_MINUTE: '5', REDIS_URL: process.env.REDIS_URL ?? '' }
    let ctx: TestContext
    let sibling: TestContext

    beforeAll(async () => {
      ;[ctx, sibling] = await Promise.all([createTestContext(env), createTestContext(env)])
    })
    afterAll(async () => {
      await Promise.all([ctx?.close(), sibling?.close()])
    })

    it('answers the sixth request in a minute from one address with 429 and Retry-After', async () => {
      await expectRateLimitedAfterFive(ctx.app)
    })

    it('shares the count between app instances', async () => {
      const ip = uniqueIp()
      for (let i = 0; i < 3; i++) expect((await statusFrom(ctx.app, ip)).statusCode).toBe(200)
      for (let i = 0; i < 2; i++) expect((await statusFrom(sibling.app, ip)).statusCode).toBe(200)

      const res = await statusFrom(ctx.app, ip)

      expect(res.statusCode).toBe(429)
      expect(res.json().error.code).toBe('request.rate_limited')
    })
  })
})

describe('login throttling', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  const attempt = (email: string, password: string) => call(ctx.app, 'POST', '/api/auth/login', {}, { email, password })

  it('refuses even the right password after three wrong ones, with 429 and Retry-After', async () => {
    const user = await signup(ctx.app, 'throttled')
    for (let i = 0; i < 3; i++) expect((await attempt(user.email, 'wrong password guess')).statusCode).toBe(401)

    const res = await attempt(user.email, user.password)

    expect(res.statusCode).toBe(429)
    expect(res.json().error.code).toBe('auth.throttled')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('does not block another account from the same address', async () => {
    const victim = await signup(ctx.app, 'blocked')
    const other = await signup(ctx.app, 'unblocked')
    for (let i = 0; i < 3; i++) await attempt(victim.email, 'wrong password guess')

    const cookie = await login(ctx.app, other)

    expect(cookie).toMatch(/^camarad_session=/)
  })

  it('answers an unknown email exactly like a wrong password', async () => {
    const user = await signup(ctx.app, 'lookalike')

    const wrong = await attempt(user.email, 'wrong password guess')
    const unknown = await attempt(uniqueEmail('nobody'), 'wrong password guess')

    expect(unknown.statusCode).toBe(wrong.statusCode)
    expect(wrong.statusCode).toBe(401)
    const withoutRequestId = (res: typeof wrong) => res.body.replace(res.json().error.requestId, '<request-id>')
    expect(withoutRequestId(unknown)).toBe(withoutRequestId(wrong))
    expect(unknown.json().error.code).toBe(wrong.json().error.code)
    expect(unknown.json().error.message).toBe(wrong.json().error.message)
  })
})

describe('body size limit', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext({ BODY_LIMIT_BYTES: '2048' })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('refuses a JSON body over the limit with 413', async () => {
    const email = uniqueEmail('big')

    const res = await call(
      ctx.app,
      'POST',
      '/api/auth/signup',
      {},
      { email, password: 'correct horse big battery', name: 'x'.repeat(4096) },
    )

    expect(res.statusCode).toBe(413)
    expect(res.json().error.code).toBe('request.body_too_large')
    expect(
      await ctx.container.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst(),
    ).toBeUndefined()
  })
})

describe('internal errors', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close().catch(() => undefined)
  })

  it('answers a real internal failure with a generic 500 that leaks nothing', async () => {
    const user = await signup(ctx.app, 'doomed')
    await ctx.container.database.close()

    const res = await call(ctx.app, 'GET', '/api/auth/status', { cookie: user.cookie })

    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({
      error: { code: 'internal', message: expect.any(String), requestId: res.headers['x-request-id'] },
    })
    expect(res.body).not.toContain('stack')
    expect(res.body).not.toMatch(/destroyed|closed|kysely|pglite|postgres/i)
  })
})
