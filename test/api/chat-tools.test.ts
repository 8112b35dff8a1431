import { describe, expect, it } from 'vitest'
import { startFakeOpenAI } from '../fakes/openai-upstream.ts'
import { addMember, call, createTestContext, onboard } from '../harness.ts'
import { parseSse, textOf } from '../sse.ts'

const withUpstream = async (
  toolCalls: { id: string; name: string; arguments: string }[],
  run: (h: Awaited<ReturnType<typeof setup>>) => Promise<void>,
) => {
  const fake = await startFakeOpenAI({ text: 'Done: the Copywriter will take it from here.', toolCalls })
  const ctx = await createTestContext({ OPENAI_API_KEY: 'sk-tools', OPENAI_BASE_URL: fake.url })
  try {
    await run(await setup(ctx, fake))
  } finally {
    await ctx.close()
    await fake.close()
  }
}
const setup = async (
  ctx: Awaited<ReturnType<typeof createTestContext>>,
  fake: Awaited<ReturnType<typeof startFakeOpenAI>>,
) => {
  const owner = await onboard(ctx.app, 'tools')
  const as = { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } }
  const id = (
    await call(ctx.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.personal-assistant' })
  ).json().id as string
  return { ctx, fake, owner, as, id }
}

describe('tools in chat', () => {
  it('hands off to another agent, visibly, and the conversation moves to that agent', () =>
    withUpstream(
      [
        {
          id: 'call_h',
          name: 'handoff',
          arguments: '{"agentId":"builtin.copywriter","reason":"This is a copy request"}',
        },
      ],
      async ({ ctx, fake, as, id }) => {
        const events = parseSse(
          (
            await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as, {
              content: 'Write our holiday email',
            })
          ).body,
        )
        const types = events.map((e) => e.event)
        expect(types).toEqual(expect.arrayContaining(['tool-call', 'handoff', 'tool-result']))
        expect(events.find((e) => e.event === 'handoff')!.data).toMatchObject({
          from: 'builtin.personal-assistant',
          to: 'builtin.copywriter',
          toName: 'Copywriter',
        })
        const saved = (await call(ctx.app, 'GET', `/api/chat/conversations/${id}/messages`, as)).json().items.at(-1)
        expect(saved.parts.map((p: { type: string }) => p.type)).toEqual(['tool-call', 'handoff', 'tool-result'])
        expect(textOf(events)).toBe('Done: the Copywriter will take it from here.')
        expect((await call(ctx.app, 'GET', `/api/chat/conversations/${id}`, as)).json().agentId).toBe(
          'builtin.copywriter',
        )
        const first = JSON.stringify(fake.requests.find((r) => r.path.endsWith('/chat/completions'))!.body)
        expect(first).toContain('"handoff"')
        expect(first).toContain('search_conversations')
      },
    ))

  it('refuses a hand-off to an agent of another workspace inside the tool, and nothing moves', () =>
    withUpstream(
      [{ id: 'call_x', name: 'handoff', arguments: '{"agentId":"ag_notyoursnotyours01","reason":"steal"}' }],
      async ({ ctx, as, id }) => {
        const events = parseSse(
          (await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as, { content: 'Hand this over' }))
            .body,
        )
        expect(events.find((e) => e.event === 'tool-result')!.data).toMatchObject({
          toolName: 'handoff',
          error: expect.stringMatching(/agent/i),
        })
        expect(events.some((e) => e.event === 'handoff')).toBe(false)
        expect((await call(ctx.app, 'GET', `/api/chat/conversations/${id}`, as)).json().agentId).toBe(
          'builtin.personal-assistant',
        )
      },
    ))

  it('fetch_page goes through the egress guard: a loopback address is refused', async () => {
    const fetchCall = [
      { id: 'call_f', name: 'fetch_page', arguments: JSON.stringify({ url: 'http://127.0.0.1:9/admin' }) },
    ]
    const fake2 = await startFakeOpenAI({ text: 'I could not read that page.', toolCalls: fetchCall })
    const ctx2 = await createTestContext({ OPENAI_API_KEY: 'sk-tools', OPENAI_BASE_URL: fake2.url })
    try {
      const o = await onboard(ctx2.app, 'fetch')
      const h = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
      const conv = (
        await call(ctx2.app, 'POST', '/api/chat/conversations', h, { agentId: 'builtin.seo-strategist' })
      ).json().id
      const events = parseSse(
        (
          await call(ctx2.app, 'POST', `/api/chat/conversations/${conv}/messages`, h, {
            content: 'Read our admin page',
          })
        ).body,
      )
      expect(events.find((e) => e.event === 'tool-result')!.data).toMatchObject({
        toolName: 'fetch_page',
        error: expect.stringMatching(/may not reach/),
      })
    } finally {
      await ctx2.close()
      await fake2.close()
    }
  })

  it('re-checks the scope on every call: a removed member’s tools are refused', async () => {
    const ctx = await createTestContext()
    try {
      const owner = await onboard(ctx.app, 'scope')
      const member = await addMember(ctx.app, owner.user, owner.workspaceId, 'member')
      const scope = {
        userId: member.id,
        workspaceId: owner.workspaceId,
        clientId: owner.clientId,
        role: 'member' as const,
      }
      const toolCtx = { scope, conversationId: 'conv_x', agentId: 'builtin.seo-strategist', emit: () => undefined }
      const tools = ctx.container.tools.registry.forCall(['search_conversations'], toolCtx)
      const exec = (tools.search_conversations as { execute: (input: unknown, o: unknown) => Promise<unknown> }).execute
      await expect(exec({ query: 'anything' }, { toolCallId: 't1', messages: [] })).resolves.toBeDefined()
      await call(ctx.app, 'DELETE', `/api/workspaces/${owner.workspaceId}/members/${member.id}`, {
        cookie: owner.user.cookie,
      })
      await expect(exec({ query: 'anything' }, { toolCallId: 't2', messages: [] })).rejects.toThrow(/not allowed/)
    } finally {
      await ctx.close()
    }
  })
})
