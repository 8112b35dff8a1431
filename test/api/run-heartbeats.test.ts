import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import { call, createTestContext, onboard, type TestContext } from '../harness.ts'

/**
 * The process writing an answer or running a meeting touches its row every few seconds; the sweepers (every minute)
 * close a run whose heartbeat stopped for a minute — its process died — instead of leaving the conversation
 * "running" for a quarter of an hour.
 */
let ctx: TestContext
let owner: Awaited<ReturnType<typeof onboard>>
beforeAll(async () => {
  ctx = await createTestContext()
  owner = await onboard(ctx.app, 'heartbeats')
})
afterAll(async () => {
  await ctx?.close()
})

const as = () => ({ cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } })
const job = (name: string) => ctx.container.jobs.find((j) => j.name === name) as JobDefinition
const ago = (ms: number) => new Date(Date.now() - ms)

/** An answered conversation whose run is put back to "running", as if its process had died at `heartbeatAt`. */
const orphanedAnswer = async (createdAt: Date, heartbeatAt: Date | null) => {
  const id = (await call(ctx.app, 'POST', '/api/chat/conversations', as(), { agentId: 'builtin.copywriter' })).json()
    .id as string
  await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as(), { content: 'Hello' })
  const { db } = ctx.container
  const run = await db
    .selectFrom('runs')
    .innerJoin('messages', 'messages.runId', 'runs.id')
    .select(['runs.id', 'messages.id as messageId', 'runs.heartbeatAt'])
    .where('runs.kind', '=', 'chat')
    .where('runs.subjectId', '=', id)
    .executeTakeFirstOrThrow()
  expect(run.heartbeatAt, 'the writing process beat at least once').not.toBeNull()
  await db
    .updateTable('runs')
    .set({ status: 'running', finishedAt: null, createdAt, heartbeatAt })
    .where('id', '=', run.id)
    .execute()
  await db.updateTable('messages').set({ status: 'streaming' }).where('id', '=', run.messageId).execute()
  return { id, runId: run.id }
}
const runStatus = async (runId: string) =>
  (await ctx.container.db.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow()).status

describe('chat answers', () => {
  it('sweeps every minute', () => {
    expect(job('runs.sweep-stale-runs').cron).toBe('* * * * *')
  })

  it('closes a run whose heartbeat stopped a minute ago, long before 15 minutes, keeping its text', async () => {
    const { id, runId } = await orphanedAnswer(ago(2 * 60_000), ago(61_000))

    await job('runs.sweep-stale-runs').handler({})

    expect(await runStatus(runId)).toBe('failed')
    const answer = (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, as())).json().items.at(-1)
    expect(answer).toMatchObject({ status: 'failed', error: { code: 'chat.interrupted' } })
    expect(answer.content.length).toBeGreaterThan(0)
    expect((await call(ctx.app, 'GET', `/api/chat/conversations/${id}`, as())).json().running).toBe(false)
  })

  it('leaves a run whose process still beats, even minutes after it started', async () => {
    const { runId } = await orphanedAnswer(ago(5 * 60_000), ago(5_000))

    await job('runs.sweep-stale-runs').handler({})

    expect(await runStatus(runId)).toBe('running')
  })

  it('closes a run that never beat (started before heartbeats) by its age, after a minute', async () => {
    const young = await orphanedAnswer(ago(20_000), null)
    const old = await orphanedAnswer(ago(90_000), null)

    await job('runs.sweep-stale-runs').handler({})

    expect(await runStatus(young.runId)).toBe('running')
    expect(await runStatus(old.runId)).toBe('failed')
  })
})

describe('boardroom meetings', () => {
  const orphanedMeeting = async (createdAt: Date, heartbeatAt: Date | null) => {
    const id = (
      await call(ctx.app, 'POST', '/api/boardroom/meetings', as(), {
        topic: 'Spring menu launch',
        agentIds: ['builtin.copywriter', 'builtin.data-analyst'],
      })
    ).json().id as string
    await call(ctx.app, 'GET', `/api/boardroom/meetings/${id}/stream`, as())
    const { db } = ctx.container
    expect(
      (await db.selectFrom('runs').select('heartbeatAt').where('id', '=', id).executeTakeFirstOrThrow()).heartbeatAt,
    ).not.toBeNull()
    await db
      .updateTable('runs')
      .set({ status: 'running', finishedAt: null, createdAt, heartbeatAt })
      .where('id', '=', id)
      .execute()
    return id
  }
  const meetingStatus = async (id: string) =>
    (await ctx.container.db.selectFrom('runs').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status

  it('sweeps every minute', () => {
    expect(job('runs.sweep-stale-runs').cron).toBe('* * * * *')
  })

  it('closes a meeting whose heartbeat stopped a minute ago and ends its stream; leaves one that still beats', async () => {
    const dead = await orphanedMeeting(ago(3 * 60_000), ago(65_000))
    const alive = await orphanedMeeting(ago(10 * 60_000), ago(3_000))

    await job('runs.sweep-stale-runs').handler({})

    expect(await meetingStatus(dead)).toBe('failed')
    expect(await meetingStatus(alive)).toBe('running')
    const last = await ctx.container.db
      .selectFrom('runEvents')
      .select(['type', 'data'])
      .where('runId', '=', dead)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow()
    expect(last).toMatchObject({ type: 'done', data: { status: 'failed' } })
  })
})
