import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addMember,
  call,
  createTestContext,
  onboard,
  signup,
  TEST_INTERNAL_TOKEN,
  type TestContext,
  type TestUser,
} from '../harness.ts'

/**
 * The members limit is checked again when an invitation is accepted: a pending invitation sent under a bigger plan
 * does not let a workspace pass its (smaller) plan's members after a downgrade. On the real catalog
 * (config/plans.json): Free allows 2 members, Starter 3.
 */
let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext({ PLANS_FILE: 'config/plans.json' })
})
afterAll(async () => {
  await ctx?.close()
})

type Owner = Awaited<ReturnType<typeof onboard>>
const op = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
const setPlan = async (workspaceId: string, plan: string) => {
  const res = await call(ctx.app, 'PUT', `/api/operator/workspaces/${workspaceId}/plan`, op, {
    plan,
    reason: 'Plan change in a test',
  })
  expect(res.statusCode, res.body).toBe(200)
}
/** Invites an existing user; returns the secret token of the invitation. */
const invite = async (o: Owner, invitee: TestUser) => {
  const res = await call(
    ctx.app,
    'POST',
    `/api/workspaces/${o.workspaceId}/invitations`,
    { cookie: o.user.cookie },
    { email: invitee.email, role: 'member' },
  )
  expect(res.statusCode, res.body).toBe(201)
  return new URL(res.json().acceptUrl).pathname.split('/').pop()!
}
const accept = (invitee: TestUser, token: string) =>
  call(ctx.app, 'POST', `/api/invitations/${token}/accept`, { cookie: invitee.cookie })
const memberCount = async (workspaceId: string) =>
  (await ctx.container.db.selectFrom('memberships').select('userId').where('workspaceId', '=', workspaceId).execute())
    .length
const auditCount = async (workspaceId: string) =>
  (await ctx.container.db.selectFrom('auditEvents').select('id').where('workspaceId', '=', workspaceId).execute())
    .length
const invitationOf = (workspaceId: string, email: string) =>
  ctx.container.db
    .selectFrom('invitations')
    .selectAll()
    .where('workspaceId', '=', workspaceId)
    .where('email', '=', email)
    .executeTakeFirstOrThrow()

describe('accepting an invitation after a downgrade', () => {
  it('is refused with 402 plan.limit_reached when the members are already at the limit, and writes nothing', async () => {
    const o = await onboard(ctx.app, 'downgraded')
    await setPlan(o.workspaceId, 'starter')
    await addMember(ctx.app, o.user, o.workspaceId, 'member', 'second')
    const late = await signup(ctx.app, 'late')
    const token = await invite(o, late)
    await setPlan(o.workspaceId, 'free')
    const audit = await auditCount(o.workspaceId)

    const res = await accept(late, token)

    expect(res.statusCode, res.body).toBe(402)
    expect(res.json().error).toMatchObject({
      code: 'plan.limit_reached',
      details: { limit: 'members', max: 2, used: 2, plan: 'free', upgradeUrl: '/app/settings/billing' },
    })
    expect(await memberCount(o.workspaceId)).toBe(2)
    expect(await auditCount(o.workspaceId)).toBe(audit)
    expect(await invitationOf(o.workspaceId, late.email)).toMatchObject({
      acceptedAt: null,
      acceptedBy: null,
      revokedAt: null,
    })
  })

  it('keeps the refused invitation pending: it can be accepted once the plan has room again', async () => {
    const o = await onboard(ctx.app, 'regrown')
    await setPlan(o.workspaceId, 'starter')
    await addMember(ctx.app, o.user, o.workspaceId, 'member', 'second')
    const late = await signup(ctx.app, 'patient')
    const token = await invite(o, late)
    await setPlan(o.workspaceId, 'free')
    expect((await accept(late, token)).statusCode).toBe(402)

    await setPlan(o.workspaceId, 'starter')
    const res = await accept(late, token)

    expect(res.statusCode, res.body).toBe(200)
    expect(await memberCount(o.workspaceId)).toBe(3)
  })

  it('lets in the first of two pending invitations while the members have room, then refuses the second', async () => {
    const o = await onboard(ctx.app, 'two-pending')
    await setPlan(o.workspaceId, 'starter')
    const [first, second] = [await signup(ctx.app, 'first'), await signup(ctx.app, 'second')]
    const [t1, t2] = [await invite(o, first), await invite(o, second)]
    await setPlan(o.workspaceId, 'free')

    expect((await accept(first, t1)).statusCode).toBe(200)
    const res = await accept(second, t2)

    expect(res.statusCode, res.body).toBe(402)
    expect(res.json().error).toMatchObject({
      code: 'plan.limit_reached',
      details: { limit: 'members', max: 2, used: 2 },
    })
    expect(await memberCount(o.workspaceId)).toBe(2)
  })
})
