import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addMember, call, createTestContext, onboard, type TestContext } from '../harness.ts'
import { parseSse, textOf } from '../sse.ts'

let ctx: TestContext
let owner: Awaited<ReturnType<typeof onboard>>
beforeAll(async () => {
  ctx = await createTestContext()
  owner = await onboard(ctx.app, 'chat')
})
afterAll(async () => {
  await ctx.close()
})

const as = () => ({ cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } })
const start = async (agentId = 'builtin.ppc-specialist') => {
  const res = await call(ctx.app, 'POST', '/api/chat/conversations', as(), { agentId })
  expect(res.statusCode).toBe(201)
  return res.json().id as string
}
const ask = (id: string, content: string) =>
  call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as(), { content })

describe('agents', () => {
  it('lists the six built-in agents with roles and starter prompts', async () => {
    const res = await call(ctx.app, 'GET', '/api/agents', as())
    expect(res.statusCode).toBe(200)
    const names = res.json().items.map((a: { name: string }) => a.name)
    expect(names).toEqual(
      expect.arrayContaining([
        'Personal Assistant',
        'PPC Specialist',
        'SEO & Content Strategist',
        'Copywriter',
        'Data Analyst',
        'Customer Support',
      ]),
    )
    expect(
      res
        .json()
        .items.every(
          (a: { starterPrompts: string[]; kind: string }) => a.kind !== 'builtin' || a.starterPrompts.length >= 2,
        ),
    ).toBe(true)
  })

  it('creates a workspace agent, edits and archives it; built-ins are read-only', async () => {
    const created = await call(
      ctx.app,
      'POST',
      '/api/agents',
      { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
      { name: 'Bakery Voice', instructions: 'Write like a friendly Italian baker.' },
    )
    expect(created.statusCode).toBe(201)
    const id = created.json().id
    const patched = await call(
      ctx.app,
      'PATCH',
      `/api/agents/${id}`,
      { cookie: owner.user.cookie },
      { name: 'Bakery Voice 2' },
    )
    expect(patched.json().name).toBe('Bakery Voice 2')
    expect(
      (await call(ctx.app, 'PATCH', '/api/agents/builtin.copywriter', { cookie: owner.user.cookie }, { name: 'x' }))
        .statusCode,
    ).toBe(409)
    await call(ctx.app, 'PATCH', `/api/agents/${id}`, { cookie: owner.user.cookie }, { archived: true })
    const list = await call(ctx.app, 'GET', '/api/agents', {
      cookie: owner.user.cookie,
      workspaceId: owner.workspaceId,
    })
    expect(list.json().items.map((a: { id: string }) => a.id)).not.toContain(id)
  })
})

describe('conversations and streaming on the offline model', () => {
  it('streams an answer as SSE, labelled offline, and saves both messages', async () => {
    const id = await start()
    const res = await ask(id, 'How should we structure our search campaigns?')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/event-stream')
    const events = parseSse(res.body)
    expect(events[0]).toMatchObject({ event: 'run', data: { offline: true, modelId: 'offline:camarad-offline' } })
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } })
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1))
    const text = textOf(events)
    expect(text).toMatch(/offline/i)
    const usage = events.find((e) => e.event === 'usage')!.data.usage as { inputTokens: number; outputTokens: number }
    expect(usage.inputTokens).toBeGreaterThan(0)
    expect(usage.outputTokens).toBeGreaterThan(0)

    const history = (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, as())).json().items
    expect(history.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ])
    expect(history[1]).toMatchObject({ content: text, offline: true, agentId: 'builtin.ppc-specialist' })
    const conv = (await call(ctx.app, 'GET', `/api/chat/conversations/${id}`, as())).json()
    expect(conv).toMatchObject({ title: 'How should we structure our search campaigns?', running: false })
  })

  it('resumes from Last-Event-ID with exactly the events that were missed', async () => {
    const id = await start()
    const all = parseSse((await ask(id, 'Give me three ad angles.')).body)
    const resumed = await call(ctx.app, 'GET', `/api/chat/conversations/${id}/stream`, {
      ...as(),
      headers: { ...as().headers, 'last-event-id': '2' },
    })
    expect(resumed.statusCode).toBe(200)
    expect(parseSse(resumed.body)).toEqual(all.filter((e) => Number(e.id) > 2))
  })

  it('keeps multi-turn history in order', async () => {
    const id = await start('builtin.copywriter')
    await ask(id, 'First question')
    await ask(id, 'Second question')
    const items = (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, as())).json().items
    expect(items.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant'])
    expect(items[2].content).toBe('Second question')
  })

  it('renames, pins, archives, lists and searches conversations', async () => {
    const id = await start()
    await call(ctx.app, 'PATCH', `/api/chat/conversations/${id}`, as(), { title: 'Budget review', pinned: true })
    const found = (await call(ctx.app, 'GET', '/api/chat/conversations?q=budget', as())).json().items
    expect(found.map((c: { id: string }) => c.id)).toEqual([id])
    await call(ctx.app, 'PATCH', `/api/chat/conversations/${id}`, as(), { archived: true })
    expect((await call(ctx.app, 'GET', '/api/chat/conversations?q=budget', as())).json().items).toEqual([])
    expect((await ask(id, 'more?')).statusCode).toBe(409)
  })

  it('pages conversations newest first by last message, each once, and refuses a cursor it did not issue', async () => {
    const other = await onboard(ctx.app, 'chat-pages')
    const mine = { cookie: other.user.cookie, headers: { 'x-client-id': other.clientId } }
    const ids: string[] = []
    for (let i = 0; i < 5; i++)
      ids.push(
        (await call(ctx.app, 'POST', '/api/chat/conversations', mine, { agentId: 'builtin.copywriter' })).json().id,
      )
    const seen: string[] = []
    let cursor: string | null = null
    for (let pages = 0; pages < 5; pages++) {
      const res = await call(
        ctx.app,
        'GET',
        `/api/chat/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        mine,
      )
      expect(res.statusCode).toBe(200)
      seen.push(...res.json().items.map((c: { id: string }) => c.id))
      cursor = res.json().nextCursor
      if (!cursor) break
    }
    expect(seen).toEqual([...ids].reverse())
    const bad = await call(ctx.app, 'GET', '/api/chat/conversations?cursor=not-a-cursor', mine)
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('request.invalid_cursor')
  })

  it('refuses a conversation with an agent of another workspace (404) and an unknown model (400)', async () => {
    const other = await onboard(ctx.app, 'chat-other')
    const foreignAgent = (
      await call(
        ctx.app,
        'POST',
        '/api/agents',
        { cookie: other.user.cookie, workspaceId: other.workspaceId },
        { name: 'Theirs', instructions: 'x' },
      )
    ).json().id
    expect((await call(ctx.app, 'POST', '/api/chat/conversations', as(), { agentId: foreignAgent })).statusCode).toBe(
      404,
    )
    const id = await start()
    const res = await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as(), {
      content: 'hi',
      modelId: 'openai:gpt-4o',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('model.unknown')
  })

  it("needs X-Client-ID to start or list, and another client's conversation is 404", async () => {
    expect(
      (await call(ctx.app, 'GET', '/api/chat/conversations', { cookie: owner.user.cookie })).json().error.code,
    ).toBe('tenancy.client_required')
    const id = await start()
    const other = await onboard(ctx.app, 'chat-stranger')
    expect(
      (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, { cookie: other.user.cookie })).statusCode,
    ).toBe(404)
    const secondClient = (
      await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
        { name: 'Second' },
      )
    ).json().id
    expect(
      (
        await call(ctx.app, 'GET', `/api/chat/conversations/${id}`, {
          cookie: owner.user.cookie,
          headers: { 'x-client-id': secondClient },
        })
      ).statusCode,
    ).toBe(404)
  })

  it('a viewer reads conversations but cannot ask', async () => {
    const viewer = await addMember(ctx.app, owner.user, owner.workspaceId, 'viewer')
    const id = await start()
    expect(
      (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, { cookie: viewer.cookie })).statusCode,
    ).toBe(200)
    expect(
      (
        await call(
          ctx.app,
          'POST',
          `/api/chat/conversations/${id}/messages`,
          { cookie: viewer.cookie },
          { content: 'hi' },
        )
      ).statusCode,
    ).toBe(403)
  })
})

describe('built-in agents adjusted for one client', () => {
  it('adds client instructions to the prompt of that client only', async () => {
    const res = await call(ctx.app, 'PATCH', '/api/agents/builtin.copywriter', as(), {
      instructions: 'Always write in Italian.',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      id: 'builtin.copywriter',
      customized: true,
      clientInstructions: 'Always write in Italian.',
    })
    const listed = (await call(ctx.app, 'GET', '/api/agents', as()))
      .json()
      .items.find((a: { id: string }) => a.id === 'builtin.copywriter')
    expect(listed.customized).toBe(true)
    const otherClient = (
      await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
        { name: 'Plain client' },
      )
    ).json().id
    const plain = (
      await call(ctx.app, 'GET', '/api/agents', { cookie: owner.user.cookie, headers: { 'x-client-id': otherClient } })
    )
      .json()
      .items.find((a: { id: string }) => a.id === 'builtin.copywriter')
    expect(plain.customized).toBe(false)
  })

  it('refuses to change a built-in without a client, and refuses custom-agent fields on a built-in', async () => {
    expect(
      (
        await call(
          ctx.app,
          'PATCH',
          '/api/agents/builtin.copywriter',
          { cookie: owner.user.cookie },
          { instructions: 'x' },
        )
      ).statusCode,
    ).toBe(409)
    const wrong = await call(ctx.app, 'PATCH', '/api/agents/builtin.copywriter', as(), { name: 'Renamed' })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().error.code).toBe('request.invalid')
  })
})
