import type { PGlite } from '@electric-sql/pglite'
import pg from 'pg'

/**
 * Who-you-are facts (a token's owner, a user's roles, a workspace's provider keys) kept per process, and dropped in
 * every process the moment the rows they came from change.
 *
 * The database says what changed: triggers on the owning modules' tables call `pg_notify('camarad_invalidate', tag)`
 * (tags like `token:<id>`, `user:<id>`, `keys:<workspaceId>`), so every write path, present or future, invalidates,
 * and the message leaves with the commit. On PostgreSQL each process LISTENs on one dedicated connection; PGlite (one
 * process) tells its listener before the committing statement returns. See ADR 0009.
 */
export const INVALIDATE_CHANNEL = 'camarad_invalidate'

export type Invalidations = {
  /** Calls `onTag` for each changed row's tag, `onLost` when messages may have been missed (the cache must empty). */
  subscribe(onTag: (tag: string) => void, onLost: () => void): void
  /** False while the listening connection is down: nothing may be served from a cache then. */
  readonly live: boolean
  /**
   * Resolves once every change committed before `since` (`performance.now()`, default: the call) has been told to this
   * process: what a cached entry is checked against before it is trusted (see `pgInvalidations`).
   */
  sync(since?: number): Promise<void>
  close(): Promise<void>
}

const RECONNECT_MS = 1000

/** PostgreSQL: one LISTEN connection per process, reconnected; while it is down the caches stand aside. */
const pgInvalidations = async (connectionString: string): Promise<Invalidations> => {
  const tagListeners: ((tag: string) => void)[] = []
  const lostListeners: (() => void)[] = []
  const lost = () => lostListeners.forEach((l) => l())
  let client: pg.Client | undefined
  let closed = false
  const connect = async () => {
    const c = new pg.Client({ connectionString })
    c.on('notification', (n) => {
      if (n.channel === INVALIDATE_CHANNEL && n.payload) for (const l of tagListeners) l(n.payload)
    })
    c.on('error', () => undefined)
    c.on('end', () => {
      if (client !== c) return
      client = undefined
      lost()
      if (closed) return
      const retry = () => void connect().catch(() => setTimeout(retry, RECONNECT_MS).unref())
      setTimeout(retry, RECONNECT_MS).unref()
    })
    await c.connect()
    await c.query(`LISTEN ${INVALIDATE_CHANNEL}`)
    client = c
    // Whatever changed while no connection listened is unknown: start empty.
    lost()
  }
  await connect()
  /*
   * The barrier. A committing transaction signals the listening backends before its commit returns, so a change
   * committed before this process asks is already pending at its listener's backend, which sends the notification ahead
   * of the answer to any later query on the listening connection. One empty query therefore proves that every earlier
   * change has arrived. Concurrent callers share one: each waits for the next query that starts after it asked, so under
   * load it is one tiny round trip per batch of requests on a connection no one else uses, not one per request.
   */
  let waiting: { ok: () => void; fail: (e: unknown) => void }[] = []
  let pumping = false
  /** When the last barrier that came back was sent: every change committed before then has arrived. */
  let coveredUntil = -Infinity
  const pump = async () => {
    pumping = true
    while (waiting.length) {
      const batch = waiting
      waiting = []
      try {
        if (!client) throw new Error('invalidations: not listening')
        const sentAt = performance.now()
        await client.query('')
        coveredUntil = Math.max(coveredUntil, sentAt)
        for (const w of batch) w.ok()
      } catch (err) {
        for (const w of batch) w.fail(err)
      }
    }
    pumping = false
  }
  return {
    sync: (since = performance.now()) =>
      new Promise<void>((ok, fail) => {
        // A request's second and third lookups ride on the barrier its first one waited for.
        if (coveredUntil >= since) return ok()
        waiting.push({ ok, fail })
        if (!pumping) void pump()
      }),
    subscribe: (onTag, onLost) => {
      tagListeners.push(onTag)
      lostListeners.push(onLost)
    },
    get live() {
      return client !== undefined
    },
    async close() {
      closed = true
      const c = client
      client = undefined
      await c?.end().catch(() => undefined)
    },
  }
}

/** PGlite: its `listen` callback runs before the committing statement's promise resolves (checked in the tests). */
const pgliteInvalidations = async (pglite: PGlite): Promise<Invalidations> => {
  const tagListeners: ((tag: string) => void)[] = []
  const unlisten = await pglite.listen(INVALIDATE_CHANNEL, (payload) => {
    for (const l of tagListeners) l(payload)
  })
  return {
    subscribe: (onTag) => void tagListeners.push(onTag),
    live: true,
    sync: async () => undefined,
    close: async () => {
      await unlisten().catch(() => undefined)
    },
  }
}

export const createInvalidations = (database: {
  kind: 'pglite' | 'postgres'
  connectionString?: string
  pglite?: PGlite
}): Promise<Invalidations> =>
  database.kind === 'postgres' ? pgInvalidations(database.connectionString!) : pgliteInvalidations(database.pglite!)

export type WhoCache<V> = {
  /**
   * The cached value, else `load()`'s (kept unless an invalidation arrived meanwhile). Nothing is kept for `undefined`.
   * `since`: the moment whose committed changes must be seen (a request's arrival; default now).
   */
  get(key: string, load: () => Promise<V | undefined>, since?: number): Promise<V | undefined>
  /** Drops one key (a caller that knows better, e.g. an expired token). */
  drop(key: string): void
  readonly size: number
}

/**
 * A per-process map from key to value, each entry filed under the tags whose change drops it. `ttlMs` bounds how long
 * an entry lives even if every message arrives; `max` bounds memory (oldest first out).
 */
export const createWhoCache = <V>(
  invalidations: Invalidations,
  o: { tagsOf: (key: string, value: V) => string[]; ttlMs: number; max: number; now?: () => number },
): WhoCache<V> => {
  const now = o.now ?? Date.now
  type Entry = { value: V; expires: number; tags: string[] }
  const entries = new Map<string, Entry>()
  const byTag = new Map<string, Set<string>>()
  /** Bumped by every invalidation: a load that saw an older generation does not keep what it read. */
  let generation = 0
  const drop = (key: string) => {
    const e = entries.get(key)
    if (!e) return
    entries.delete(key)
    for (const t of e.tags) {
      const keys = byTag.get(t)
      keys?.delete(key)
      if (keys && !keys.size) byTag.delete(t)
    }
  }
  const clear = () => {
    generation++
    entries.clear()
    byTag.clear()
  }
  invalidations.subscribe((tag) => {
    generation++
    for (const key of [...(byTag.get(tag) ?? [])]) drop(key)
  }, clear)
  const keep = (key: string, value: V) => {
    drop(key)
    const tags = o.tagsOf(key, value)
    entries.set(key, { value, expires: now() + o.ttlMs, tags })
    for (const t of tags) {
      const keys = byTag.get(t) ?? new Set()
      byTag.set(t, keys)
      keys.add(key)
    }
    if (entries.size > o.max) drop(entries.keys().next().value!)
  }
  return {
    async get(key, load, since) {
      if (!invalidations.live) return load()
      const hit = entries.get(key)
      if (hit && hit.expires > now()) {
        const synced = await invalidations.sync(since).then(
          () => true,
          () => false,
        )
        if (synced && entries.get(key) === hit && invalidations.live) return hit.value
      }
      const seen = generation
      const value = await load()
      if (value !== undefined && seen === generation && invalidations.live) keep(key, value)
      return value
    },
    drop,
    get size() {
      return entries.size
    },
  }
}
