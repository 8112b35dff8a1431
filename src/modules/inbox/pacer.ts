import type { Redis } from 'ioredis'
import type { Kysely } from 'kysely'
import type { InboxTables } from './inbox.tables.ts'

/** A number's bucket: refills at `perSecond` up to `burst`; a send costs 1 ± `jitter` tokens. */
export type BucketLimits = { perSecond: number; burst: number; jitter: number }
export type Take = {
  /** Sends allowed now (0 … wanted). */
  granted: number
  /** When nothing was granted: how long until one send is (a pause included). */
  waitMs: number
}
export type BucketState = { tokens: number; pausedUntil: Date | null }

/**
 * Token buckets per number, shared by every process (ADR 0005, "Outbox"): Redis when configured (one Lua script,
 * atomic), else a row per number in PostgreSQL updated under its row lock. The clock and the jitter's randomness are
 * arguments, so tests move time instead of waiting.
 */
export interface Pacer {
  take(channelId: string, limits: BucketLimits, wanted: number, nowMs: number, random?: number): Promise<Take>
  /** Gives back what was granted and not used (fewer messages were claimed than granted). */
  refund(channelId: string, limits: BucketLimits, count: number): Promise<void>
  /** Nothing is granted before `untilMs` (a 130429 from the provider). */
  pause(channelId: string, untilMs: number): Promise<void>
  state(channelId: string, limits: BucketLimits, nowMs: number): Promise<BucketState>
}

/** The arithmetic both backends share (the Lua script below is the same, line for line). */
export const refill = (tokens: number, atMs: number, nowMs: number, l: BucketLimits) =>
  Math.min(l.burst, tokens + (Math.max(0, nowMs - atMs) / 1000) * l.perSecond)

/** Takes up to `wanted` whole sends from `tokens`, each costing 1 ± jitter (drawn once for the batch). */
export const grant = (tokens: number, wanted: number, l: BucketLimits, random: number) => {
  const cost = 1 + l.jitter * (2 * random - 1)
  let granted = 0
  let left = tokens
  while (granted < wanted && left >= 1) {
    left -= cost
    granted++
  }
  const waitMs = granted ? 0 : Math.ceil(((1 - left) / l.perSecond) * 1000)
  return { granted, left, waitMs }
}

export const createPgPacer = (db: Kysely<InboxTables>): Pacer => {
  const locked = async <T>(
    channelId: string,
    limits: BucketLimits,
    nowMs: number,
    fn: (row: { tokens: number; atMs: number; pausedUntil: Date | null }, trx: Kysely<InboxTables>) => Promise<T>,
  ) =>
    db.transaction().execute(async (trx) => {
      await trx
        .insertInto('inboxSendBuckets')
        .values({ channelId, tokens: limits.burst, at: new Date(nowMs) })
        .onConflict((oc) => oc.column('channelId').doNothing())
        .execute()
      const row = await trx
        .selectFrom('inboxSendBuckets')
        .select(['tokens', 'at', 'pausedUntil'])
        .where('channelId', '=', channelId)
        .forUpdate()
        .executeTakeFirstOrThrow()
      return fn({ tokens: Number(row.tokens), atMs: row.at.getTime(), pausedUntil: row.pausedUntil }, trx)
    })
  const write = (trx: Kysely<InboxTables>, channelId: string, tokens: number, atMs: number) =>
    trx
      .updateTable('inboxSendBuckets')
      .set({ tokens, at: new Date(atMs) })
      .where('channelId', '=', channelId)
      .execute()

  return {
    take: (channelId, limits, wanted, nowMs, random = Math.random()) =>
      locked(channelId, limits, nowMs, async (row, trx) => {
        if (row.pausedUntil && row.pausedUntil.getTime() > nowMs)
          return { granted: 0, waitMs: row.pausedUntil.getTime() - nowMs }
        // A clock behind the stored one (another process's) refills nothing and keeps the later time.
        const atMs = Math.max(row.atMs, nowMs)
        const g = grant(refill(row.tokens, row.atMs, nowMs, limits), wanted, limits, random)
        await write(trx, channelId, g.left, atMs)
        return { granted: g.granted, waitMs: g.waitMs }
      }),
    refund: async (channelId, limits, count) => {
      if (count <= 0) return
      await db
        .updateTable('inboxSendBuckets')
        .set((eb) => ({ tokens: eb.fn('least', [eb.val(limits.burst), eb('tokens', '+', count)]) }))
        .where('channelId', '=', channelId)
        .execute()
    },
    pause: async (channelId, untilMs) => {
      await db
        .insertInto('inboxSendBuckets')
        .values({ channelId, tokens: 0, at: new Date(), pausedUntil: new Date(untilMs) })
        .onConflict((oc) =>
          oc.column('channelId').doUpdateSet((eb) => ({
            pausedUntil: eb.fn('greatest', [eb.ref('inboxSendBuckets.pausedUntil'), eb.ref('excluded.pausedUntil')]),
          })),
        )
        .execute()
    },
    state: async (channelId, limits, nowMs) => {
      const row = await db
        .selectFrom('inboxSendBuckets')
        .select(['tokens', 'at', 'pausedUntil'])
        .where('channelId', '=', channelId)
        .executeTakeFirst()
      if (!row) return { tokens: limits.burst, pausedUntil: null }
      return {
        tokens: refill(Number(row.tokens), row.at.getTime(), nowMs, limits),
        pausedUntil: row.pausedUntil && row.pausedUntil.getTime() > nowMs ? row.pausedUntil : null,
      }
    },
  }
}

