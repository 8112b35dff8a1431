import type { Redis } from 'ioredis'

/** Fixed-window counters for throttles that are not per-route (login per account, per IP). */
export interface CounterStore {
  /** Adds one to `key` and returns the count in the current window and the milliseconds left in it. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>
  peek(key: string): Promise<{ count: number; resetMs: number }>
  reset(key: string): Promise<void>
}

export const createMemoryCounterStore = (now: () => number = Date.now): CounterStore => {
  const windows = new Map<string, { count: number; resetAt: number }>()
  const live = (key: string) => {
    const w = windows.get(key)
    if (w && w.resetAt <= now()) { windows.delete(key); return undefined }
    return w
  }
  return {
    async hit(key, windowMs) {
      if (windows.size > 50_000) for (const k of windows.keys()) live(k)
      const w = live(key) ?? { count: 0, resetAt: now() + windowMs }
      w.count += 1
      windows.set(key, w)
      return { count: w.count, resetMs: w.resetAt - now() }
    },
    async peek(key) {
      const w = live(key)
      return { count: w?.count ?? 0, resetMs: w ? w.resetAt - now() : 0 }
    },
    async reset(key) { windows.delete(key) },
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
  async reset(key) { await redis.del(prefix + key) },
})
