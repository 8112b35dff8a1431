import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addMember, call, createTestContext, onboard, ORIGIN, type TestContext } from '../harness.ts'

type Event = { action: string; ip: string | null; subjectUserId: string | null }

describe('account activity stays with its person', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  const failedLogin = (email: string, ip: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: ip,
      headers: { origin: ORIGIN },
      payload: { email, password: 'wrong password guess' },
    })

  it("does not show an admin a member's sign-ins, failed sign-ins or addresses in the workspace log", async () => {
    const a = await onboard(ctx.app, 'act-admin')
    const member = await addMember(ctx.app, a.user, a.workspaceId, 'member', 'act-member')
    await failedLogin(member.email, '198.51.100.23')

    const res = await call(ctx.app, 'GET', '/api/audit?limit=100', {
      cookie: a.user.cookie,
      workspaceId: a.workspaceId,
    })

    expect(res.statusCode).toBe(200)
    const events = res.json().items as Event[]
    expect(events.map((e) => e.action).filter((x) => x.startsWith('auth.'))).toEqual([])
    expect(res.body).not.toContain('198.51.100.23')
  })

  it('shows a person their own sign-in history, failed attempts and addresses included, newest first', async () => {
    const { user } = await onboard(ctx.app, 'act-self')
    await failedLogin(user.email, '198.51.100.24')

    const res = await call(ctx.app, 'GET', '/api/auth/activity', { cookie: user.cookie })

    expect(res.statusCode).toBe(200)
    const events = res.json().items as Event[]
    expect(events[0]).toMatchObject({ action: 'auth.login_failed', ip: '198.51.100.24', subjectUserId: user.id })
    expect(events.map((e) => e.action)).toContain('auth.signup')
    expect(events.every((e) => e.subjectUserId === user.id)).toBe(true)
  })

  it("never shows one person another's activity", async () => {
    const a = await onboard(ctx.app, 'act-one')
    const b = await onboard(ctx.app, 'act-two')
    await failedLogin(b.user.email, '198.51.100.25')

    const res = await call(ctx.app, 'GET', '/api/auth/activity?limit=100', { cookie: a.user.cookie })

    expect(res.body).not.toContain(b.user.id)
    expect(res.body).not.toContain('198.51.100.25')
  })

  it('pages with a cursor, without repeating an event', async () => {
    const { user } = await onboard(ctx.app, 'act-pages')
    for (let i = 0; i < 3; i++) await failedLogin(user.email, `198.51.100.${30 + i}`)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(ctx.app, 'GET', `/api/auth/activity?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        cookie: user.cookie,
      })
      expect(res.statusCode).toBe(200)
      seen.push(...(res.json().items as { id: string }[]).map((e) => e.id))
      cursor = res.json().nextCursor
    } while (cursor)

    expect(seen.length).toBeGreaterThanOrEqual(4)
    expect(new Set(seen).size).toBe(seen.length)
  })

  it('refuses the activity to an anonymous caller and to a token bound to a workspace', async () => {
    const a = await onboard(ctx.app, 'act-bound')
    const token = (
      await call(
        ctx.app,
        'POST',
        '/api/tokens',
        { cookie: a.user.cookie },
        { name: 'bound', workspaceId: a.workspaceId },
      )
    ).json().token as string

    expect((await call(ctx.app, 'GET', '/api/auth/activity')).statusCode).toBe(401)
    expect((await call(ctx.app, 'GET', '/api/auth/activity', { token })).statusCode).toBe(403)
  })
})
