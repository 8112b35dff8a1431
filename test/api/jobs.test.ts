import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import { RETIRED_JOBS } from '../../src/container.ts'
import { addMember, call, createTestContext, onboard, signup, uniqueEmail, type TestContext } from '../harness.ts'

const EXPIRE_INVITATION = 'tenancy.expire-invitation'
const CLEANUP_SESSIONS = 'identity.cleanup-expired-sessions'

const jobNamed = (ctx: TestContext, name: string) => {
  const job = ctx.container.jobs.find((j) => j.name === name)
  if (!job) throw new Error(`no job named ${name}`)
  return job as JobDefinition
}

const jobsFor = (ctx: TestContext, invitationId: string) =>
  ctx.container.queue.boss.findJobs<{ invitationId: string }>(EXPIRE_INVITATION, { data: { invitationId } })

/** Polls `done` until it holds; gives up after `timeoutMs` (the queue's workers poll every 2 s). */
const eventually = async (done: () => Promise<boolean>, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await done()) return true
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return done()
}

describe('jobs are enqueued in the transaction that writes their data', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('enqueues an expiry job for a new invitation', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'inviter')

    const res = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${workspaceId}/invitations`,
      { cookie: user.cookie },
      { email: uniqueEmail('invitee'), role: 'member' },
    )

    expect(res.statusCode).toBe(201)
    const invitationId = res.json().invitation.id as string
    const jobs = await jobsFor(ctx, invitationId)
    expect(jobs).toHaveLength(1)
    expect(jobs[0]!.name).toBe(EXPIRE_INVITATION)
    expect(jobs[0]!.data).toEqual({ invitationId })
  })

  it('schedules the expiry job for when the invitation expires', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'scheduler')

    const res = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${workspaceId}/invitations`,
      { cookie: user.cookie },
      { email: uniqueEmail('later'), role: 'viewer' },
    )

    const [job] = await jobsFor(ctx, res.json().invitation.id)
    expect(new Date(job!.startAfter).toISOString()).toBe(res.json().invitation.expiresAt)
  })

  it('enqueues no job when the invitation is refused because the person is already a member', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'refuser')
    const member = await addMember(ctx.app, user, workspaceId, 'member')
    const before = await ctx.container.queue.boss.findJobs(EXPIRE_INVITATION)
    const invitationsBefore = await ctx.container.db
      .selectFrom('invitations')
      .select('id')
      .where('workspaceId', '=', workspaceId)
      .execute()

    const res = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${workspaceId}/invitations`,
      { cookie: user.cookie },
      { email: member.email, role: 'admin' },
    )

    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('tenancy.already_member')
    const after = await ctx.container.queue.boss.findJobs(EXPIRE_INVITATION)
    expect(after.map((j) => j.id).sort()).toEqual(before.map((j) => j.id).sort())
    const invitationsAfter = await ctx.container.db
      .selectFrom('invitations')
      .select('id')
      .where('workspaceId', '=', workspaceId)
      .execute()
    expect(invitationsAfter).toEqual(invitationsBefore)
  })

  it('leaves no job behind when the enqueuing transaction throws', async () => {
    const invitationId = `inv_rollback_${randomBytes(8).toString('hex')}`

    await expect(
      ctx.container.db.transaction().execute(async (trx) => {
        await ctx.container.queue.enqueue(trx, jobNamed(ctx, EXPIRE_INVITATION), { invitationId })
        throw new Error('abort after enqueue')
      }),
    ).rejects.toThrow('abort after enqueue')

    expect(await jobsFor(ctx, invitationId)).toEqual([])
  })

  it('keeps the job when the enqueuing transaction commits', async () => {
    const invitationId = `inv_commit_${randomBytes(8).toString('hex')}`

    await ctx.container.db.transaction().execute(async (trx) => {
      await ctx.container.queue.enqueue(trx, jobNamed(ctx, EXPIRE_INVITATION), { invitationId })
    })

    expect(await jobsFor(ctx, invitationId)).toHaveLength(1)
  })
})

describe('retired jobs', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('loses the schedule a previous release left for a job that no longer exists', async () => {
    const { boss } = ctx.container.queue
    for (const name of RETIRED_JOBS) {
      await boss.createQueue(name)
      await boss.schedule(name, '* * * * *', {}, { tz: 'UTC' })
    }
    expect((await boss.getSchedules()).map((s) => s.name)).toEqual(expect.arrayContaining(RETIRED_JOBS))

    await ctx.container.queue.retire(RETIRED_JOBS)

    const left = (await boss.getSchedules()).map((s) => s.name)
    expect(left.filter((n) => RETIRED_JOBS.includes(n))).toEqual([])
  })

  it('is harmless for a name that was never scheduled', async () => {
    await expect(ctx.container.queue.retire(['never.scheduled'])).resolves.toBeUndefined()
  })
})

describe('the worker runs jobs end to end through the real queue', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext()
    await ctx.container.queue.work(ctx.container.jobs)
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('deletes an expired invitation when its expiry job runs', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'expirer')
    const res = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${workspaceId}/invitations`,
      { cookie: user.cookie },
      { email: uniqueEmail('too-late'), role: 'member' },
    )
    const invitationId = res.json().invitation.id as string
    await ctx.container.db
      .updateTable('invitations')
      .set({ expiresAt: new Date(Date.now() - 3_600_000) })
      .where('id', '=', invitationId)
      .execute()

    await ctx.container.queue.enqueue(ctx.container.db, jobNamed(ctx, EXPIRE_INVITATION), { invitationId })

    const gone = await eventually(
      async () =>
        (await ctx.container.db
          .selectFrom('invitations')
          .select('id')
          .where('id', '=', invitationId)
          .executeTakeFirst()) === undefined,
    )
    expect(gone).toBe(true)
  })

  it('keeps an invitation that has not expired when its expiry job runs early', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'patient')
    const res = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${workspaceId}/invitations`,
      { cookie: user.cookie },
      { email: uniqueEmail('on-time'), role: 'member' },
    )
    const invitationId = res.json().invitation.id as string

    await ctx.container.queue.enqueue(ctx.container.db, jobNamed(ctx, EXPIRE_INVITATION), { invitationId })

    // The invitation's own job waits for the expiry date; the one enqueued now runs at once.
    const ran = await eventually(async () => (await jobsFor(ctx, invitationId)).some((j) => j.state === 'completed'))
    expect(ran).toBe(true)
    expect(
      await ctx.container.db.selectFrom('invitations').select('id').where('id', '=', invitationId).executeTakeFirst(),
    ).toBeDefined()
  })

  it('deletes expired sessions and keeps live ones when the cleanup job runs', async () => {
    const expired = await signup(ctx.app, 'expired')
    const live = await signup(ctx.app, 'live')
    await ctx.container.db
      .updateTable('sessions')
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where('userId', '=', expired.id)
      .execute()

    await ctx.container.queue.enqueue(ctx.container.db, jobNamed(ctx, CLEANUP_SESSIONS), {})

    const cleaned = await eventually(
      async () =>
        (await ctx.container.db.selectFrom('sessions').select('id').where('userId', '=', expired.id).execute())
          .length === 0,
    )
    expect(cleaned).toBe(true)
    expect(
      await ctx.container.db.selectFrom('sessions').select('id').where('userId', '=', live.id).execute(),
    ).toHaveLength(1)
    expect((await call(ctx.app, 'GET', '/api/tokens', { cookie: live.cookie })).statusCode).toBe(200)
  })
})
