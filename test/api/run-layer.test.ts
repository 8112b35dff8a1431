import { Redis } from 'ioredis'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../src/platform/db/ids.ts'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import { createMemoryBus, createPgBus, createRedisBus, type Bus } from '../../src/platform/realtime/bus.ts'
import type { FeedMessage } from '../../src/platform/runs/run-log.ts'
import { createRuns } from '../../src/platform/runs/runs.ts'
import { call, createTestContext, driver, onboard, type TestContext } from '../harness.ts'
import { parseSse } from '../sse.ts'

/** The run layer's own rules: the per-user stream cap, one sweeper for every kind, and the bus implementations. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (check: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await sleep(20)
  }
  throw new Error('condition not met in time')
}
const ago = (ms: number) => new Date(Date.now() - ms)

let ctx: TestContext
let owner: Awaited<ReturnType<typeof onboard>>
const as = () => ({ cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } })
beforeAll(async () => {
  ctx = await createTestContext({ OFFLINE_MODEL_CHUNK_DELAY_MS: '20', SSE_MAX_STREAMS_PER_USER: '2' })
  owner = await onboard(ctx.app, 'runlayer')
})
afterAll(async () => {
  await ctx?.close()
})

describe('live streams per user', () => {
  it('are capped: over SSE_MAX_STREAMS_PER_USER a stream is refused with 429 and Retry-After, and a slot is given back when a stream ends', async () => {
    const open = async () => {
      const id = (
        await call(ctx.app, 'POST', '/api/chat/conversations', as(), { agentId: 'builtin.seo-strategist' })
      ).json().id as string
      return { id, stream: call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as(), { content: 'Hi' }) }
    }
    const first = await open()
    const second = await open()
    await waitFor(async () => (await ctx.container.counters.peek(`sse:${owner.user.id}`)).count === 2)

    const third = await call(ctx.app, 'POST', '/api/chat/conversations', as(), { agentId: 'builtin.copywriter' })
    const refused = await call(ctx.app, 'POST', `/api/chat/conversations/${third.json().id}/messages`, as(), {
      content: 'Hi',
    })
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['retry-after']).toBe('5')
    expect(refused.json().error.code).toBe('stream.too_many')
    // Refused before anything started: no answer was written for it.
    const msgs = (await call(ctx.app, 'GET', `/api/chat/conversations/${third.json().id}/messages`, as())).json()
    expect(msgs.items).toEqual([])
    const resume = await call(ctx.app, 'GET', `/api/chat/conversations/${first.id}/stream`, as())
    expect(resume.statusCode).toBe(429)

    // A client that goes away gives its slot back too: stop the first answer, let both streams end.
    await call(ctx.app, 'POST', `/api/chat/conversations/${first.id}/cancel`, as())
    await Promise.all([first.stream, second.stream])
    await waitFor(async () => (await ctx.container.counters.peek(`sse:${owner.user.id}`)).count === 0)
    const again = await call(ctx.app, 'GET', `/api/chat/conversations/${second.id}/stream`, as())
    expect(again.statusCode).toBe(200)
    expect(parseSse(again.body).at(-1)?.event).toBe('done')
  })
})

describe('the one sweeper', () => {
  const job = () => ctx.container.jobs.find((j) => j.name === 'runs.sweep-stale-runs') as JobDefinition

  it('is the only stale-run job: the per-module sweepers are gone', () => {
    const names = ctx.container.jobs.map((j) => j.name)
    expect(names).toContain('runs.sweep-stale-runs')
    expect(names).not.toContain('chat.sweep-stale-runs')
    expect(names).not.toContain('boardroom.sweep-stale-meetings')
    expect(job().cron).toBe('* * * * *')
  })

  it("closes a dead meeting through the boardroom's finaliser: its streaming turn keeps the text it had streamed", async () => {
    const { db } = ctx.container
    const meetingId = newId('mtg')
    const turnId = newId('turn')
    await db
      .insertInto('meetings')
      .values({
        id: meetingId,
        workspaceId: owner.workspaceId,
        clientId: owner.clientId,
        topic: 'Spring menu',
        agentIds: JSON.stringify(['builtin.copywriter']),
        rounds: 1,
        createdBy: owner.user.id,
        requestId: newId('mtg'),
      })
      .execute()
    await db
      .insertInto('meetingTurns')
      .values({
        id: turnId,
        meetingId,
        clientId: owner.clientId,
        round: 1,
        position: 0,
        speaker: 'builtin.copywriter',
        status: 'streaming',
        modelId: 'offline',
      })
      .execute()
    await db
      .insertInto('runs')
      .values({
        id: meetingId,
        kind: 'meeting',
        workspaceId: owner.workspaceId,
        subjectId: meetingId,
        status: 'running',
        heartbeatAt: ago(90_000),
        createdAt: ago(120_000),
      })
      .execute()
    await db
      .insertInto('runEvents')
      .values([
        { runId: meetingId, seq: 1, type: 'turn', data: JSON.stringify({ turnId }) },
        { runId: meetingId, seq: 2, type: 'delta', data: JSON.stringify({ turnId, text: 'Lead with ' }) },
        { runId: meetingId, seq: 3, type: 'delta', data: JSON.stringify({ turnId, text: 'the lemon tart.' }) },
      ])
      .execute()

    await job().handler({})

    const turn = await db.selectFrom('meetingTurns').selectAll().where('id', '=', turnId).executeTakeFirstOrThrow()
    expect(turn).toMatchObject({ status: 'failed', content: 'Lead with the lemon tart.' })
    const meeting = (await call(ctx.app, 'GET', `/api/boardroom/meetings/${meetingId}`, as())).json()
    expect(meeting.status).toBe('failed')
    const tail = parseSse((await call(ctx.app, 'GET', `/api/boardroom/meetings/${meetingId}/stream`, as())).body)
    expect(tail.at(-1)).toMatchObject({ event: 'done', id: '4', data: { meetingId, status: 'failed' } })
  })

  it('closes a dead run of any registered kind through that kind’s finaliser, within its max age', async () => {
    const seen: string[] = []
    ctx.container.runs.register('test-kind', {
      maxAgeMs: 5 * 60_000,
      finalise: async (_trx, run, status) => {
        seen.push(`${run.id}:${status}`)
        return { note: 'closed by the test kind', status }
      },
    })
    const { db } = ctx.container
    const insert = async (heartbeatAt: Date | null, createdAt: Date) => {
      const id = newId('run')
      await db
        .insertInto('runs')
        .values({
          id,
          kind: 'test-kind',
          workspaceId: owner.workspaceId,
          subjectId: id,
          status: 'running',
          heartbeatAt,
          createdAt,
        })
        .execute()
      return id
    }
    const dead = await insert(ago(61_000), ago(2 * 60_000))
    const alive = await insert(ago(2_000), ago(2 * 60_000))
    const tooOld = await insert(ago(1_000), ago(6 * 60_000))

    await job().handler({})

    expect(seen.sort()).toEqual([`${dead}:failed`, `${tooOld}:failed`].sort())
    const status = async (id: string) =>
      (await db.selectFrom('runs').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status
    expect(await status(alive)).toBe('running')
    expect(await ctx.container.runs.after(dead, 0)).toEqual([
      { seq: 1, type: 'done', data: { note: 'closed by the test kind', status: 'failed' } },
    ])
  })
})

/** Two subscribers on two buses (as two processes would have) and one on the publisher's own. */
const deliversAcross = async (a: Bus, b: Bus) => {
  const channel = `run:${newId('run')}`
  const onA: string[] = []
  const onB: string[] = []
  const offA = await a.subscribe(channel, (m) => onA.push(m))
  const offB = await b.subscribe(channel, (m) => onB.push(m))
  await a.publish(channel, 'one')
  await a.publish(channel, 'two')
  // Order holds per publisher (a run has one writer); across publishers, the second waits until it has heard the first.
  await waitFor(() => onB.length === 2)
  await b.publish(channel, 'three')
  await waitFor(() => onA.length === 3 && onB.length === 3)
  await sleep(100)
  // Each message once per subscriber: the publisher's own process does not get its echo back.
  expect(onA).toEqual(['one', 'two', 'three'])
  expect(onB).toEqual(['one', 'two', 'three'])
  offB()
  await sleep(50)
  await a.publish(channel, 'four')
  await waitFor(() => onA.length === 4)
  await sleep(100)
  expect(onB).toHaveLength(3)
  offA()
}

