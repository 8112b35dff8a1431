import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, onboard, type TestContext } from '../harness.ts'
import { parseSse } from '../sse.ts'
import { startFakeOpenAI } from '../fakes/openai-upstream.ts'

let ctx: TestContext
let owner: Awaited<ReturnType<typeof onboard>>
const as = () => ({ cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } })
beforeAll(async () => {
  ctx = await createTestContext()
  owner = await onboard(ctx.app, 'board')
})
afterAll(async () => {
  await ctx.close()
})

describe('boardroom', () => {
  it('runs every agent in turn for each round, then the moderator, streamed and persisted', async () => {
    const started = await call(ctx.app, 'POST', '/api/boardroom/meetings', as(), {
      topic: 'How do we double catering orders?',
      agentIds: ['builtin.ppc-specialist', 'builtin.seo-strategist', 'builtin.copywriter'],
      rounds: 2,
    })
    expect(started.statusCode).toBe(201)
    const id = started.json().id
    const events = parseSse((await call(ctx.app, 'GET', `/api/boardroom/meetings/${id}/stream`, as())).body)
    const speakers = events.filter((e) => e.event === 'turn').map((e) => e.data.speaker)
    expect(speakers).toEqual([
      'builtin.ppc-specialist',
      'builtin.seo-strategist',
      'builtin.copywriter',
      'builtin.ppc-specialist',
      'builtin.seo-strategist',
      'builtin.copywriter',
      'moderator',
    ])
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'completed' } })

    const meeting = (await call(ctx.app, 'GET', `/api/boardroom/meetings/${id}`, as())).json()
    expect(meeting.status).toBe('completed')
    expect(meeting.turns).toHaveLength(7)
    expect(
      meeting.turns.every((t: { status: string; content: string }) => t.status === 'complete' && t.content.length > 0),
    ).toBe(true)
    expect(meeting.summary).toBe(meeting.turns.at(-1).content)
    const list = (await call(ctx.app, 'GET', '/api/boardroom/meetings', as())).json().items
    expect(list[0]).toMatchObject({ id, status: 'completed' })
  })

  it('each speaker is prompted with the transcript so far, and the moderator with all of it', async () => {
    const fake = await startFakeOpenAI({ text: 'Cut the generic keywords by a third.' })
    const up = await createTestContext({ OPENAI_API_KEY: 'sk-board', OPENAI_BASE_URL: fake.url })
    try {
      const o = await onboard(up.app, 'board-up')
      const h = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
      const id = (
        await call(up.app, 'POST', '/api/boardroom/meetings', h, {
          topic: 'Launch plan',
          agentIds: ['builtin.data-analyst', 'builtin.customer-support'],
        })
      ).json().id
      await call(up.app, 'GET', `/api/boardroom/meetings/${id}/stream`, h)
      const prompts = fake.requests
        .filter((r) => r.path.endsWith('/chat/completions'))
        .map((r) => JSON.stringify(r.body))
      expect(prompts).toHaveLength(3)
      expect(prompts[0]).toContain('nobody has spoken yet')
      expect(prompts[1]).toContain('Data Analyst: Cut the generic keywords by a third.')
      expect(prompts[2]).toContain('Customer Support: Cut the generic keywords by a third.')
      expect(prompts[2]).toContain('## Action items')
      const calls = await up.container.db
        .selectFrom('modelCalls')
        .select(['status'])
        .where('surface', '=', 'boardroom')
        .execute()
      expect(calls).toHaveLength(3)
    } finally {
      await up.close()
      await fake.close()
    }
  })

  it('refuses fewer than two agents, duplicates, and an agent of another workspace', async () => {
    expect(
      (
        await call(ctx.app, 'POST', '/api/boardroom/meetings', as(), {
          topic: 'Solo',
          agentIds: ['builtin.copywriter'],
        })
      ).statusCode,
    ).toBe(400)
    expect(
      (
        await call(ctx.app, 'POST', '/api/boardroom/meetings', as(), {
          topic: 'Twice',
          agentIds: ['builtin.copywriter', 'builtin.copywriter'],
        })
      ).statusCode,
    ).toBe(400)
    const other = await onboard(ctx.app, 'board-other')
    const theirs = (
      await call(
        ctx.app,
        'POST',
        '/api/agents',
        { cookie: other.user.cookie, workspaceId: other.workspaceId },
        { name: 'Theirs', instructions: 'x' },
      )
    ).json().id
    expect(
      (
        await call(ctx.app, 'POST', '/api/boardroom/meetings', as(), {
          topic: 'Mixed',
          agentIds: ['builtin.copywriter', theirs],
        })
      ).statusCode,
    ).toBe(404)
  })
})

describe('boardroom cancel', () => {
  it('stops a running meeting and keeps what was said', async () => {
    const slow = await createTestContext({ OFFLINE_MODEL_CHUNK_DELAY_MS: '20' })
    try {
      const o = await onboard(slow.app, 'board-slow')
      const h = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
      const id = (
        await call(slow.app, 'POST', '/api/boardroom/meetings', h, {
          topic: 'Long debate',
          agentIds: ['builtin.ppc-specialist', 'builtin.copywriter'],
          rounds: 3,
        })
      ).json().id
      await new Promise((r) => setTimeout(r, 400))
      expect((await call(slow.app, 'POST', `/api/boardroom/meetings/${id}/cancel`, h)).json()).toEqual({
        cancelled: true,
      })
      const meeting = (await call(slow.app, 'GET', `/api/boardroom/meetings/${id}`, h)).json()
      expect(meeting.status).toBe('cancelled')
      expect(meeting.turns.length).toBeGreaterThan(0)
      expect(meeting.turns.length).toBeLessThan(7)
      expect(meeting.turns.at(-1).status).toBe('cancelled')
    } finally {
      await slow.close()
    }
  })
})
