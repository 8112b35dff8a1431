import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI } from '../fakes/openai-upstream.ts'
import { call, createTestContext, onboard, type TestContext } from '../harness.ts'
import { parseSse, textOf } from '../sse.ts'

const waitFor = async (check: () => Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('condition not met in time')
}

describe('answers that outlive or are stopped by their client (slow offline model)', () => {
  let ctx: TestContext
  let owner: Awaited<ReturnType<typeof onboard>>
  const as = () => ({ cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } })
  const start = async () =>
    (await call(ctx.app, 'POST', '/api/chat/conversations', as(), { agentId: 'builtin.seo-strategist' })).json()
      .id as string
  const answer = async (id: string) =>
    (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, as())).json().items.at(-1)

  beforeAll(async () => {
    ctx = await createTestContext({ OFFLINE_MODEL_CHUNK_DELAY_MS: '25' })
    owner = await onboard(ctx.app, 'stream')
  })
  afterAll(async () => {
    await ctx.close()
  })

  it('stop keeps what was written and saves the answer as cancelled', async () => {
    const id = await start()
    const streaming = call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as(), {
      content: 'Plan our content for next quarter.',
    })
    await waitFor(async () => (await answer(id))?.role === 'assistant')
    await new Promise((r) => setTimeout(r, 300))
    const cancel = await call(ctx.app, 'POST', `/api/chat/conversations/${id}/cancel`, as())
    expect(cancel.json()).toEqual({ cancelled: true })
    const events = parseSse((await streaming).body)
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'cancelled' } })
    const saved = await answer(id)
    expect(saved.status).toBe('cancelled')
    expect(saved.content.length).toBeGreaterThan(0)
    expect(saved.content).toBe(textOf(events))
    expect(saved.usage.outputTokens).toBeGreaterThan(0)
  })

  it('refuses a second question while an answer is being written (409)', async () => {
    const id = await start()
    const first = call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as(), { content: 'First' })
    await waitFor(async () => (await answer(id))?.role === 'assistant')
    const second = await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as(), { content: 'Second' })
    expect(second.statusCode).toBe(409)
    expect(second.json().error.code).toBe('chat.run_in_progress')
    await call(ctx.app, 'POST', `/api/chat/conversations/${id}/cancel`, as())
    await first
  })

  it('a client that disconnects mid-answer does not lose it: it completes and is saved', async () => {
    const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    const id = await start()
    const aborter = new AbortController()
    const res = await fetch(`${address}/api/chat/conversations/${id}/messages`, {
      method: 'POST',
      signal: aborter.signal,
      headers: { cookie: owner.user.cookie, origin: 'http://camarad.test', 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'Audit our blog.' }),
    })
    const reader = res.body!.getReader()
    await reader.read()
    aborter.abort()
    await waitFor(async () => (await answer(id))?.status === 'complete')
    const saved = await answer(id)
    expect(saved.content).toMatch(/offline/i)
    const replay = parseSse((await call(ctx.app, 'GET', `/api/chat/conversations/${id}/stream`, as())).body)
    expect(textOf(replay)).toBe(saved.content)
  })
})

describe('answers through a configured OpenAI-compatible provider', () => {
  it('streams the provider text with its usage, not the offline model', async () => {
    const fake = await startFakeOpenAI({
      text: 'Split the budget 70/30 between brand and generic campaigns.',
      chunks: 6,
      usage: { prompt_tokens: 321, completion_tokens: 12 },
    })
    const ctx = await createTestContext({ OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: fake.url })
    try {
      const owner = await onboard(ctx.app, 'provider')
      const as = { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } }
      const id = (
        await call(ctx.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.ppc-specialist' })
      ).json().id
      const events = parseSse(
        (await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as, { content: 'How to split €5k?' }))
          .body,
      )
      expect(events[0]!.data).toMatchObject({ offline: false, modelId: 'openai:gpt-4o-mini' })
      expect(textOf(events)).toBe('Split the budget 70/30 between brand and generic campaigns.')
      expect(events.find((e) => e.event === 'usage')!.data.usage).toMatchObject({
        inputTokens: 321,
        outputTokens: 12,
        estimated: false,
      })
      const sent = fake.requests.find((r) => r.path.endsWith('/chat/completions'))!
      expect(JSON.stringify(sent.body)).toContain('PPC Specialist')
      expect(JSON.stringify(sent.body)).toContain('provider client')
    } finally {
      await ctx.close()
      await fake.close()
    }
  })

  it('a provider that refuses the key gives a clear configuration error, saved with the answer', async () => {
    const fake = await startFakeOpenAI({ fail: { status: 401 } })
    const ctx = await createTestContext({ OPENAI_API_KEY: 'sk-wrong-key', OPENAI_BASE_URL: fake.url })
    try {
      const owner = await onboard(ctx.app, 'badkey')
      const as = { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } }
      const id = (await call(ctx.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.copywriter' })).json()
        .id
      const res = await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as, {
        content: 'Write a headline.',
      })
      const events = parseSse(res.body)
      expect(events.find((e) => e.event === 'error')!.data).toMatchObject({ code: 'model.provider_unauthorized' })
      expect(res.body).toContain('OPENAI_API_KEY')
      expect(res.body).not.toContain('sk-wrong-key')
      expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'failed' } })
      const saved = (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, as)).json().items.at(-1)
      expect(saved).toMatchObject({ status: 'failed', error: { code: 'model.provider_unauthorized' } })
    } finally {
      await ctx.close()
      await fake.close()
    }
  })
})