/**
 * The same bucket in Redis: a hash per number (`t` tokens, `at` ms, `p` paused until ms). KEYS[1] the hash;
 * ARGV: now ms, per second, burst, jitter, wanted, random. Returns { granted, waitMs }.
 */
const TAKE = `
local h = redis.call('HMGET', KEYS[1], 't', 'at', 'p')
local now = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local burst = tonumber(ARGV[3])
local jitter = tonumber(ARGV[4]); local wanted = tonumber(ARGV[5]); local random = tonumber(ARGV[6])
local tokens = tonumber(h[1]) or burst
local at = tonumber(h[2]) or now
local paused = tonumber(h[3]) or 0
if paused > now then return {0, paused - now} end
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local cost = 1 + jitter * (2 * random - 1)
local granted = 0
while granted < wanted and tokens >= 1 do
  tokens = tokens - cost
  granted = granted + 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(math.max(at, now)))
redis.call('PEXPIRE', KEYS[1], 86400000)
if granted > 0 then return {granted, 0} end
return {0, math.ceil((1 - tokens) / rate * 1000)}
`
const REFUND = `
local t = tonumber(redis.call('HGET', KEYS[1], 't'))
if t then redis.call('HSET', KEYS[1], 't', tostring(math.min(tonumber(ARGV[1]), t + tonumber(ARGV[2])))) end
return 0
`
const PAUSE = `
local p = tonumber(redis.call('HGET', KEYS[1], 'p')) or 0
if tonumber(ARGV[1]) > p then redis.call('HSET', KEYS[1], 'p', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], 86400000)
return 0
`

export const createRedisPacer = (redis: Redis, prefix = 'camarad:outbox:bucket:'): Pacer => {
  const key = (channelId: string) => `${prefix}${channelId}`
  return {
    async take(channelId, l, wanted, nowMs, random = Math.random()) {
      const [granted, waitMs] = (await redis.eval(
        TAKE,
        1,
        key(channelId),
        nowMs,
        l.perSecond,
        l.burst,
        l.jitter,
        wanted,
        random,
      )) as [number, number]
      return { granted, waitMs }
    },
    async refund(channelId, l, count) {
      if (count > 0) await redis.eval(REFUND, 1, key(channelId), l.burst, count)
    },
    async pause(channelId, untilMs) {
      await redis.eval(PAUSE, 1, key(channelId), Math.round(untilMs))
    },
    async state(channelId, l, nowMs) {
      const [t, at, p] = await redis.hmget(key(channelId), 't', 'at', 'p')
      const tokens = t === null ? l.burst : refill(Number(t), Number(at ?? nowMs), nowMs, l)
      const paused = Number(p ?? 0)
      return { tokens, pausedUntil: paused > nowMs ? new Date(paused) : null }
    },
  }
}
