import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSmtpServer } from '../fakes/smtp-server.ts'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import {
  call,
  createTestContext,
  createToken,
  emailsTo,
  linkToken,
  login,
  ORIGIN,
  sessionCookie,
  signup,
  TEST_INTERNAL_TOKEN,
  uniqueEmail,
  type TestContext,
} from '../harness.ts'

/**
 * Outbound email and what it carries: the verification link at signup, password reset, invitations. Without SMTP_URL
 * every email is stored in the outbox and listed for the operator; with it, a job delivers it over SMTP (tested against
 * a real SMTP server on loopback).
 */
const operator = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
const status = async (ctx: TestContext, cookie: string) =>
  (await call(ctx.app, 'GET', '/api/auth/status', { cookie })).json()
const auditActions = async (ctx: TestContext, userId: string) =>
  (
    await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('subjectUserId', '=', userId)
      .orderBy('seq')
      .execute()
  ).map((e) => e.action)

describe('without SMTP_URL (the outbox default)', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  describe('email verification', () => {
    it('stores a verification email at signup, with a link to /verify-email, and no response carries its token', async () => {
      const email = uniqueEmail('outbox')
      const res = await call(
        ctx.app,
        'POST',
        '/api/auth/signup',
        {},
        { email, password: 'correct horse outbox battery', name: 'Outbox' },
      )
      expect(res.statusCode).toBe(201)
      expect(res.json().user).toMatchObject({ email, emailVerified: false })

      const [stored] = await emailsTo(ctx.app, email)
      expect(stored).toMatchObject({
        kind: 'verify_email',
        to: email,
        subject: 'Confirm your email for Camarad',
        status: 'queued',
      })
      expect(stored!.link).toMatch(new RegExp(`^${ORIGIN}/verify-email\\?token=[A-Za-z0-9_-]{40,}$`))
      const token = await linkToken(ctx.app, email, 'verify_email')
      expect(stored!.text).toContain(stored!.link)
      expect(res.body).not.toContain(token)
      expect(
        (await call(ctx.app, 'GET', '/api/auth/status', { cookie: sessionCookie(res.headers['set-cookie']) })).body,
      ).not.toContain(token)
    })

    it('verifies the email with the link once; the same link again is refused', async () => {
      const user = await signup(ctx.app, 'verify-once', { verify: false })
      const token = await linkToken(ctx.app, user.email, 'verify_email')

      const first = await call(ctx.app, 'POST', '/api/auth/verify-email', {}, { token })
      const again = await call(ctx.app, 'POST', '/api/auth/verify-email', {}, { token })

      expect(first.statusCode).toBe(200)
      expect((await status(ctx, user.cookie)).user.emailVerified).toBe(true)
      expect(again.statusCode).toBe(400)
      expect(again.json().error.code).toBe('auth.link_invalid')
      expect(await auditActions(ctx, user.id)).toEqual(['auth.signup', 'auth.verification_sent', 'auth.email_verified'])
    })

    it('refuses an unknown or expired token with 400 and a malformed body with 400', async () => {
      const user = await signup(ctx.app, 'verify-expired', { verify: false })
      await ctx.container.db
        .updateTable('authTokens')
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where('userId', '=', user.id)
        .execute()

      const expired = await call(
        ctx.app,
        'POST',
        '/api/auth/verify-email',
        {},
        { token: await linkToken(ctx.app, user.email, 'verify_email') },
      )
      const unknown = await call(ctx.app, 'POST', '/api/auth/verify-email', {}, { token: 'x'.repeat(43) })
      const malformed = await call(ctx.app, 'POST', '/api/auth/verify-email', {}, { token: 42 })

      expect([expired.statusCode, unknown.statusCode, malformed.statusCode]).toEqual([400, 400, 400])
      expect(expired.json().error.code).toBe('auth.link_invalid')
      expect((await status(ctx, user.cookie)).user.emailVerified).toBe(false)
    })

    it('sends the link again on request, answers 409 once verified, and needs a signed-in caller', async () => {
      const user = await signup(ctx.app, 'resend', { verify: false })

      const resent = await call(ctx.app, 'POST', '/api/auth/verify-email/resend', { cookie: user.cookie }, {})
      expect(resent.statusCode).toBe(202)
      expect((await emailsTo(ctx.app, user.email)).filter((e) => e.kind === 'verify_email')).toHaveLength(2)

      await call(
        ctx.app,
        'POST',
        '/api/auth/verify-email',
        {},
        { token: await linkToken(ctx.app, user.email, 'verify_email') },
      )
      expect(
        (await call(ctx.app, 'POST', '/api/auth/verify-email/resend', { cookie: user.cookie }, {})).statusCode,
      ).toBe(409)
      expect((await call(ctx.app, 'POST', '/api/auth/verify-email/resend', {}, {})).statusCode).toBe(401)
    })

    it('leaves the email stored and logs its link when the delivery job runs without SMTP', async () => {
      const user = await signup(ctx.app, 'stored', { verify: false })
      const [email] = await emailsTo(ctx.app, user.email)
      const job = ctx.container.jobs.find((j) => j.name === 'mail.deliver-email') as JobDefinition

      await job.handler({ emailId: email!.id })

      expect((await emailsTo(ctx.app, user.email))[0]).toMatchObject({ id: email!.id, status: 'stored' })
    })
  })

  it('deletes emailed links a day after they expired (the daily identity.cleanup-expired-links job)', async () => {
    const user = await signup(ctx.app, 'stale-links', { verify: false })
    await ctx.container.db
      .updateTable('authTokens')
      .set({ expiresAt: new Date(Date.now() - 2 * 86_400_000) })
      .where('userId', '=', user.id)
      .execute()
    const job = ctx.container.jobs.find((j) => j.name === 'identity.cleanup-expired-links') as JobDefinition

    await job.handler({})

    expect(
      await ctx.container.db.selectFrom('authTokens').select('id').where('userId', '=', user.id).execute(),
    ).toEqual([])
  })

  describe('the operator list', () => {
    it('needs the operator token', async () => {
      const res = await call(ctx.app, 'GET', '/api/operator/emails')
      expect(res.statusCode).toBe(401)
    })

    it('pages newest first by cursor, without repeats', async () => {
      for (let i = 0; i < 3; i++) await signup(ctx.app, `page-${i}`, { verify: false })
      const first = (await call(ctx.app, 'GET', '/api/operator/emails?limit=2', operator)).json()
      const second = (
        await call(ctx.app, 'GET', `/api/operator/emails?limit=2&cursor=${first.nextCursor}`, operator)
      ).json()

      const all = (await call(ctx.app, 'GET', '/api/operator/emails?limit=100', operator)).json().items as {
        id: string
        createdAt: string
      }[]
      expect([...first.items, ...second.items].map((e: { id: string }) => e.id)).toEqual(
        all.slice(0, 4).map((e) => e.id),
      )
      expect(all.map((e) => e.createdAt)).toEqual([...all.map((e) => e.createdAt)].sort().reverse())
      expect((await call(ctx.app, 'GET', '/api/operator/emails?cursor=garbage', operator)).statusCode).toBe(400)
    })
  })

  describe('password reset', () => {
    it('answers 202 for an unknown email, and sends nothing', async () => {
      const email = uniqueEmail('nobody')
      const res = await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email })
      expect(res.statusCode).toBe(202)
      expect(res.json()).toEqual({ accepted: true })
      expect(await emailsTo(ctx.app, email)).toEqual([])
    })

    it('emails a link to /reset-password to a known email, with the same answer', async () => {
      const user = await signup(ctx.app, 'reset-link')
      const res = await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email: user.email.toUpperCase() })
      expect(res.statusCode).toBe(202)
      expect(res.json()).toEqual({ accepted: true })
      const [email] = await emailsTo(ctx.app, user.email)
      expect(email).toMatchObject({ kind: 'reset_password', subject: 'Reset your Camarad password' })
      expect(email!.link).toMatch(new RegExp(`^${ORIGIN}/reset-password\\?token=[A-Za-z0-9_-]{40,}$`))
    })

    it('sets the new password, ends every session and API token, signs in, and works once', async () => {
      const user = await signup(ctx.app, 'reset-all')
      const otherSession = await login(ctx.app, user)
      const { token: apiToken } = await createToken(ctx.app, user)
      await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email: user.email })
      const token = await linkToken(ctx.app, user.email, 'reset_password')

      const res = await call(
        ctx.app,
        'POST',
        '/api/auth/password-reset/confirm',
        {},
        { token, password: 'a brand new passphrase' },
      )

      expect(res.statusCode, res.body).toBe(200)
      expect((await status(ctx, sessionCookie(res.headers['set-cookie']))).user.id).toBe(user.id)
      expect((await status(ctx, user.cookie)).authenticated).toBe(false)
      expect((await status(ctx, otherSession)).authenticated).toBe(false)
      expect((await call(ctx.app, 'GET', '/api/tokens', { token: apiToken })).statusCode).toBe(401)
      expect(
        (await call(ctx.app, 'POST', '/api/auth/login', {}, { email: user.email, password: user.password })).statusCode,
      ).toBe(401)
      expect(
        (await call(ctx.app, 'POST', '/api/auth/login', {}, { email: user.email, password: 'a brand new passphrase' }))
          .statusCode,
      ).toBe(200)
      const again = await call(
        ctx.app,
        'POST',
        '/api/auth/password-reset/confirm',
        {},
        { token, password: 'yet another passphrase' },
      )
      expect(again.statusCode).toBe(400)
      expect(again.json().error.code).toBe('auth.link_invalid')
      expect(await auditActions(ctx, user.id)).toEqual(
        expect.arrayContaining(['auth.password_reset_requested', 'auth.password_reset']),
      )
    })

    it('works once when the same link is confirmed twice at the same time', async () => {
      const user = await signup(ctx.app, 'reset-race')
      await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email: user.email })
      const token = await linkToken(ctx.app, user.email, 'reset_password')

      const results = await Promise.all(
        ['first racing passphrase', 'second racing passphrase'].map((password) =>
          call(ctx.app, 'POST', '/api/auth/password-reset/confirm', {}, { token, password }),
        ),
      )

      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400])
      expect(
        await ctx.container.db
          .selectFrom('auditEvents')
          .select('id')
          .where('subjectUserId', '=', user.id)
          .where('action', '=', 'auth.password_reset')
          .execute(),
      ).toHaveLength(1)
    })

    it('refuses an expired link (30 minutes) and a weak password, which leaves the link usable', async () => {
      const user = await signup(ctx.app, 'reset-weak')
      await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email: user.email })
      const token = await linkToken(ctx.app, user.email, 'reset_password')

      const weak = await call(
        ctx.app,
        'POST',
        '/api/auth/password-reset/confirm',
        {},
        { token, password: 'password123' },
      )
      expect(weak.statusCode).toBe(400)
      expect(weak.json().error.code).toBe('auth.weak_password')

      await ctx.container.db
        .updateTable('authTokens')
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where('userId', '=', user.id)
        .where('purpose', '=', 'reset_password')
        .execute()
      const expired = await call(
        ctx.app,
        'POST',
        '/api/auth/password-reset/confirm',
        {},
        { token, password: 'a long fresh passphrase' },
      )
      expect(expired.statusCode).toBe(400)
      expect(expired.json().error.code).toBe('auth.link_invalid')
    })

    it('lets a person whose sign-in is throttled recover their account', async () => {
      const user = await signup(ctx.app, 'reset-throttled')
      let last = 0
      for (let i = 0; i < 8; i++)
        last = (
          await call(ctx.app, 'POST', '/api/auth/login', {}, { email: user.email, password: 'not the password at all' })
        ).statusCode
      expect(last).toBe(429)

      await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email: user.email })
      const res = await call(
        ctx.app,
        'POST',
        '/api/auth/password-reset/confirm',
        {},
        { token: await linkToken(ctx.app, user.email, 'reset_password'), password: 'a recovered passphrase' },
      )

      expect(res.statusCode).toBe(200)
      expect((await status(ctx, sessionCookie(res.headers['set-cookie']))).user.id).toBe(user.id)
    })

    it('verifies the email of a person who resets their password (the link proved the mailbox)', async () => {
      const user = await signup(ctx.app, 'reset-verifies', { verify: false })
      await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email: user.email })
      const res = await call(
        ctx.app,
        'POST',
        '/api/auth/password-reset/confirm',
        {},
        { token: await linkToken(ctx.app, user.email, 'reset_password'), password: 'a verified passphrase' },
      )
      expect(res.json().user.emailVerified).toBe(true)
    })
  })

  describe('invitations', () => {
    it('emails the invitee the accept link', async () => {
      const owner = await signup(ctx.app, 'inviter')
      const ws = (
        await call(ctx.app, 'POST', '/api/workspaces', { cookie: owner.cookie }, { name: 'Invite agency' })
      ).json().id as string
      const invitee = uniqueEmail('invitee')

      const res = await call(
        ctx.app,
        'POST',
        `/api/workspaces/${ws}/invitations`,
        { cookie: owner.cookie },
        { email: invitee, role: 'member' },
      )

      expect(res.statusCode).toBe(201)
      const [email] = await emailsTo(ctx.app, invitee)
      expect(email).toMatchObject({
        kind: 'invitation',
        subject: 'inviter invited you to Invite agency on Camarad',
        link: res.json().acceptUrl,
      })
    })

    it('cannot spam an address by inviting it again and again: the sixth invitation in a day is a 429 and sends nothing', async () => {
      const owner = await signup(ctx.app, 'spammer')
      const ws = (
        await call(ctx.app, 'POST', '/api/workspaces', { cookie: owner.cookie }, { name: 'Spam agency' })
      ).json().id as string
      const target = uniqueEmail('target')
      const invite = () =>
        call(
          ctx.app,
          'POST',
          `/api/workspaces/${ws}/invitations`,
          { cookie: owner.cookie },
          { email: target, role: 'member' },
        )
      for (let i = 0; i < 5; i++) expect((await invite()).statusCode).toBe(201)

      const res = await invite()

      expect(res.statusCode).toBe(429)
      expect(res.json().error.code).toBe('tenancy.invitations_throttled')
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(await emailsTo(ctx.app, target)).toHaveLength(5)
    })
  })
})

