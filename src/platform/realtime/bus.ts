import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import pg from 'pg'

/**
 * Publish/subscribe on named channels, across every process of the deployment: the live half of a run's events (the
 * database keeps the durable half). A message published here reaches this process's subscribers at once and every
 * other process's through the backend; a process never gets its own messages twice.
 */
export type Bus = {
  /** Which backend carries messages between processes. */
  readonly kind: 'memory' | 'postgres' | 'redis'
  /** The largest message (bytes, UTF-8) the backend carries; a publisher sends a pointer to the database above it. */
  readonly maxPayload: number
  publish(channel: string, message: string): Promise<void>
  /**
   * PostgreSQL only: what to NOTIFY from the caller's own statement, so the message leaves with the commit of the
   * rows it announces, in the same round trip; `local()` then tells this process's subscribers (after the commit).
   */
  prepare?(channel: string, message: string): { name: string; payload: string; local: () => void }
  /**
   * Resolves once the subscription is active in the backend, so a caller that then reads the database misses nothing.
   * `onResync` is called after the backend connection was lost and restored: messages may have been missed meanwhile.
   */
  subscribe(channel: string, onMessage: (message: string) => void, onResync?: () => void): Promise<() => void>
  close(): Promise<void>
}

type Subscriber = { onMessage: (message: string) => void; onResync?: () => void }

/** The local half every bus shares: subscribers per channel, told synchronously, in subscription order. */
const localFanout = () => {
  const channels = new Map<string, Set<Subscriber>>()
  return {
    channels,
    deliver(channel: string, message: string) {
      for (const s of channels.get(channel) ?? []) s.onMessage(message)
    },
    /** Adds a subscriber; true when it is the channel's first here (the backend must start listening). */
    add(channel: string, s: Subscriber) {
      const set = channels.get(channel) ?? new Set()
      channels.set(channel, set)
      set.add(s)
      return set.size === 1
    },
    /** Removes one; true when it was the channel's last here (the backend may stop listening). */
    remove(channel: string, s: Subscriber) {
      const set = channels.get(channel)
      if (!set?.delete(s)) return false
      if (set.size) return false
      channels.delete(channel)
      return true
    },
    resyncAll() {
      for (const set of channels.values()) for (const s of set) s.onResync?.()
    },
  }
}

/** One process (PGlite, tests): an in-memory emitter. */
export const createMemoryBus = (): Bus => {
  const local = localFanout()
  return {
    kind: 'memory',
    maxPayload: Number.MAX_SAFE_INTEGER,
    publish: async (channel, message) => local.deliver(channel, message),
    subscribe: async (channel, onMessage, onResync) => {
      const s = { onMessage, onResync }
      local.add(channel, s)
      return () => void local.remove(channel, s)
    },
    close: async () => undefined,
  }
}

/** Messages between processes carry their origin, so a process skips the echo of what it delivered locally. */
const envelope = (origin: string, message: string) => `${origin}:${message}`
const unwrap = (origin: string, raw: string) => {
  const at = raw.indexOf(':')
  return at < 0 || raw.slice(0, at) === origin ? undefined : raw.slice(at + 1)
}
const newOrigin = () => randomBytes(6).toString('hex')

/** PostgreSQL's NOTIFY payload limit is 8000 bytes; the envelope and a margin come off it. */
const NOTIFY_LIMIT = 8000
const RECONNECT_MS = 1000

/** A LISTEN channel is an identifier of at most 63 bytes: a longer name is shortened with a hash of itself. */
const pgName = (channel: string) =>
  Buffer.byteLength(channel) <= 63 ? channel : channel.slice(0, 40) + ':' + hash(channel)
const quoted = (name: string) => '"' + name.replaceAll('"', '""') + '"'
const hash = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 16)

/**
 * PostgreSQL LISTEN/NOTIFY: one dedicated connection listens (a channel is LISTENed while this process has a
 * subscriber for it); `publish` sends `pg_notify` through `notify` (the application's pool). Messages over the
 * payload limit are refused: callers check `maxPayload` and publish a pointer instead.
 */
