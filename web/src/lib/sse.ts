import { EventSourceParserStream } from 'eventsource-parser/stream'
import type { EventSourceMessage } from 'eventsource-parser/stream'

/** One Server-Sent Event: `id` is the event's sequence number (for Last-Event-ID), `data` its parsed JSON. */
export type SseMessage = { id: number | null; event: string; data: Record<string, unknown> }

/** The wire event as the app uses it; null when its data is not a JSON object. */
const toMessage = ({ id, event, data }: EventSourceMessage): SseMessage | null => {
  try {
    const parsed: unknown = JSON.parse(data)
    if (!parsed || typeof parsed !== 'object') return null
    return {
      id: id !== undefined && /^\d+$/.test(id) ? Number(id) : null,
      event: event || 'message',
      data: parsed as Record<string, unknown>,
    }
  } catch {
    return null
  }
}

/**
 * Reads a `text/event-stream` response body (fetch, since EventSource cannot POST or set headers) and calls
 * `onEvent` for each event, parsed by eventsource-parser. Resolves when the server ends the stream (an event
 * cut off by the end is dropped, as EventSource does); rejects when the connection breaks or the request's
 * signal aborts.
 */
export async function readEventStream(res: Response, onEvent: (message: SseMessage) => void): Promise<void> {
  if (!res.body) return
  const reader = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader()
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    const message = toMessage(value)
    if (message) onEvent(message)
  }
}
