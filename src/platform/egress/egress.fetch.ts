import type http from 'node:http'
import { EgressError } from './egress.errors.ts'

// Statuses whose response has no body: a web Response refuses one for them.
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** What a fetch-shaped call asks for, as the egress client's request takes it. */
export const requestOf = async (input: string | URL | Request, init: RequestInit = {}) => {
  const request = new Request(input, init)
  const headers: Record<string, string> = {}
  request.headers.forEach((value, name) => {
    headers[name] = value
  })
  // We hand the body on as received: ask the server not to compress it.
  headers['accept-encoding'] = 'identity'
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined
  return {
    url: request.url,
    init: { method: request.method, headers, body },
    signal: init.signal ?? (input instanceof Request ? input.signal : undefined),
  }
}

/**
 * The response body as a web stream, read as the caller reads it (backpressure, nothing buffered): a server-sent
 * event stream flows through chunk by chunk. Past `maxBytes` the connection is dropped and the stream errors with
 * `egress.too_large`; `done` runs once, whichever way the body ends (end, error, cancel).
 */
export const streamBody = (
  res: http.IncomingMessage,
  { maxBytes, signal, done }: { maxBytes: number; signal: AbortSignal; done: () => void },
) => {
  let settled = false
  const finish = (then: () => void) => {
    if (settled) return
    settled = true
    done()
    then()
  }
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > maxBytes) {
            res.destroy()
            return finish(() =>
              controller.error(new EgressError('egress.too_large', `The response is larger than ${maxBytes} bytes.`)),
            )
          }
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
          if ((controller.desiredSize ?? 1) <= 0) res.pause()
        })
        res.once('end', () => finish(() => controller.close()))
        const failed = () =>
          finish(() =>
            controller.error(
              signal.aborted
                ? signal.reason
                : new EgressError('egress.network', 'The connection closed before the response ended.'),
            ),
          )
        res.once('error', failed)
        res.once('close', () => {
          if (!res.readableEnded) failed()
        })
      },
      pull() {
        res.resume()
      },
      cancel() {
        finish(() => res.destroy())
      },
    },
    { highWaterMark: 16 },
  )
}

/** A web Response over the response head and its streamed body. */
export const toResponse = (
  res: http.IncomingMessage,
  headers: Headers,
  body: () => ReadableStream<Uint8Array>,
  done: () => void,
) => {
  const status = res.statusCode ?? 502
  if (NULL_BODY.has(status)) {
    res.destroy()
    done()
    return new Response(null, { status, headers })
  }
  return new Response(body(), { status, statusText: res.statusMessage, headers })
}
