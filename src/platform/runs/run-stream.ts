import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CounterStore } from '../http/counter-store.ts'
import { streamErrors } from '../http/http.errors.ts'
import { TERMINAL_EVENT, type FeedMessage, type LoggedEvent } from './run-log.ts'

const KEEP_ALIVE_MS = 15_000
/** A process that dies holding stream slots gives them back after this (open streams refresh it at each keep-alive). */
const SLOT_TTL_MS = 60_000
const RETRY_AFTER_SECONDS = 5

/** The sequence number the client last saw: the Last-Event-ID header (standard on reconnect) or ?after=. */
export const lastEventId = (req: FastifyRequest, after?: number) => {
  const header = Number(req.headers['last-event-id'])
  return Number.isInteger(header) && header >= 0 ? header : (after ?? 0)
}

/** Where a stream reads a run from: its live channel, and the stored log to replay what it missed. */
export type Feed = {
  subscribe(runId: string, onMessage: (m: FeedMessage) => void, onResync: () => void): Promise<() => void>
  after(runId: string, seq: number): Promise<LoggedEvent[]>
  isDone(runId: string): Promise<boolean>
}

/**
 * Server-Sent Events of runs, at most `maxPerUser` open at once per user (across processes when the counter store is
 * Redis; per process otherwise). A stream subscribes to the run's channel, replays what is stored after `afterSeq`,
 * then writes what the channel brings; the table is read again only when a message shows a gap (a lost message, or
 * a batch too large for the bus that only says how far the log reaches) or after the bus reconnected. No timer reads.
 */
export const createRunStreams = ({
  feed,
  counters,
  maxPerUser,
}: {
  feed: Feed
  counters: CounterStore
  maxPerUser: number
}) => {
  const slotKey = (userId: string) => `sse:${userId}`
  /** The streams open now: a shutdown ends them (they would hold the server's close until the force exit). */
  const openStreams = new Set<() => void>()

  /** Takes one of the user's stream slots, or refuses with 429 `stream.too_many`; the returned function gives it back. */
  const reserve = async (userId: string) => {
    const key = slotKey(userId)
    const count = await counters.adjust(key, 1, SLOT_TTL_MS)
    if (count > maxPerUser) {
      await counters.adjust(key, -1, SLOT_TTL_MS)
      throw streamErrors.too_many({ max: maxPerUser, retryAfterSeconds: RETRY_AFTER_SECONDS })
    }
    let released = false
    return {
      refresh: () => void counters.adjust(key, 0, SLOT_TTL_MS).catch(() => undefined),
      release: () => {
        if (released) return
        released = true
        void counters.adjust(key, -1, SLOT_TTL_MS).catch(() => undefined)
      },
    }
  }

  /**
   * Opens an event stream on `reply` holding the user's `slot`: keep-alives (which refresh the slot) until it ends, when
   * the client leaves or `end` is called; the feed's unsubscribe is handed to `subscribed` and called at the end.
   */
  const open = (reply: FastifyReply, slot: Awaited<ReturnType<typeof reserve>>) => {
    reply.hijack()
    reply.raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    let ended = false
    let unsubscribe: (() => void) | undefined
    let resolveEnd!: () => void
    const finished = new Promise<void>((ok) => (resolveEnd = ok))
    const keepAlive = setInterval(() => {
      reply.raw.write(': keep-alive\n\n')
      slot.refresh()
    }, KEEP_ALIVE_MS)
    const end = () => {
      if (ended) return
      ended = true
      unsubscribe?.()
      clearInterval(keepAlive)
      openStreams.delete(end)
      slot.release()
      reply.raw.end()
      resolveEnd()
    }
    openStreams.add(end)
    reply.raw.on('close', end)
    return {
      end,
      finished,
      isEnded: () => ended,
      /** Keeps the feed's unsubscribe for the end; calls it at once when the stream has already ended. */
      subscribed(u: () => void) {
        if (ended) u()
        else unsubscribe = u
      },
    }
  }

  const stream = async (
    req: FastifyRequest,
    reply: FastifyReply,
    runId: string,
    afterSeq: number,
    slot: Awaited<ReturnType<typeof reserve>>,
  ) => {
    const sse = open(reply, slot)
    const { end } = sse
    let last = afterSeq

    const write = (rows: LoggedEvent[]) => {
      for (const row of rows) {
        if (sse.isEnded() || row.seq <= last) continue
        last = row.seq
        reply.raw.write(`id: ${row.seq}\nevent: ${row.type}\ndata: ${JSON.stringify(row.data)}\n\n`)
        if (row.type === TERMINAL_EVENT) end()
      }
    }
    // Replays from the table, one read at a time; `first` also ends a stream whose client is already past `done`.
    let reading: Promise<void> = Promise.resolve()
    const catchUp = (first = false) => {
      reading = reading.then(async () => {
        for (;;) {
          if (sse.isEnded()) return
          const rows = await feed.after(runId, last)
          write(rows)
          if (sse.isEnded()) return
          if (first && rows.length === 0 && (await feed.isDone(runId))) return end()
          if (rows.length < 1000) return
        }
      })
      reading = reading.catch(() => end())
      return reading
    }
    const onMessage = (m: FeedMessage) => {
      if (sse.isEnded()) return
      if ('rows' in m && m.rows[0] && m.rows[0].seq <= last + 1) write(m.rows)
      else if (('upTo' in m ? m.upTo : (m.rows.at(-1)?.seq ?? 0)) > last) void catchUp()
    }
    // Subscribe before replaying so nothing published in between is missed (duplicates are skipped by seq).
    try {
      sse.subscribed(await feed.subscribe(runId, onMessage, () => void catchUp()))
      await catchUp(true)
    } catch {
      end()
    }
    await sse.finished
  }

  return {
    /**
     * Streams the run `target` resolves to, from its `afterSeq`: the user's slot is taken first (429 over the cap,
     * before anything starts), given back when the stream ends or `target` throws.
     */
    async serve(
      req: FastifyRequest,
      reply: FastifyReply,
      userId: string,
      target: () => Promise<{ runId: string; afterSeq: number }>,
    ) {
      const slot = await reserve(userId)
      let t: { runId: string; afterSeq: number }
      try {
        t = await target()
      } catch (err) {
        slot.release()
        throw err
      }
      await stream(req, reply, t.runId, t.afterSeq, slot)
    },

    /**
     * A live feed that is not a run's log (the inbox): events as they are published, no replay. The client reads what
     * it shows when the stream opens (`ready`) and again on `resync` (the bus reconnected: messages may be lost).
     * Takes one of the user's stream slots like a run's stream.
     */
    /** Ends every open stream (a shutdown: clients reconnect to another process, or to this one once it is back). */
    endAll() {
      for (const end of [...openStreams]) end()
    },

    async live(
      reply: FastifyReply,
      userId: string,
      subscribe: (send: (type: string, data: unknown) => void, resync: () => void) => Promise<() => void>,
    ) {
      const sse = open(reply, await reserve(userId))
      const send = (type: string, data: unknown) => {
        if (!sse.isEnded()) reply.raw.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`)
      }
      try {
        sse.subscribed(await subscribe(send, () => send('resync', {})))
        send('ready', {})
      } catch {
        sse.end()
      }
      await sse.finished
    },
  }
}
export type RunStreams = ReturnType<typeof createRunStreams>