describe('throttles', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('refuses a sixth reset request for one email within the hour with 429 and Retry-After', async () => {
    const user = await signup(ctx.app, 'reset-flood')
    const codes = []
    for (let i = 0; i < 6; i++)
      codes.push((await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email: user.email })).statusCode)
    expect(codes).toEqual([202, 202, 202, 202, 202, 429])
    const res = await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email: user.email })
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect((await emailsTo(ctx.app, user.email)).filter((e) => e.kind === 'reset_password')).toHaveLength(5)
  })

  it('refuses reset requests from one address beyond 20 an hour, whatever the emails', async () => {
    const codes = []
    for (let i = 0; i < 21; i++)
      codes.push(
        (await call(ctx.app, 'POST', '/api/auth/password-reset', {}, { email: uniqueEmail('spray') })).statusCode,
      )
    // Accepted until the address's hourly budget (shared with the test above) is spent, then refused every time.
    const firstRefused = codes.indexOf(429)
    expect(firstRefused).toBeGreaterThan(0)
    expect(codes.slice(0, firstRefused).every((c) => c === 202)).toBe(true)
    expect(codes.slice(firstRefused).every((c) => c === 429)).toBe(true)
  })

  // Every address of one IPv6 /64 is one subscriber: rotating through them must not reset the per-address budget.
  const fromPrefix = (i: number, url: string, payload: unknown, cookie?: string) =>
    ctx.app.inject({
      method: 'POST',
      url,
      payload: payload as object,
      remoteAddress: `2001:db8:77:1::${(i + 1).toString(16)}`,
      headers: { origin: ORIGIN, ...(cookie ? { cookie } : {}) },
    })

  it('counts reset requests from one IPv6 /64 together, whatever address of it they come from', async () => {
    const codes = []
    for (let i = 0; i < 21; i++)
      codes.push((await fromPrefix(i, '/api/auth/password-reset', { email: uniqueEmail('v6-spray') })).statusCode)
    expect(codes).toEqual([...Array(20).fill(202), 429])
  })

  it('counts verification resends from one IPv6 /64 together', async () => {
    const users = []
    for (let i = 0; i < 21; i++) users.push(await signup(ctx.app, `v6-resend-${i}`, { verify: false }))
    const codes = []
    for (const [i, user] of users.entries())
      codes.push((await fromPrefix(i, '/api/auth/verify-email/resend', {}, user.cookie)).statusCode)
    expect(codes).toEqual([...Array(20).fill(202), 429])
  })

  it('refuses a sixth verification resend within the hour with 429 and Retry-After', async () => {
    const user = await signup(ctx.app, 'resend-flood', { verify: false })
    const codes = []
    for (let i = 0; i < 6; i++)
      codes.push((await call(ctx.app, 'POST', '/api/auth/verify-email/resend', { cookie: user.cookie }, {})).statusCode)
    expect(codes).toEqual([202, 202, 202, 202, 202, 429])
  })
})

