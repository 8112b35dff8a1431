import type { CacheStore } from 'baileys'

/**
 * The memory in front of one socket's Signal keys (the cache of Baileys' `makeCacheableSignalKeyStore`, which writes
 * through to the database before `set` resolves). It lives as long as its socket, so a reconnect reads the database
 * again: after a failed write nothing stale survives. Baileys' default cache starts an interval that is never
 * cleared — one per socket, holding key material — so this one has no timer: an entry expires when it is read after
 * `ttlMs`, and a full cache sweeps the expired ones, then the oldest.
 */
export const createKeyCache = ({
  ttlMs = 5 * 60_000,
  maxEntries = 10_000,
  now = Date.now,
}: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}): CacheStore => {
  const entries = new Map<string, { value: unknown; until: number }>()
  const sweep = () => {
    const at = now()
    for (const [key, e] of entries) if (e.until <= at) entries.delete(key)
    for (const key of entries.keys()) {
      if (entries.size < maxEntries / 2) break
      entries.delete(key)
    }
  }
  return {
    get<T>(key: string) {
      const e = entries.get(key)
      if (!e) return undefined
      if (e.until > now()) return e.value as T
      entries.delete(key)
      return undefined
    },
    set<T>(key: string, value: T) {
      if (entries.size >= maxEntries && !entries.has(key)) sweep()
      entries.set(key, { value, until: now() + ttlMs })
    },
    del(key: string) {
      entries.delete(key)
    },
    flushAll() {
      entries.clear()
    },
  }
}
