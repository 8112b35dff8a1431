import type { IncomingMessage, ServerResponse } from 'node:http'

/** Small pieces the loopback fakes share: they speak different wire formats over the same HTTP basics. */
export const split = (text: string, parts: number) => {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, parts)))
  return Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size))
}

export const readBody = async (req: IncomingMessage) => {
  let raw = ''
  for await (const chunk of req) raw += chunk
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined
}

export const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
