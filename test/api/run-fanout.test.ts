import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { call, createTestContext, driver, onboard, ORIGIN, type TestContext } from '../harness.ts'
import { parseSse, textOf } from '../sse.ts'
import { startServerProcess } from '../server-process.ts'

/**
 * Live events across processes: an answer written by one server process reaches an SSE follower in another through
 * the bus (PostgreSQL LISTEN/NOTIFY here), with no polling of the table; a cancel from one process stops the run in
 * the other at once. Only meaningful on PostgreSQL (PGlite is one process).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (check: () => Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error('condition not met in time')
}

/** A second server process on the test's database, writing answers with the same slow offline model. */
const startServer = (databaseUrl: string) =>
  startServerProcess({
    DATABASE_URL: databaseUrl,
    PUBLIC_URL: ORIGIN,
    SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
    OFFLINE_MODEL_CHUNK_DELAY_MS: '25',
    RATE_LIMIT_PER_MINUTE: '100000',
    CREDITS_RPM_PER_USER: '100000',
    CREDITS_RPM_PER_WORKSPACE: '100000',
    CREDITS_MAX_CONCURRENT_STREAMS: '1000',
    PLANS_FILE: 'test/fixtures/plans-unlimited.json',
  })

describe.skipIf(driver !== 'postgres')('live events across processes (PostgreSQL)', () => {
  let ctx: TestContext
  let other: Awaited<ReturnType<typeof startServer>>
  let owner: Awaited<ReturnType<typeof onboard>>
  const as = () => ({ cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } })
  /** A request to the other process, as the same signed-in browser. */
  const remote = (method: string, path: string, body?: unknown) =>
    fetch(`${other.base}${path}`, {
      method,
      headers: {
        cookie: owner.user.cookie,
        origin: ORIGIN,
        'x-client-id': owner.clientId,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    })
  const conversation = async () =>
    (await call(ctx.app, 'POST', '/api/chat/conversations', as(), { agentId: 'builtin.seo-strategist' })).json()
      .id as string
  const answer = async (id: string) =>
    (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, as())).json().items.at(-1)

  beforeAll(async () => {
    ctx = await createTestContext({ OFFLINE_MODEL_CHUNK_DELAY_MS: '25' })
    owner = await onboard(ctx.app, 'fanout')
    other = await startServer(ctx.container.database.connectionString!)
  }, 120_000)
  afterAll(async () => {
    await other?.kill()
    await ctx?.close()
  })

  it('an answer written in one process reaches a follower in another, live, reading the table only to catch up', async () => {
    const id = await conversation()
    // Process B writes the answer (its own client reads the stream to the end).
    const writer = remote('POST', `/api/chat/conversations/${id}/messages`, { content: 'Plan our next quarter.' }).then(
      (r) => r.text(),
    )
    await waitFor(async () => (await answer(id))?.role === 'assistant')
    // Process A (this one) follows it from the start.
    const reads = vi.spyOn(ctx.container.runs.feed, 'after')
    const started = Date.now()
    const follower = await call(ctx.app, 'GET', `/api/chat/conversations/${id}/stream`, {
      ...as(),
      headers: { ...as().headers, 'last-event-id': '0' },
    })
    const followed = Date.now() - started
    const events = parseSse(follower.body)
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } })
    expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(5)
    const saved = await answer(id)
    expect(textOf(events)).toBe(saved.content)
    expect(textOf(parseSse(await writer))).toBe(saved.content)
    // The stream lasted seconds (a 500 ms poll would have read the table every half second); it read it once to
    // replay what was already written, and again only when a message showed a gap (none is expected on one bus).
    expect(followed).toBeGreaterThan(2000)
    expect(reads.mock.calls.length).toBeLessThanOrEqual(2)
    reads.mockRestore()
  })

  it('a cancel from this process stops the run in the other one at once, which saves it itself', async () => {
    const id = await conversation()
    const writer = remote('POST', `/api/chat/conversations/${id}/messages`, { content: 'Plan our next quarter.' }).then(
      (r) => r.text(),
    )
    await waitFor(async () => (await answer(id))?.role === 'assistant')
    await sleep(300)
    const started = Date.now()
    const cancel = await call(ctx.app, 'POST', `/api/chat/conversations/${id}/cancel`, as())
    const took = Date.now() - started
    expect(cancel.json()).toEqual({ cancelled: true })
    // The writer heard it through the bus: well under the heartbeat (5 s) or the orphan wait (3 s).
    expect(took).toBeLessThan(1500)
    const events = parseSse(await writer)
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'cancelled' } })
    // Closed by its writer (usage, then done), not by this process as an orphan (done only).
    expect(events.at(-2)?.event).toBe('usage')
    const saved = await answer(id)
    expect(saved.status).toBe('cancelled')
    expect(saved.content).toBe(textOf(events))
  })
})
