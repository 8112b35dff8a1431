import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, signup, verifyEmail, type TestContext, type TestUser } from '../harness.ts'

/**
 * Free credits go once to a verified person (TRUST.md): welcome credits when the creator of a workspace has verified
 * their email (or when they verify, to the first workspace they own), Free-plan monthly credits once per verified owner
 * and month, whatever the number of workspaces or accounts.
 */
const MICRO = 1_000_000
let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext({ PLANS_FILE: 'config/plans.json' })
})
afterAll(async () => {
  await ctx?.close()
})

const createWorkspace = async (user: TestUser, name: string) => {
  const res = await call(ctx.app, 'POST', '/api/workspaces', { cookie: user.cookie }, { name })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id as string
}
const balanceOf = async (user: TestUser, workspaceId: string) => {
  const res = await call(ctx.app, 'GET', '/api/credits/balance', { cookie: user.cookie, workspaceId })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().balance as number
}
const grantsOf = (workspaceId: string) =>
  ctx.container.db
    .selectFrom('creditEntries')
    .select(['requestId', 'amount'])
    .where('workspaceId', '=', workspaceId)
    .where('kind', '=', 'grant')
    .execute()
const runMonthly = () => ctx.container.plans.plans.grantMonthlyCredits(new Date(Date.UTC(2032, 4, 10)))

describe('welcome credits', () => {
  it('are not granted to a workspace whose creator has not verified their email', async () => {
    const user = await signup(ctx.app, 'unverified-welcome', { verify: false })
    const ws = await createWorkspace(user, 'Unverified agency')

    expect(await balanceOf(user, ws)).toBe(0)
    expect(await grantsOf(ws)).toEqual([])
  })

  it('arrive in the first workspace the person owns when they verify, once', async () => {
    const user = await signup(ctx.app, 'late-verify', { verify: false })
    const first = await createWorkspace(user, 'First agency')
    const second = await createWorkspace(user, 'Second agency')

    await verifyEmail(ctx.app, user.email)

    expect(await balanceOf(user, first)).toBe(50 * MICRO)
    expect(await balanceOf(user, second)).toBe(0)
    expect(await createWorkspace(user, 'Third agency').then((ws) => balanceOf(user, ws))).toBe(0)
  })

  it('are granted at creation to a verified person, and never again in their later workspaces', async () => {
    const user = await signup(ctx.app, 'verified-welcome')
    const first = await createWorkspace(user, 'One')
    const second = await createWorkspace(user, 'Two')

    expect(await balanceOf(user, first)).toBe(50 * MICRO)
    expect(await balanceOf(user, second)).toBe(0)
  })

  it('are not granted to any of many unverified accounts signed up from one address', async () => {
    const users = await Promise.all([1, 2, 3].map((i) => signup(ctx.app, `farm-${i}`, { verify: false })))
    for (const user of users) expect(await balanceOf(user, await createWorkspace(user, 'Farm'))).toBe(0)
  })
})

describe('Free-plan monthly credits', () => {
  it('skip a Free workspace whose owner has not verified their email', async () => {
    const user = await signup(ctx.app, 'unverified-monthly', { verify: false })
    const ws = await createWorkspace(user, 'Unverified free')

    await runMonthly()

    expect(await grantsOf(ws)).toEqual([])
  })

  it('go once a month to a verified person, whatever the number of their Free workspaces', async () => {
    const user = await signup(ctx.app, 'two-free')
    const workspaces = [
      await createWorkspace(user, 'Free one'),
      await createWorkspace(user, 'Free two'),
      await createWorkspace(user, 'Free three'),
    ]

    await runMonthly()
    await runMonthly()

    const monthly = (await Promise.all(workspaces.map(grantsOf))).flat().filter((g) => g.requestId.startsWith('free:'))
    expect(monthly).toEqual([{ requestId: `free:${user.id}:2032-05`, amount: 100n * 1_000_000n }])
  })

  it('are not granted again in the month a workspace had them under its former per-workspace request id', async () => {
    const user = await signup(ctx.app, 'former-id')
    const ws = await createWorkspace(user, 'Granted before')
    await ctx.container.credits.ledger.post(ctx.container.db, {
      workspaceId: ws,
      kind: 'grant',
      amount: 100n * 1_000_000n,
      requestId: `plan:${ws}:free:2032-05`,
      reason: 'before the change',
      createdBy: 'system',
    })

    await runMonthly()

    expect((await grantsOf(ws)).map((g) => g.requestId).sort()).toEqual([
      `plan:${ws}:free:2032-05`,
      `welcome:${user.id}`,
    ])
  })

  it('start the month the owner verifies', async () => {
    const user = await signup(ctx.app, 'verifies-later', { verify: false })
    const ws = await createWorkspace(user, 'Later')
    await runMonthly()
    await verifyEmail(ctx.app, user.email)

    await runMonthly()

    expect((await grantsOf(ws)).map((g) => g.requestId).sort()).toEqual([
      `free:${user.id}:2032-05`,
      `welcome:${user.id}`,
    ])
  })
})
