import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOidcProvider } from '../fakes/oidc-provider.ts'
import { call, createTestContext, createToken, login, signup, type TestContext } from '../harness.ts'

const client = { clientId: 'camarad-test-client', clientSecret: 'camarad-test-secret' }
let provider: Awaited<ReturnType<typeof startFakeOidcProvider>>
let ctx: TestContext

beforeAll(async () => {
  provider = await startFakeOidcProvider(client)
  ctx = await createTestContext({
    GOOGLE_CLIENT_ID: client.clientId,
    GOOGLE_CLIENT_SECRET: client.clientSecret,
    GOOGLE_ISSUER_URL: provider.issuer,
  })
})
afterAll(async () => {
  await ctx.close()
  await provider.close()
})

const cookiesOf = (setCookie: string | string[] | undefined) =>
  (Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []).map((c) => c.split(';')[0]!)

/** Runs the browser's part of the flow: our redirect → the provider → back to our callback. */
const signInWithGoogle = async (next?: string, tamper?: (callback: URL) => void) => {
  const start = await call(ctx.app, 'GET', `/api/auth/google${next ? `?next=${encodeURIComponent(next)}` : ''}`)
  expect(start.statusCode).toBe(302)
  const flowCookie = cookiesOf(start.headers['set-cookie']).find((c) => c.startsWith('camarad_oidc='))!
  const atProvider = await fetch(start.headers.location as string, { redirect: 'manual' })
  const callback = new URL(atProvider.headers.get('location')!)
  tamper?.(callback)
  return call(ctx.app, 'GET', callback.pathname + callback.search, { cookie: flowCookie })
}

describe('Google sign-in (OpenID Connect)', () => {
  it('is advertised on /api/auth/status when configured', async () => {
    expect((await call(ctx.app, 'GET', '/api/auth/status')).json().googleEnabled).toBe(true)
  })

  it('creates an account for a new Google identity, signs it in and returns to a safe next path', async () => {
    provider.setIdentity({ sub: 'g-new', email: 'New.Person@example.test', email_verified: true, name: 'New Person' })
    const res = await signInWithGoogle('/app/clients')
    expect(res.statusCode).toBe(302)
    expect(res.headers.location).toBe('/app/clients')
    const session = cookiesOf(res.headers['set-cookie']).find((c) => c.startsWith('camarad_session='))!
    const status = await call(ctx.app, 'GET', '/api/auth/status', { cookie: session })
    expect(status.json().user).toMatchObject({
      email: 'new.person@example.test',
      name: 'New Person',
      hasPassword: false,
    })
  })

  it('never redirects to another site after sign-in', async () => {
    provider.setIdentity({ sub: 'g-next', email: 'next@example.test', email_verified: true, name: 'N' })
    const res = await signInWithGoogle('//evil.example/steal')
    expect(res.headers.location).toBe('/app')
  })

  it('links a verified Google email to the existing account', async () => {
    const user = await signup(ctx.app, 'linked')
    provider.setIdentity({ sub: 'g-linked', email: user.email, email_verified: true, name: 'Whatever' })
    const res = await signInWithGoogle()
    const session = cookiesOf(res.headers['set-cookie']).find((c) => c.startsWith('camarad_session='))!
    expect((await call(ctx.app, 'GET', '/api/auth/status', { cookie: session })).json().user.id).toBe(user.id)
  })

  it('refuses to link an existing account to an unverified Google email', async () => {
    const user = await signup(ctx.app, 'unverified')
    provider.setIdentity({ sub: 'g-unverified', email: user.email, email_verified: false, name: 'Mallory' })
    const res = await signInWithGoogle()
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('auth.google_failed')
  })

  it('refuses to create an account from an unverified Google email, and creates nothing', async () => {
    provider.setIdentity({
      sub: 'g-unverified-new',
      email: 'planted@example.test',
      email_verified: false,
      name: 'Mallory',
    })
    const res = await signInWithGoogle()
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('auth.google_failed')
    expect(
      await ctx.container.db.selectFrom('users').select('id').where('email', '=', 'planted@example.test').execute(),
    ).toEqual([])
  })

  it('marks a new Google account verified', async () => {
    provider.setIdentity({ sub: 'g-verified-new', email: 'fresh@example.test', email_verified: true, name: 'Fresh' })
    const session = cookiesOf((await signInWithGoogle()).headers['set-cookie']).find((c) =>
      c.startsWith('camarad_session='),
    )!
    expect((await call(ctx.app, 'GET', '/api/auth/status', { cookie: session })).json().user).toMatchObject({
      email: 'fresh@example.test',
      emailVerified: true,
    })
  })

  it('takes a planted account (email never verified) from whoever planted it: password, sessions and API tokens go', async () => {
    const planted = await signup(ctx.app, 'planted', { verify: false })
    const plantedSession = await login(ctx.app, planted)
    const { token } = await createToken(ctx.app, planted)
    provider.setIdentity({ sub: 'g-owner-of-mailbox', email: planted.email, email_verified: true, name: 'Real Owner' })

    const res = await signInWithGoogle()

    expect(res.statusCode).toBe(302)
    const session = cookiesOf(res.headers['set-cookie']).find((c) => c.startsWith('camarad_session='))!
    expect((await call(ctx.app, 'GET', '/api/auth/status', { cookie: session })).json().user).toMatchObject({
      id: planted.id,
      hasPassword: false,
      emailVerified: true,
    })
    for (const cookie of [planted.cookie, plantedSession])
      expect((await call(ctx.app, 'GET', '/api/auth/status', { cookie })).json().authenticated).toBe(false)
    expect((await call(ctx.app, 'GET', '/api/tokens', { token })).statusCode).toBe(401)
    expect(
      (await call(ctx.app, 'POST', '/api/auth/login', {}, { email: planted.email, password: planted.password }))
        .statusCode,
    ).toBe(401)
  })

  it('keeps the password, sessions and tokens of a verified account it links to', async () => {
    const user = await signup(ctx.app, 'kept')
    const { token } = await createToken(ctx.app, user)
    provider.setIdentity({ sub: 'g-kept', email: user.email, email_verified: true, name: 'Kept' })

    expect((await signInWithGoogle()).statusCode).toBe(302)

    expect((await call(ctx.app, 'GET', '/api/auth/status', { cookie: user.cookie })).json().user).toMatchObject({
      id: user.id,
      hasPassword: true,
    })
    expect((await call(ctx.app, 'GET', '/api/tokens', { token })).statusCode).toBe(200)
  })

  it('refuses a callback whose state does not match (400, no session)', async () => {
    provider.setIdentity({ sub: 'g-state', email: 'state@example.test', email_verified: true, name: 'S' })
    const res = await signInWithGoogle(undefined, (cb) => cb.searchParams.set('state', 'forged'))
    expect(res.statusCode).toBe(400)
    expect(
      cookiesOf(res.headers['set-cookie']).some(
        (c) => c.startsWith('camarad_session=') && c.length > 'camarad_session='.length,
      ),
    ).toBe(false)
  })

  it('answers 404 auth.google_disabled when Google is not configured', async () => {
    const plain = await createTestContext()
    try {
      const res = await call(plain.app, 'GET', '/api/auth/google')
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('auth.google_disabled')
    } finally {
      await plain.close()
    }
  })
})
