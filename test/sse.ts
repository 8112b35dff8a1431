import { createParser, type EventSourceMessage } from 'eventsource-parser'

/** One Server-Sent Event of a response body: `id` as sent (the sequence number), `data` its parsed JSON. */
export type SseEvent = { id?: string; event: string; data: Record<string, unknown> }

/** One parsed wire event as the tests read it: no `event:` field means `message`, `data` is JSON. */
export const sseEvent = ({ id, event, data }: EventSourceMessage): SseEvent => ({
  id,
  event: event || 'message',
  data: JSON.parse(data) as Record<string, unknown>,
})

/** The events of a whole Server-Sent Events body, as a browser's EventSource reads them (eventsource-parser). */
const messagesOf = (body: string): EventSourceMessage[] => {
  const messages: EventSourceMessage[] = []
  createParser({ onEvent: (message) => messages.push(message) }).feed(body)
  return messages
}

/** Parses a Server-Sent Events body of the app (JSON data) into its events. */
export const parseSse = (body: string): SseEvent[] => messagesOf(body).map(sseEvent)

/** Each event's `data` as sent: OpenAI's stream (/v1) is unnamed events of JSON chunks, then `[DONE]`. */
export const sseData = (body: string): string[] => messagesOf(body).map((m) => m.data)

export const textOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'delta')
    .map((e) => String(e.data.text))
    .join('')