describe('runs whose process died', () => {
  it('are closed as failed by the sweeper job, keeping the saved text', async () => {
    const ctx = await createTestContext()
    try {
      const owner = await onboard(ctx.app, 'sweep')
      const as = { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } }
      const id = (await call(ctx.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.copywriter' })).json()
        .id
      await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as, { content: 'Hello' })
      // Simulate a process that died mid-answer 20 minutes ago.
      const { db } = ctx.container
      const run = await db
        .selectFrom('runs')
        .innerJoin('messages', 'messages.runId', 'runs.id')
        .select(['runs.id', 'messages.id as messageId'])
        .where('runs.kind', '=', 'chat')
        .where('runs.subjectId', '=', id)
        .executeTakeFirstOrThrow()
      await db
        .updateTable('runs')
        .set({ status: 'running', finishedAt: null, createdAt: new Date(Date.now() - 20 * 60_000) })
        .where('id', '=', run.id)
        .execute()
      await db.updateTable('messages').set({ status: 'streaming' }).where('id', '=', run.messageId).execute()
      const job = ctx.container.jobs.find((j) => j.name === 'runs.sweep-stale-runs')!
      await job.handler({} as never)
      const answer = (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, as)).json().items.at(-1)
      expect(answer).toMatchObject({ status: 'failed', error: { code: 'chat.interrupted' } })
      expect(answer.content.length).toBeGreaterThan(0)
      expect((await call(ctx.app, 'GET', `/api/chat/conversations/${id}`, as)).json().running).toBe(false)
      const tail = parseSse(
        (
          await call(ctx.app, 'GET', `/api/chat/conversations/${id}/stream`, {
            ...as,
            headers: { ...as.headers, 'last-event-id': '10000' },
          })
        ).body,
      )
      expect(tail).toEqual([])
    } finally {
      await ctx.close()
    }
  })
})

describe('a run whose writer is gone', () => {
  it('is closed by cancel: the answer is kept as cancelled and followers get `done`', async () => {
    const ctx = await createTestContext()
    try {
      const owner = await onboard(ctx.app, 'orphan')
      const as = { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } }
      const id = (await call(ctx.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.copywriter' })).json()
        .id
      await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as, { content: 'Hello' })
      const { db } = ctx.container
      // As if the process writing it had died: running, streaming, no final event.
      const run = await db
        .selectFrom('runs')
        .innerJoin('messages', 'messages.runId', 'runs.id')
        .select(['runs.id', 'messages.id as messageId'])
        .where('runs.kind', '=', 'chat')
        .where('runs.subjectId', '=', id)
        .executeTakeFirstOrThrow()
      await db.updateTable('runs').set({ status: 'running', finishedAt: null }).where('id', '=', run.id).execute()
      await db.updateTable('messages').set({ status: 'streaming' }).where('id', '=', run.messageId).execute()
      await db.deleteFrom('runEvents').where('runId', '=', run.id).where('type', '=', 'done').execute()
      expect((await call(ctx.app, 'POST', `/api/chat/conversations/${id}/cancel`, as)).json()).toEqual({
        cancelled: true,
      })
      const answer = (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, as)).json().items.at(-1)
      expect(answer.status).toBe('cancelled')
      expect(answer.content.length).toBeGreaterThan(0)
      const replay = parseSse((await call(ctx.app, 'GET', `/api/chat/conversations/${id}/stream`, as)).body)
      expect(replay.at(-1)).toMatchObject({ event: 'done', data: { status: 'cancelled' } })
    } finally {
      await ctx.close()
    }
  })
})
