import type { FastifyReply, FastifyRequest } from 'fastify'
/** Every stream ends with this event. */
const TERMINAL_EVENT = 'done'
import type { LoggedEvent, RunHub } from './event-log.ts'

const POLL_MS = 500
const HEARTBEAT_MS = 15_000

/** The sequence number the client last saw: the Last-Event-ID header (standard on reconnect) or ?after=. */
export const lastEventId = (req: FastifyRequest, after?: number) => {
  const header = Number(req.headers['last-event-id'])
  return Number.isInteger(header) && header >= 0 ? header : (after ?? 0)
}

/**
 * Streams a run's events as Server-Sent Events from `afterSeq` on: first what is stored, then what arrives,
 * live from this process or by polling the table when the run lives in another one. Ends after `done`.
 * A client that goes away only stops its own stream; the run goes on and is saved.
 */
export const streamRunEvents = async (
  req: FastifyRequest,
  reply: FastifyReply,
  deps: {
    hub: RunHub
    runId: string
    afterSeq: number
    /** Stored events after a sequence number, oldest first (at most 1000). */
    after: (seq: number) => Promise<LoggedEvent[]>
    /** Whether the stored log already holds its final event (a client past it gets an empty, closed stream). */
    isDone: () => Promise<boolean>
  },
) => {
  reply.hijack()
  reply.raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  let last = deps.afterSeq
  let ended = false
  let resolveEnd!: () => void
  const finished = new Promise<void>((ok) => {
    resolveEnd = ok
  })

  const write = (rows: LoggedEvent[]) => {
    for (const row of rows) {
      if (ended || row.seq <= last) continue
      last = row.seq
      reply.raw.write(`id: ${row.seq}\nevent: ${row.type}\ndata: ${JSON.stringify(row.data)}\n\n`)
      if (row.type === TERMINAL_EVENT) end()
    }
  }
  const catchUp = async () => {
    for (;;) {
      const rows = await deps.after(last)
      write(rows)
      if (ended) return
      if (rows.length === 0 && (await deps.isDone())) return end()
      if (rows.length < 1000) return
    }
  }
  // Subscribe before replaying so nothing published in between is missed (duplicates are skipped by seq).
  const unsubscribe = deps.hub.subscribe(deps.runId, write)
  const poll = setInterval(() => {
    void catchUp().catch(() => end())
  }, POLL_MS)
  const heartbeat = setInterval(() => {
    reply.raw.write(': keep-alive\n\n')
  }, HEARTBEAT_MS)
  function end() {
    if (ended) return
    ended = true
    unsubscribe()
    clearInterval(poll)
    clearInterval(heartbeat)
    reply.raw.end()
    resolveEnd()
  }
  reply.raw.on('close', end)
  await catchUp().catch(() => end())
  await finished
}
