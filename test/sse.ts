/** Parses a Server-Sent Events body into its events (the wire format, as a browser's EventSource reads it). */
export type SseEvent = { id?: string; event: string; data: Record<string, unknown> }

export const parseSse = (body: string): SseEvent[] =>
  body
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const fields: Record<string, string> = {}
      for (const line of block.split('\n')) {
        const i = line.indexOf(':')
        if (i > 0)
          fields[line.slice(0, i)] =
            (fields[line.slice(0, i)] ? fields[line.slice(0, i)] + '\n' : '') + line.slice(i + 1).trimStart()
      }
      return {
        id: fields.id,
        event: fields.event ?? 'message',
        data: JSON.parse(fields.data ?? '{}') as Record<string, unknown>,
      }
    })

export const textOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'delta')
    .map((e) => String(e.data.text))
    .join('')
