export type LoggedEvent = { seq: number; type: string; data: Record<string, unknown> }

/** What a run's channel carries: the events just stored, or (too large for the bus) how far the stored log reaches. */
export type FeedMessage = { rows: LoggedEvent[] } | { upTo: number }

/** Every run's log ends with this event. */
export const TERMINAL_EVENT = 'done'

const FLUSH_MS = 50

/**
 * The event log of one run: events get increasing sequence numbers, are written in small batches (a token
 * stream would otherwise be one INSERT per token) and published only after they are stored, so a client
 * that reconnects with Last-Event-ID replays exactly what a live client saw.
 */
export const createRunLog = <E extends { type: string }>(
  /** Stores a batch, then publishes it (a follower that misses it catches up from the table at the next gap). */
  write: (rows: LoggedEvent[]) => Promise<unknown>,
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
      if (batch.length) await write(batch)
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
export type RunLog<E extends { type: string }> = ReturnType<typeof createRunLog<E>>
