/** One Server-Sent Event: `id` is the event's sequence number (for Last-Event-ID), `data` its parsed JSON. */
export type SseMessage = { id: number | null; event: string; data: Record<string, unknown> }

const parseBlock = (block: string): SseMessage | null => {
  let id: number | null = null
  let event = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id' && /^\d+$/.test(value)) id = Number(value)
    else if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  if (data.length === 0) return null
  try {
    const parsed: unknown = JSON.parse(data.join('\n'))
    return parsed && typeof parsed === 'object' ? { id, event, data: parsed as Record<string, unknown> } : null
  } catch {
    return null
  }
}

/**
 * Reads a `text/event-stream` response body (fetch, since EventSource cannot POST or set headers) and calls
 * `onEvent` for each event. Resolves when the server ends the stream; rejects when the connection breaks or
 * the request's signal aborts.
 */
export async function readEventStream(res: Response, onEvent: (message: SseMessage) => void): Promise<void> {
  if (!res.body) return
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += value.replace(/\r\n?/g, '\n')
    let end = buffer.indexOf('\n\n')
    while (end >= 0) {
      const message = parseBlock(buffer.slice(0, end))
      buffer = buffer.slice(end + 2)
      if (message) onEvent(message)
      end = buffer.indexOf('\n\n')
    }
  }
  const last = parseBlock(buffer.trim())
  if (last) onEvent(last)
}
