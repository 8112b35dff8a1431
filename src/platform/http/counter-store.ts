import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'

/** Fixed-window counters for throttles that are not per-route (login per account, per IP). */
export interface CounterStore {
  /** Adds one to `key` and returns the count in the current window and the milliseconds left in it. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>
  peek(key: string): Promise<{ count: number; resetMs: number }>
  reset(key: string): Promise<void>
  /**
   * A gauge rather than a window (e.g. open streams): adds `by` (may be 0 or negative) to `key`, keeps it for `ttlMs`
   * from now (so a count left by a process that died goes away) and returns the new value.
   */
  adjust(key: string, by: number, ttlMs: number): Promise<number>
}

/** Keys kept at most by the in-process store; beyond it the least recently hit key is dropped, in O(1). */
export const MEMORY_COUNTER_MAX_KEYS = 100_000

/**
 * Fixed windows in an LRU cache with a TTL per key: an expired key is gone when next read, the oldest key makes
 * room when the cache is full; nothing ever scans every key. Each process counts on its own (Redis shares counts).
 */
export const createMemoryCounterStore = (
  now: () => number = Date.now,
  maxKeys = MEMORY_COUNTER_MAX_KEYS,
): CounterStore & { size(): number } => {
  const windows = new LRUCache<string, { count: number; resetAt: number }>({
    max: maxKeys,
    ttlAutopurge: false,
    perf: { now },
  })
  const live = (key: string) => {
    const w = windows.get(key)
    if (w && w.resetAt <= now()) {
      windows.delete(key)
      return undefined
    }
    return w
  }
  return {
    async hit(key, windowMs) {
      const w = live(key)
      if (w) {
        w.count += 1
        return { count: w.count, resetMs: w.resetAt - now() }
      }
      windows.set(key, { count: 1, resetAt: now() + windowMs }, { ttl: windowMs })
      return { count: 1, resetMs: windowMs }
    },
    async peek(key) {
      const w = live(key)
      return { count: w?.count ?? 0, resetMs: w ? w.resetAt - now() : 0 }
    },
    async reset(key) {
      windows.delete(key)
    },
    async adjust(key, by, ttlMs) {
      const count = Math.max(0, (live(key)?.count ?? 0) + by)
      windows.set(key, { count, resetAt: now() + ttlMs }, { ttl: ttlMs })
      return count
    },
    size: () => windows.size,
  }
}

export const createRedisCounterStore = (redis: Redis, prefix = 'camarad:ctr:'): CounterStore => ({
  async hit(key, windowMs) {
    const k = prefix + key
    const res = await redis.multi().incr(k).pexpire(k, windowMs, 'NX').pttl(k).exec()
    const count = Number(res?.[0]?.[1] ?? 0)
    const ttl = Number(res?.[2]?.[1] ?? windowMs)
    return { count, resetMs: ttl > 0 ? ttl : windowMs }
  },
  async peek(key) {
    const k = prefix + key
    const [count, ttl] = await Promise.all([redis.get(k), redis.pttl(k)])
    return { count: Number(count ?? 0), resetMs: ttl > 0 ? ttl : 0 }
  },
  async reset(key) {
    await redis.del(prefix + key)
  },
  async adjust(key, by, ttlMs) {
    const k = prefix + key
    const res = await redis.multi().incrby(k, by).pexpire(k, ttlMs).exec()
    return Number(res?.[0]?.[1] ?? 0)
  },
})
