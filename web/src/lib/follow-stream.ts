import { ApiError, failed } from './api.ts'
import { readEventStream } from './sse.ts'
import type { SseMessage } from './sse.ts'

/** Resolves after `ms`, or at once when the signal aborts. */
export const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((ok) => {
    const id = window.setTimeout(ok, ms)
    signal.addEventListener(
      'abort',
      () => {
        window.clearTimeout(id)
        ok()
      },
      { once: true },
    )
  })

/** fetch for an event stream: same-origin cookies, a failed status as ApiError, a network failure as one too. */
export const openStream = async (path: string, init: RequestInit): Promise<Response> => {
  let res: Response
  try {
    res = await fetch(path, { credentials: 'same-origin', ...init })
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e
    throw new ApiError(0, 'network.unreachable', 'Cannot reach the server. Check your connection and try again.')
  }
  if (!res.ok) throw await failed(res)
  return res
}

type FollowOptions = {
  /** Opens the stream from the events after sequence number `after` (sent as Last-Event-ID). */
  open: (after: number, signal: AbortSignal) => Promise<Response>
  onEvent: (message: SseMessage) => void
  signal: AbortSignal
  /** The event that ends the stream. */
  terminal?: string
  retries?: number
}

/**
 * Follows a resumable event stream until its terminal event: a broken or failed connection is reopened
 * from the last event seen, with a growing pause. Resolves quietly when the signal aborts; rejects after
 * `retries` failures in a row, or at once on a 4xx answer.
 */
export async function followStream({
  open,
  onEvent,
  signal,
  terminal = 'done',
  retries = 5,
}: FollowOptions): Promise<void> {
  let seq = 0
  let failures = 0
  let lastError: unknown = null
  while (!signal.aborted) {
    let res: Response
    try {
      res = await open(seq, signal)
    } catch (e) {
      if (signal.aborted) return
      if ((e instanceof ApiError && e.status >= 400 && e.status < 500) || ++failures > retries) throw e
      await wait(1000 * failures, signal)
      continue
    }
    let ended = false
    let received = false
    try {
      await readEventStream(res, (m) => {
        received = true
        if (m.id !== null) seq = m.id
        if (m.event === terminal) ended = true
        onEvent(m)
      })
    } catch (e) {
      lastError = e
    }
    if (signal.aborted || ended) return
    if (received) failures = 0
    if (++failures > retries) throw lastError ?? new Error('The connection was lost. Reload the page to see the rest.')
    await wait(1000 * failures, signal)
  }
}
