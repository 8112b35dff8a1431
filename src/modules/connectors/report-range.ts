import { LRUCache } from 'lru-cache'
import { connectorsErrors } from './connectors.errors.ts'

const DAY_MS = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const day = (d: string) => Date.parse(`${d}T00:00:00Z`)

export type Range = { from: string; to: string }

/** The range asked for (default: the 30 days up to yesterday, UTC), checked; and the same length just before it. */
export const resolveRange = (q: { from?: string; to?: string }, today = new Date()): Range => {
  const todayMs = day(today.toISOString().slice(0, 10))
  const to = q.to ?? iso(todayMs - DAY_MS)
  const from = q.from ?? iso(day(to) - 29 * DAY_MS)
  if (day(from) > day(to)) throw connectorsErrors.range_invalid({ problem: '`from` is after `to`.' })
  if (day(to) > todayMs) throw connectorsErrors.range_invalid({ problem: '`to` is in the future.' })
  if ((day(to) - day(from)) / DAY_MS + 1 > 366)
    throw connectorsErrors.range_invalid({ problem: 'it spans more than 366 days.' })
  return { from, to }
}

export const previousRange = (r: Range): Range => {
  const days = (day(r.to) - day(r.from)) / DAY_MS + 1
  const to = day(r.from) - DAY_MS
  return { from: iso(to - (days - 1) * DAY_MS), to: iso(to) }
}

/**
 * Report results per connection, query and range, kept a short while (Google's quotas are per day and the numbers
 * of a finished day barely move). Bounded; a connection's entries go when it changes account or disconnects.
 */
export const createReportCache = (ttlMs: number) => {
  const cache = new LRUCache<string, object>({ max: 2000, ttl: Math.max(1, ttlMs) })
  return {
    async get<T extends object>(key: string, load: () => Promise<T>): Promise<{ value: T; cached: boolean }> {
      const hit = ttlMs > 0 ? (cache.get(key) as T | undefined) : undefined
      if (hit) return { value: hit, cached: true }
      const value = await load()
      if (ttlMs > 0) cache.set(key, value)
      return { value, cached: false }
    },
    forget(connectionId: string) {
      for (const key of [...cache.keys()]) if (key.startsWith(`${connectionId}|`)) cache.delete(key)
    },
  }
}
export type ReportCache = ReturnType<typeof createReportCache>
