import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimDue } from '../../src/modules/inbox/claims.ts'
import { OUTBOX_DEFAULTS } from '../../src/modules/inbox/dispatcher.ts'
import { createPgPacer, createRedisPacer, grant, refill, type Pacer } from '../../src/modules/inbox/pacer.ts'
import { call, createTestContext, onboard, type TestContext } from '../harness.ts'

const CLOUD = { perSecond: 80, burst: 80, jitter: 0 }
const QR = { perSecond: 0.1, burst: 1, jitter: 0.5 }

describe('token bucket arithmetic', () => {
  it('refills at the rate up to the burst, never beyond', () => {
    expect(refill(0, 0, 500, CLOUD)).toBe(40)
    expect(refill(10, 0, 10_000, CLOUD)).toBe(80)
    expect(refill(5, 1000, 0, CLOUD)).toBe(5) // a clock behind refills nothing
  })
  it('grants whole sends and says how long until the next one', () => {
    expect(grant(2.5, 10, CLOUD, 0.5)).toMatchObject({ granted: 2, waitMs: 0 })
    expect(grant(0.5, 10, CLOUD, 0.5)).toMatchObject({ granted: 0, waitMs: 7 })
    // Jitter makes a send cost between 0.5 and 1.5 tokens: the spacing varies around the same mean.
    expect(grant(1, 1, QR, 1).left).toBeCloseTo(-0.5)
    expect(grant(1, 1, QR, 0).left).toBeCloseTo(0.5)
  })
})

/** One suite, run against each implementation (PostgreSQL rows; Redis when REDIS_URL is set). */
describe('pacers', () => {
  let ctx: TestContext
  let redis: Redis | undefined
  const channels: string[] = []
  let w: Awaited<ReturnType<typeof onboard>>
  beforeAll(async () => {
    ctx = await createTestContext()
    w = await onboard(ctx.app, 'pacer')
    for (let i = 0; i < 8; i++) {
      const ch = await call(
        ctx.app,
        'POST',
        '/api/channels',
        { cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } },
        { kind: 'qr', name: `Q${i}` },
      )
      channels.push(ch.json().id)
    }
    if (process.env.REDIS_URL) redis = new Redis(process.env.REDIS_URL)
  })
  afterAll(async () => {
    redis?.disconnect()
    await ctx?.close()
  })
  let next = 0
  const suite: [string, () => Pacer | undefined][] = [
    ['PostgreSQL', () => createPgPacer(ctx.container.db)],
    ['Redis', () => (redis ? createRedisPacer(redis, `camarad:test:${Date.now()}:`) : undefined)],
  ]
  for (const [name, make] of suite) {
    it(`${name}: starts full, limits to the burst, refills with the clock`, async () => {
      const p = make()
      if (!p) return
      const ch = channels[next++]!
      const t = 1_000_000
      expect(await p.take(ch, CLOUD, 100, t, 0.5)).toEqual({ granted: 80, waitMs: 0 })
      expect(await p.take(ch, CLOUD, 5, t, 0.5)).toMatchObject({ granted: 0 })
      expect((await p.take(ch, CLOUD, 100, t + 250, 0.5)).granted).toBe(20)
      expect((await p.take(ch, CLOUD, 100, t + 60_000, 0.5)).granted).toBe(80)
    })
    it(`${name}: gives back what was not used, and holds everything while paused`, async () => {
      const p = make()
      if (!p) return
      const ch = channels[next++]!
      const t = 2_000_000
      expect((await p.take(ch, CLOUD, 50, t, 0.5)).granted).toBe(50)
      await p.refund(ch, CLOUD, 20)
      expect((await p.take(ch, CLOUD, 100, t, 0.5)).granted).toBe(50)
      await p.pause(ch, t + 5000)
      expect(await p.take(ch, CLOUD, 1, t + 4000, 0.5)).toEqual({ granted: 0, waitMs: 1000 })
      expect((await p.take(ch, CLOUD, 1, t + 5000, 0.5)).granted).toBe(1)
      expect((await p.state(ch, CLOUD, t + 5000)).pausedUntil).toBeNull()
    })
    it(`${name}: a QR number sends one at a time, a few a minute`, async () => {
      const p = make()
      if (!p) return
      const ch = channels[next++]!
      const t = 3_000_000
      expect((await p.take(ch, QR, 5, t, 0.5)).granted).toBe(1)
      const wait = await p.take(ch, QR, 5, t + 1000, 0.5)
      expect(wait).toEqual({ granted: 0, waitMs: 9000 })
      expect((await p.take(ch, QR, 5, t + 10_000, 0.5)).granted).toBe(1)
    })
  }

  it('caps first messages to new contacts a day, once per contact, the rest the next UTC day', async () => {
    const ch = channels[7]!
    const db = ctx.container.db
    const at = Date.UTC(2026, 11, 7, 12)
    // Three new contacts and one the number already wrote to, each with a queued message; the cap is 2 a day.
    const ids: string[] = []
    for (const [i, waId] of ['401', '402', '403', '404'].entries()) {
      await ctx.container.inbox.inbox.receive(db, { id: ch, workspaceId: w.workspaceId, clientId: w.clientId }, [
        {
          providerMessageId: `in-${i}`,
          party: { waId },
          fromMe: waId === '404',
          at: new Date(at - 1000),
          content: { type: 'text', text: 'hi' },
        },
      ])
      const thread = await db
        .selectFrom('inboxThreads')
        .select('id')
        .where('channelId', '=', ch)
        .orderBy('createdAt', 'desc')
        .executeTakeFirstOrThrow()
      const id = `im_cap${i}aaaaaaaaaaaa`
      ids.push(id)
      await db
        .insertInto('inboxMessages')
        .values({
          id,
          workspaceId: w.workspaceId,
          clientId: w.clientId,
          threadId: thread.id,
          channelId: ch,
          direction: 'out',
          chatId: waId,
          fromMe: false,
          type: 'text',
          content: JSON.stringify({ type: 'text', text: 'x' }),
          status: 'queued',
          statusAt: new Date(at),
          nextAttemptAt: new Date(at),
          at: new Date(at + i),
        })
        .execute()
    }
    const claimed = await claimDue(db, {
      channelId: ch,
      count: 10,
      at,
      me: 'test',
      settings: OUTBOX_DEFAULTS,
      newContactsPerDay: 2,
      random: () => 0,
    })
    expect(claimed.map((m) => m.chatId).sort()).toEqual(['401', '402', '404'])
    const waiting = await db.selectFrom('inboxMessages').selectAll().where('id', '=', ids[2]!).executeTakeFirstOrThrow()
    expect(waiting.nextAttemptAt!.toISOString()).toBe('2026-12-08T00:00:00.000Z')
    expect(waiting.attempts).toBe(0)
  })
})
