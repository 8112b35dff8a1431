import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addMember,
  call,
  createTestContext,
  driver,
  onboard,
  TEST_INTERNAL_TOKEN,
  type TestContext,
  type TestUser,
} from '../harness.ts'

/**
 * Nobody refunds themselves: a member files a dispute (one per debit, ever), workspace admins add notes or withdraw
 * it, the operator alone approves (one refund, keyed by the dispute id) or rejects. Every step is audited.
 */
let ctx: TestContext
let owner: Awaited<ReturnType<typeof onboard>>
let member: TestUser
let seq = 0

const op = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
const asMember = () => ({ cookie: member.cookie, workspaceId: owner.workspaceId })
const asOwner = () => ({ cookie: owner.user.cookie, workspaceId: owner.workspaceId })

/** A debit made for `userId`: a real hold settled through the ledger, as a priced model call would. */
const debitFor = async (userId: string, cost = 4000n) => {
  const { ledger } = ctx.container.credits
  const hold = await ledger.hold({
    workspaceId: owner.workspaceId,
    clientId: owner.clientId,
    userId,
    tokenId: null,
    surface: 'chat',
    modelId: 'openai:gpt-4o-mini',
    streaming: false,
    requestId: `dispute-debit-${++seq}`,
    amount: cost + 1000n,
    inputTokens: 10,
    paramsHash: '',
    ttlMs: 60_000,
  })
  const settled = await ledger.settle({
    workspaceId: owner.workspaceId,
    holdId: hold.hold.id,
    cost,
    resolution: 'settled',
  })
  return settled.entryId!
}
const file = (entryId: string, reason = 'The answer was cut off') =>
  call(ctx.app, 'POST', '/api/credits/disputes', asMember(), { entryId, reason })
const refundsOf = (entryId: string) =>
  ctx.container.db.selectFrom('creditEntries').selectAll().where('refundOf', '=', entryId).execute()
const actions = async (disputeId: string) =>
  (
    await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('targetId', '=', disputeId)
      .orderBy('createdAt')
      .execute()
  ).map((a) => a.action)

beforeAll(async () => {
  ctx = await createTestContext({ CREDITS_MAX_OPEN_DISPUTES: '3' })
  owner = await onboard(ctx.app, 'disputes')
  member = await addMember(ctx.app, owner.user, owner.workspaceId, 'member', 'disputer')
})
afterAll(async () => {
  await ctx.close()
})

describe('filing', () => {
  it('refuses a second dispute of the same debit, even once the first was rejected', async () => {
    const entryId = await debitFor(member.id)
    const first = await file(entryId)
    expect(first.statusCode).toBe(201)
    expect(
      (
        await call(ctx.app, 'POST', `/api/operator/disputes/${first.json().id}/reject`, op, {
          note: 'The answer was complete',
        })
      ).statusCode,
    ).toBe(200)
    const again = await file(entryId, 'Please look again')
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('credits.dispute_exists')
  })

  it('is held to one dispute per debit by the database itself', async () => {
    const entryId = await debitFor(member.id)
    const { id } = (await file(entryId)).json()
    await call(ctx.app, 'POST', `/api/credits/disputes/${id}/withdraw`, asOwner(), {})
    const insert = ctx.container.db
      .insertInto('creditDisputes')
      .values({
        id: 'dsp_hand_written_row_01',
        workspaceId: owner.workspaceId,
        entryId,
        openedBy: member.id,
        reason: 'By hand',
      })
      .execute()
    await expect(insert).rejects.toThrow()
    const marked = ctx.container.db
      .insertInto('creditDisputes')
      .values({
        id: 'dsp_hand_written_row_02',
        workspaceId: owner.workspaceId,
        entryId,
        openedBy: member.id,
        reason: 'By hand',
        superseded: true,
      })
      .execute()
    await expect(marked).rejects.toThrow()
  })

  it('limits the open disputes of a workspace, and a withdrawn one makes room', async () => {
    const open = async () =>
      (
        await ctx.container.db
          .selectFrom('creditDisputes')
          .select('id')
          .where('workspaceId', '=', owner.workspaceId)
          .where('status', '=', 'open')
          .execute()
      ).map((d) => d.id)
    while ((await open()).length < 3) expect((await file(await debitFor(member.id))).statusCode).toBe(201)
    const refused = await file(await debitFor(member.id))
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error).toMatchObject({ code: 'credits.too_many_open_disputes', details: { max: 3 } })
    const [oldest] = await open()
    expect(
      (await call(ctx.app, 'POST', `/api/credits/disputes/${oldest}/withdraw`, asOwner(), { note: 'Filed by mistake' }))
        .statusCode,
    ).toBe(200)
    expect((await file(await debitFor(member.id))).statusCode).toBe(201)
    // Leave room for the other tests.
    for (const id of await open())
      await call(ctx.app, 'POST', `/api/operator/disputes/${id}/reject`, op, { note: 'Clearing the queue' })
  })
})

