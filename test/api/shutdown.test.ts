import { describe, expect, it } from 'vitest'
import { createTestContext, onboard } from '../harness.ts'

// A shutdown with live streams open (an inbox followed in a browser): the server ends them and closes, instead of
// waiting for them until the force exit — which would skip the worker's clean stop (QR numbers' leases released,
// the outbox drained).

describe('shutdown with live streams open', () => {
  it('ends the streams and closes the server', async () => {
    const ctx = await createTestContext()
    const w = await onboard(ctx.app)
    const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    const res = await fetch(`${address}/api/inbox/events`, {
      headers: { cookie: w.user.cookie, 'x-client-id': w.clientId },
    })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toContain('event: ready')
    await ctx.close()
    // The stream was ended by the server: reading on finds its end.
    for (;;) if ((await reader.read()).done) break
  })
})