describe('the bus', () => {
  it('in memory: delivers to this process’s subscribers until they unsubscribe', async () => {
    const bus = createMemoryBus()
    const got: string[] = []
    const off = await bus.subscribe('c', (m) => got.push(m))
    await bus.publish('c', 'x')
    off()
    await bus.publish('c', 'y')
    expect(got).toEqual(['x'])
  })

  it.skipIf(driver !== 'postgres')('LISTEN/NOTIFY: delivers between two connections (two processes)', async () => {
    const url = ctx.container.database.connectionString!
    const notify = (channel: string, payload: string) =>
      sql`select pg_notify(${channel}, ${payload})`.execute(ctx.container.db)
    const [a, b] = await Promise.all([createPgBus(url, notify), createPgBus(url, notify)])
    try {
      await deliversAcross(a, b)
      // NOTIFY refuses payloads of 8000 bytes and more: the bus says so instead of losing the message quietly.
      expect(a.maxPayload).toBeLessThan(8000)
      await expect(a.publish('c', 'x'.repeat(9000))).rejects.toThrow(/payload limit/)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it.skipIf(driver !== 'postgres')(
    'LISTEN/NOTIFY: a batch over the 8000-byte limit travels as "up to seq N" and the follower reads it from the table',
    async () => {
      const url = ctx.container.database.connectionString!
      const notify = (channel: string, payload: string) =>
        sql`select pg_notify(${channel}, ${payload})`.execute(ctx.container.db)
      const otherBus = await createPgBus(url, notify)
      // The follower's process: its own run layer on its own bus.
      const follower = createRuns({ db: ctx.container.db, bus: otherBus })
      try {
        const runId = newId('run')
        await ctx.container.runs.insert(ctx.container.db, {
          id: runId,
          kind: 'test-big',
          workspaceId: owner.workspaceId,
          subjectId: runId,
        })
        const messages: FeedMessage[] = []
        const off = await follower.feed.subscribe(
          runId,
          (m) => messages.push(m),
          () => undefined,
        )
        const big = 'é'.repeat(6000) // 12,000 bytes
        const { done } = ctx.container.runs.start<{ type: string; text?: string }>(runId, async ({ log }) => {
          log.push({ type: 'delta', text: 'small' })
          await log.flush()
          log.push({ type: 'delta-big', text: big })
          await log.flush()
          await ctx.container.runs.finish(ctx.container.db, owner.workspaceId, runId, 'completed')
          log.push({ type: 'done' })
          await log.flush()
        })
        await done
        await waitFor(() => messages.length === 3)
        off()
        expect(messages[0]).toEqual({ rows: [{ seq: 1, type: 'delta', data: { text: 'small' } }] })
        expect(messages[1]).toEqual({ upTo: 2 })
        expect(messages[2]).toEqual({ rows: [{ seq: 3, type: 'done', data: {} }] })
        expect((await follower.feed.after(runId, 1))[0]).toMatchObject({ seq: 2, data: { text: big } })
      } finally {
        await otherBus.close()
      }
    },
  )

  it.skipIf(!process.env.REDIS_URL)('Redis pub/sub: delivers between two connections (two processes)', async () => {
    const r1 = new Redis(process.env.REDIS_URL!)
    const r2 = new Redis(process.env.REDIS_URL!)
    const [a, b] = await Promise.all([createRedisBus(r1), createRedisBus(r2)])
    try {
      await deliversAcross(a, b)
    } finally {
      await Promise.all([a.close(), b.close()])
      r1.disconnect()
      r2.disconnect()
    }
  })
})