describe('the workspace', () => {
  it('lets admins add a note and withdraw, not the member who filed it; a withdrawn dispute cannot be decided', async () => {
    const { id } = (await file(await debitFor(member.id))).json()
    expect(
      (await call(ctx.app, 'POST', `/api/credits/disputes/${id}/notes`, asMember(), { note: 'Me too' })).statusCode,
    ).toBe(403)
    expect((await call(ctx.app, 'POST', `/api/credits/disputes/${id}/withdraw`, asMember(), {})).statusCode).toBe(403)
    const noted = await call(ctx.app, 'POST', `/api/credits/disputes/${id}/notes`, asOwner(), {
      note: 'The provider had an outage that hour.',
    })
    expect(noted.statusCode).toBe(201)
    expect(noted.json().notes).toEqual([
      expect.objectContaining({ authorId: owner.user.id, note: 'The provider had an outage that hour.' }),
    ])
    const withdrawn = await call(ctx.app, 'POST', `/api/credits/disputes/${id}/withdraw`, asOwner(), {
      note: 'Sorted out with the client',
    })
    expect(withdrawn.statusCode).toBe(200)
    expect(withdrawn.json()).toMatchObject({
      status: 'withdrawn',
      resolvedBy: owner.user.id,
      resolutionNote: 'Sorted out with the client',
    })
    const approve = await call(ctx.app, 'POST', `/api/operator/disputes/${id}/approve`, op, { note: 'Too late' })
    expect(approve.statusCode).toBe(409)
    expect(approve.json().error.code).toBe('credits.dispute_resolved')
    expect(
      (await call(ctx.app, 'POST', `/api/credits/disputes/${id}/notes`, asOwner(), { note: 'One more thing' }))
        .statusCode,
    ).toBe(409)
    expect(await actions(id)).toEqual([
      'credits.dispute_opened',
      'credits.dispute_note_added',
      'credits.dispute_withdrawn',
    ])
  })
})

describe('the operator', () => {
  it('sees open disputes first with their debit, workspace, reason and notes', async () => {
    const entryId = await debitFor(member.id, 7000n)
    const { id } = (await file(entryId, 'Charged for an empty answer')).json()
    await call(ctx.app, 'POST', `/api/credits/disputes/${id}/notes`, asOwner(), { note: 'Confirmed on our side' })
    expect((await call(ctx.app, 'GET', '/api/operator/disputes', {})).statusCode).toBe(401)
    const queue = (await call(ctx.app, 'GET', '/api/operator/disputes', op)).json().items as {
      id: string
      status: string
    }[]
    const firstClosed = queue.findIndex((d) => d.status !== 'open')
    expect(queue.slice(firstClosed === -1 ? queue.length : firstClosed).every((d) => d.status !== 'open')).toBe(true)
    expect(queue.find((d) => d.id === id)).toMatchObject({
      status: 'open',
      workspaceId: owner.workspaceId,
      entryId,
      amount: -7000,
      reason: 'Charged for an empty answer',
      openedBy: member.id,
      notes: [expect.objectContaining({ note: 'Confirmed on our side' })],
    })
    expect(queue.findIndex((d) => d.id === id)).toBeLessThan(firstClosed === -1 ? Infinity : firstClosed)
  })

  it('approves once: the same approval again refunds nothing more, and every step is audited', async () => {
    const entryId = await debitFor(member.id)
    const { id } = (await file(entryId)).json()
    const first = await call(ctx.app, 'POST', `/api/operator/disputes/${id}/approve`, op, { note: 'Refunded' })
    const second = await call(ctx.app, 'POST', `/api/operator/disputes/${id}/approve`, op, { note: 'Refunded' })
    expect([first.statusCode, second.statusCode]).toEqual([200, 200])
    expect(second.json()).toEqual(first.json())
    expect(await refundsOf(entryId)).toEqual([
      expect.objectContaining({ kind: 'refund', amount: 4000n, requestId: `dispute:${id}`, userId: member.id }),
    ])
    expect(await actions(id)).toEqual(['credits.dispute_opened', 'credits.dispute_approved'])
    const approvedEvent = await ctx.container.db
      .selectFrom('auditEvents')
      .selectAll()
      .where('targetId', '=', id)
      .where('action', '=', 'credits.dispute_approved')
      .executeTakeFirstOrThrow()
    expect(approvedEvent).toMatchObject({ actorUserId: null, workspaceId: owner.workspaceId, subjectUserId: member.id })
    expect(approvedEvent.metadata).toMatchObject({ by: 'operator', refundEntryId: first.json().refundEntryId })
  })

  it('rejects with a note the member reads; the charge stays', async () => {
    const entryId = await debitFor(member.id)
    const { id } = (await file(entryId)).json()
    expect((await call(ctx.app, 'POST', `/api/operator/disputes/${id}/reject`, op, { note: '' })).statusCode).toBe(400)
    const rejected = await call(ctx.app, 'POST', `/api/operator/disputes/${id}/reject`, op, {
      note: 'The answer was complete.',
    })
    expect(rejected.json()).toMatchObject({
      status: 'rejected',
      resolutionNote: 'The answer was complete.',
      refundEntryId: null,
    })
    expect((await call(ctx.app, 'GET', `/api/credits/disputes/${id}`, asMember())).json()).toMatchObject({
      status: 'rejected',
      resolutionNote: 'The answer was complete.',
    })
    expect(await refundsOf(entryId)).toEqual([])
    expect(await actions(id)).toEqual(['credits.dispute_opened', 'credits.dispute_rejected'])
  })

  it.skipIf(driver !== 'postgres')('approves once when two approvals arrive at the same time (postgres)', async () => {
    const entryId = await debitFor(member.id)
    const { id } = (await file(entryId)).json()
    const before = await ctx.container.credits.ledger.balance(ctx.container.db, owner.workspaceId)
    const [a, b] = await Promise.all([
      call(ctx.app, 'POST', `/api/operator/disputes/${id}/approve`, op, { note: 'Refunded' }),
      call(ctx.app, 'POST', `/api/operator/disputes/${id}/approve`, op, { note: 'Refunded' }),
    ])
    expect([a.statusCode, b.statusCode]).toEqual([200, 200])
    expect(await refundsOf(entryId)).toHaveLength(1)
    expect((await ctx.container.credits.ledger.balance(ctx.container.db, owner.workspaceId)).balance).toBe(
      before.balance + 4000n,
    )
  })
})