describe('with SMTP_URL (delivered over SMTP)', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>
  let ctx: TestContext
  beforeAll(async () => {
    smtp = await startSmtpServer()
    ctx = await createTestContext({ SMTP_URL: smtp.url, MAIL_FROM: 'Camarad <hello@camarad.test>' })
  })
  afterAll(async () => {
    await ctx?.close()
    await smtp?.close()
  })
  const deliver = (emailId: string) =>
    (ctx.container.jobs.find((j) => j.name === 'mail.deliver-email') as JobDefinition).handler({ emailId })

  it('delivers the verification email with a Message-ID from its row, and its link verifies the email', async () => {
    const user = await signup(ctx.app, 'smtp', { verify: false })
    const [stored] = await emailsTo(ctx.app, user.email)

    await deliver(stored!.id)

    const mail = await smtp.waitFor(user.email)
    expect(mail.subject).toBe('Confirm your email for Camarad')
    expect(mail.from?.value[0]?.address).toBe('hello@camarad.test')
    expect(mail.messageId).toBe(`<${stored!.id}@camarad.test>`)
    const link = /https?:\/\/\S+\/verify-email\?token=\S+/.exec(mail.text ?? '')![0]
    expect((await emailsTo(ctx.app, user.email))[0]).toMatchObject({ status: 'sent', attempts: 1 })
    const res = await call(
      ctx.app,
      'POST',
      '/api/auth/verify-email',
      {},
      { token: new URL(link).searchParams.get('token') },
    )
    expect(res.statusCode).toBe(200)
    expect((await status(ctx, user.cookie)).user.emailVerified).toBe(true)
  })

  it('counts a refused delivery and throws so the queue retries it', async () => {
    const user = await signup(ctx.app, 'smtp-refused', { verify: false })
    const [stored] = await emailsTo(ctx.app, user.email)
    smtp.reject(true)
    try {
      await expect(deliver(stored!.id)).rejects.toThrow()
    } finally {
      smtp.reject(false)
    }

    expect((await emailsTo(ctx.app, user.email))[0]).toMatchObject({
      status: 'queued',
      attempts: 1,
      lastError: expect.stringContaining('550'),
    })
    await deliver(stored!.id)
    expect((await emailsTo(ctx.app, user.email))[0]).toMatchObject({ status: 'sent', attempts: 2 })
  })
})
