import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addMember, call, createTestContext, onboard, type TestContext } from '../harness.ts'

/** A token bound to a workspace or a client acts only there, on every route (`/api` as well as `/v1`). */
describe('tokens bound to a workspace or a client', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof buildWorld>>

  const buildWorld = async () => {
    const a = await onboard(ctx.app, 'bound-owner')
    const as = { cookie: a.user.cookie }
    const b = (await call(ctx.app, 'POST', '/api/workspaces', as, { name: 'Second agency' })).json().id as string
    const clientB = (
      await call(ctx.app, 'POST', '/api/clients', { ...as, workspaceId: b }, { name: 'B client' })
    ).json().id as string
    const clientA2 = (
      await call(ctx.app, 'POST', '/api/clients', { ...as, workspaceId: a.workspaceId }, { name: 'A second client' })
    ).json().id as string
    const member = await addMember(ctx.app, a.user, a.workspaceId, 'member', 'bound-member')
    const token = async (binding: Record<string, string>) =>
      (await call(ctx.app, 'POST', '/api/tokens', as, { name: 'bound', ...binding })).json().token as string
    return {
      ...a,
      workspaceB: b,
      clientB,
      clientA2,
      memberId: member.id,
      wsToken: await token({ workspaceId: a.workspaceId }),
      clientToken: await token({ clientId: a.clientId }),
      freeToken: await token({}),
    }
  }

  beforeAll(async () => {
    ctx = await createTestContext()
    w = await buildWorld()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  describe('bound to a workspace', () => {
    it('reads its own workspace', async () => {
      expect((await call(ctx.app, 'GET', `/api/workspaces/${w.workspaceId}`, { token: w.wsToken })).statusCode).toBe(
        200,
      )
    })

    it('answers 404 for another workspace of the same person, as for a stranger', async () => {
      const res = await call(ctx.app, 'GET', `/api/workspaces/${w.workspaceB}`, { token: w.wsToken })

      expect(res.statusCode).toBe(404)
    })

    it('answers 404 when X-Workspace-ID names another workspace', async () => {
      expect(
        (await call(ctx.app, 'GET', '/api/clients', { token: w.wsToken, workspaceId: w.workspaceB })).statusCode,
      ).toBe(404)
      expect(
        (await call(ctx.app, 'GET', '/api/audit', { token: w.wsToken, workspaceId: w.workspaceB })).statusCode,
      ).toBe(404)
    })

    it('answers 404 for a client of another workspace and creates nothing there', async () => {
      expect((await call(ctx.app, 'GET', `/api/clients/${w.clientB}`, { token: w.wsToken })).statusCode).toBe(404)
      const res = await call(
        ctx.app,
        'POST',
        '/api/chat/conversations',
        { token: w.wsToken, headers: { 'x-client-id': w.clientB } },
        { agentId: 'builtin.ppc-specialist' },
      )
      expect(res.statusCode).toBe(404)
    })

    it('lists only its workspace', async () => {
      const list = await call(ctx.app, 'GET', '/api/workspaces', { token: w.wsToken })
      const status = await call(ctx.app, 'GET', '/api/auth/status', { token: w.wsToken })

      expect((list.json().items as { id: string }[]).map((x) => x.id)).toEqual([w.workspaceId])
      expect((status.json().workspaces as { id: string }[]).map((x) => x.id)).toEqual([w.workspaceId])
    })

    it('acts in its workspace without naming it', async () => {
      const res = await call(ctx.app, 'GET', '/api/clients', { token: w.wsToken })

      expect(res.statusCode).toBe(200)
    })
  })

  describe('bound to a client', () => {
    it('reads its own client', async () => {
      expect((await call(ctx.app, 'GET', `/api/clients/${w.clientId}`, { token: w.clientToken })).statusCode).toBe(200)
    })

    it('answers 404 for another client of the same workspace', async () => {
      expect((await call(ctx.app, 'GET', `/api/clients/${w.clientA2}`, { token: w.clientToken })).statusCode).toBe(404)
      const res = await call(
        ctx.app,
        'POST',
        '/api/chat/conversations',
        { token: w.clientToken, headers: { 'x-client-id': w.clientA2 } },
        { agentId: 'builtin.ppc-specialist' },
      )
      expect(res.statusCode).toBe(404)
    })

    it('answers 404 for workspace-wide routes of its workspace', async () => {
      expect(
        (await call(ctx.app, 'GET', '/api/clients', { token: w.clientToken, workspaceId: w.workspaceId })).statusCode,
      ).toBe(404)
      expect(
        (await call(ctx.app, 'GET', `/api/workspaces/${w.workspaceId}/members`, { token: w.clientToken })).statusCode,
      ).toBe(404)
    })

    it('works in its client without naming it', async () => {
      const res = await call(
        ctx.app,
        'POST',
        '/api/chat/conversations',
        { token: w.clientToken },
        { agentId: 'builtin.ppc-specialist' },
      )

      expect(res.statusCode).toBe(201)
    })
  })

  describe('cannot manage the account', () => {
    const refusals = (): [string, string, unknown][] => [
      ['POST', '/api/tokens', { name: 'escalated' }],
      ['DELETE', '/api/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA', undefined],
      ['POST', '/api/auth/password', { currentPassword: 'whatever it is', newPassword: 'a brand new passphrase' }],
      ['PATCH', `/api/workspaces/${w.workspaceId}/members/${w.memberId}`, { role: 'admin' }],
      ['DELETE', `/api/workspaces/${w.workspaceId}/members/${w.memberId}`, undefined],
      ['POST', `/api/workspaces/${w.workspaceId}/invitations`, { email: 'new.person@example.test', role: 'admin' }],
      ['POST', '/api/workspaces', { name: 'Elsewhere' }],
      ['POST', '/api/auth/verify-email/resend', {}],
    ]

    for (const which of ['wsToken', 'clientToken'] as const)
      it(`refuses tokens, password and members to a token bound to a ${which === 'wsToken' ? 'workspace' : 'client'} with 403 auth.token_bound`, async () => {
        for (const [method, url, body] of refusals()) {
          const res = await call(ctx.app, method as 'POST', url, { token: w[which] }, body)
          expect.soft(res.statusCode, `${method} ${url}`).toBe(403)
          expect.soft(res.json().error?.code, `${method} ${url}`).toBe('auth.token_bound')
        }
        const members = await call(ctx.app, 'GET', `/api/workspaces/${w.workspaceId}/members`, {
          cookie: w.user.cookie,
        })
        expect(
          (members.json().items as { userId: string; role: string }[]).find((m) => m.userId === w.memberId)?.role,
        ).toBe('member')
      })

    it('still lets an unbound token create a token', async () => {
      const res = await call(ctx.app, 'POST', '/api/tokens', { token: w.freeToken }, { name: 'from unbound' })

      expect(res.statusCode).toBe(201)
    })
  })
})
