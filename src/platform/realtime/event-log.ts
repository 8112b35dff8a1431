import { EventEmitter } from 'node:events'

export type LoggedEvent = { seq: number; type: string; data: Record<string, unknown> }

/** In-process fan-out of persisted run events; other processes follow the table instead. */
export const createRunHub = () => {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  return {
    publish: (runId: string, rows: LoggedEvent[]) => {
      emitter.emit(runId, rows)
    },
    subscribe: (runId: string, fn: (rows: LoggedEvent[]) => void) => {
      emitter.on(runId, fn)
      return () => {
        emitter.off(runId, fn)
      }
    },
  }
}
export type RunHub = ReturnType<typeof createRunHub>

const FLUSH_MS = 50

/**
 * The event log of one run: events get increasing sequence numbers, are written in small batches (a token
 * stream would otherwise be one INSERT per token) and published only after they are stored, so a client
 * that reconnects with Last-Event-ID replays exactly what a live client saw.
 */
export const createRunLog = <E extends { type: string }>(
  append: (rows: LoggedEvent[]) => Promise<unknown>,
  hub: RunHub,
  runId: string,
) => {
  let seq = 0
  let pending: LoggedEvent[] = []
  let timer: NodeJS.Timeout | undefined
  let writing: Promise<void> = Promise.resolve()

  const flush = () => {
    if (timer) {
      clearTimeout(timer)
      timer = undefined
    }
    const batch = pending
    pending = []
    writing = writing.then(async () => {
      if (!batch.length) return
      await append(batch)
      hub.publish(runId, batch)
    })
    return writing
  }

  return {
    push(event: E) {
      const { type, ...data } = event as E & Record<string, unknown>
      const last = pending.at(-1)
      // Consecutive text deltas of the same stream in one batch become one event: fewer rows, same text.
      if (type === 'delta' && last?.type === 'delta' && last.data.turnId === data.turnId)
        last.data.text = String(last.data.text) + String(data.text)
      else pending.push({ seq: ++seq, type, data })
      timer ??= setTimeout(() => void flush(), FLUSH_MS)
    },
    flush,
  }
}
