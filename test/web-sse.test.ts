import { describe, expect, it } from 'vitest'
import { readEventStream, type SseMessage } from '../web/src/lib/sse.ts'

/** A fetch Response whose body arrives in the given pieces. */
const streamed = (...pieces: string[]) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        const encoder = new TextEncoder()
        for (const piece of pieces) controller.enqueue(encoder.encode(piece))
        controller.close()
      },
    }),
  )

const read = async (res: Response) => {
  const messages: SseMessage[] = []
  await readEventStream(res, (m) => messages.push(m))
  return messages
}

/** The web app's event-stream reader (chat answers, boardroom meetings, the demo). */
describe('web readEventStream', () => {
  it('gives each event with its numeric id (for Last-Event-ID), name and JSON data, however the bytes are cut', async () => {
    const wire =
      'id: 1\nevent: delta\ndata: {"text":"Hé"}\n\n: keep-alive\n\nid: 2\nevent: done\ndata: {"status":"complete"}\n\n'
    const bytes = new TextEncoder().encode(wire)
    const cuts = [3, 11, 17, 30, 41, 60]
    const pieces = [0, ...cuts].map((start, i) => new TextDecoder().decode(bytes.slice(start, cuts[i] ?? bytes.length)))
    const expected = [
      { id: 1, event: 'delta', data: { text: 'Hé' } },
      { id: 2, event: 'done', data: { status: 'complete' } },
    ]
    expect(await read(streamed(...pieces))).toEqual(expected)
    expect(await read(streamed(wire.replaceAll('\n', '\r\n')))).toEqual(expected)
  })

  it('names an unnamed event "message", gives a null id when there is none or it is not a number', async () => {
    expect(await read(streamed('data: {"a":1}\n\nid: x\nevent: e\ndata: {"b":2}\n\n'))).toEqual([
      { id: null, event: 'message', data: { a: 1 } },
      { id: null, event: 'e', data: { b: 2 } },
    ])
  })

  it('skips an event whose data is not a JSON object, and one cut off by the end of the stream', async () => {
    expect(
      await read(
        streamed('id: 1\ndata: not json\n\nid: 2\ndata: 7\n\nid: 3\ndata: {"ok":true}\n\nid: 4\ndata: {"cut"'),
      ),
    ).toEqual([{ id: 3, event: 'message', data: { ok: true } }])
  })
})