export const createPgBus = async (
  connectionString: string,
  notify: (channel: string, payload: string) => Promise<unknown>,
): Promise<Bus> => {
  const origin = newOrigin()
  // Local subscribers are kept under the name PostgreSQL knows the channel by.
  const local = localFanout()
  let client: pg.Client | undefined
  let closed = false
  // LISTEN / UNLISTEN go one at a time on the one connection.
  let queue: Promise<unknown> = Promise.resolve()
  const onConnection = (statement: string) => {
    const next = queue.then(async () => client?.query(statement))
    queue = next.catch(() => undefined)
    return next
  }
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString })
    c.on('notification', (n) => {
      const message = n.payload === undefined ? undefined : unwrap(origin, n.payload)
      if (message !== undefined) local.deliver(n.channel, message)
    })
    c.on('error', () => undefined)
    c.on('end', () => {
      if (closed || client !== c) return
      client = undefined
      const retry = () =>
        void connect()
          .then(() => local.resyncAll())
          .catch(() => setTimeout(retry, RECONNECT_MS).unref())
      setTimeout(retry, RECONNECT_MS).unref()
    })
    await c.connect()
    for (const name of local.channels.keys()) await c.query(`LISTEN ${quoted(name)}`)
    client = c
  }
  await connect()
  const listening = new Map<string, Promise<unknown>>()
  const prepare = (channel: string, message: string) => {
    const name = pgName(channel)
    const payload = envelope(origin, message)
    if (Buffer.byteLength(payload) >= NOTIFY_LIMIT) throw new Error('bus: message over the NOTIFY payload limit')
    return { name, payload, local: () => local.deliver(name, message) }
  }
  return {
    kind: 'postgres',
    maxPayload: NOTIFY_LIMIT - origin.length - 1 - 100,
    async publish(channel, message) {
      const p = prepare(channel, message)
      p.local()
      await notify(p.name, p.payload)
    },
    prepare,
    async subscribe(channel, onMessage, onResync) {
      const name = pgName(channel)
      const s = { onMessage, onResync }
      if (local.add(name, s)) listening.set(name, onConnection(`LISTEN ${quoted(name)}`))
      await listening.get(name)
      return () => {
        if (!local.remove(name, s)) return
        listening.delete(name)
        void onConnection(`UNLISTEN ${quoted(name)}`)
      }
    },
    async close() {
      closed = true
      await queue
      await client?.end().catch(() => undefined)
    },
  }
}

/** Redis pub/sub: a subscriber needs a connection of its own, duplicated from the application's. */
export const createRedisBus = async (redis: Redis): Promise<Bus> => {
  const origin = newOrigin()
  const local = localFanout()
  const sub = redis.duplicate()
  sub.on('error', () => undefined)
  sub.on('message', (channel: string, raw: string) => {
    const message = unwrap(origin, raw)
    if (message !== undefined) local.deliver(channel, message)
  })
  // ioredis subscribes again by itself after a reconnect; what was published meanwhile is replayed by the callers.
  const listening = new Map<string, Promise<unknown>>()
  let ready = 0
  sub.on('ready', () => {
    if (ready++ > 0) local.resyncAll()
  })
  return {
    kind: 'redis',
    maxPayload: 1024 * 1024,
    async publish(channel, message) {
      local.deliver(channel, message)
      await redis.publish(channel, envelope(origin, message))
    },
    async subscribe(channel, onMessage, onResync) {
      const s = { onMessage, onResync }
      if (local.add(channel, s)) listening.set(channel, sub.subscribe(channel))
      await listening.get(channel)
      return () => {
        if (!local.remove(channel, s)) return
        listening.delete(channel)
        void sub.unsubscribe(channel).catch(() => undefined)
      }
    },
    async close() {
      sub.disconnect()
    },
  }
}

/** The bus for a deployment: Redis when configured, else PostgreSQL's LISTEN/NOTIFY, else in memory (PGlite). */
export const createBus = async (o: {
  redis?: Redis
  connectionString?: string
  notify: (channel: string, payload: string) => Promise<unknown>
}): Promise<Bus> =>
  o.redis ? createRedisBus(o.redis) : o.connectionString ? createPgBus(o.connectionString, o.notify) : createMemoryBus()
