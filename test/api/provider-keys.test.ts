import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { startFakeOpenAI } from '../fakes/openai-upstream.ts'
import { addMember, call, createTestContext, onboard, type TestContext } from '../harness.ts'
import { parseSse, textOf } from '../sse.ts'

let ctx: TestContext
let fake: Awaited<ReturnType<typeof startFakeOpenAI>>
beforeAll(async () => {
  fake = await startFakeOpenAI({ text: 'Answered with your own key.', apiKey: 'sk-workspace-own-key-1234' })
  // The fake upstream listens on loopback, which a workspace may use only where the operator opened it.
  ctx = await createTestContext({ EGRESS_ALLOW_PRIVATE: '127.0.0.1/32' })
})
afterAll(async () => {
  await ctx.close()
  await fake.close()
})

describe('workspace provider keys (bring your own key)', () => {
  it('stores the key sealed, shows only a hint, and never returns it', async () => {
    const a = await onboard(ctx.app, 'byok')
    const put = await call(
      ctx.app,
      'PUT',
      `/api/workspaces/${a.workspaceId}/provider-keys/openai`,
      { cookie: a.user.cookie },
      { apiKey: 'sk-workspace-own-key-1234', baseUrl: fake.url },
    )
    expect(put.statusCode).toBe(200)
    expect(put.json()).toMatchObject({ provider: 'openai', keyHint: '1234', baseUrl: fake.url })
    const list = await call(ctx.app, 'GET', `/api/workspaces/${a.workspaceId}/provider-keys`, { cookie: a.user.cookie })
    expect(list.body).not.toContain('sk-workspace-own-key')
    const dump = (
      await sql<{ t: string }>`select string_agg(x::text, '|') as t from provider_keys x`.execute(ctx.container.db)
    ).rows[0]!.t
    expect(dump).not.toContain('sk-workspace-own-key')
  })

  it("answers the workspace's chats and /api/models with its own key, and no other workspace's", async () => {
    const a = await onboard(ctx.app, 'byok-chat')
    await call(
      ctx.app,
      'PUT',
      `/api/workspaces/${a.workspaceId}/provider-keys/openai`,
      { cookie: a.user.cookie },
      { apiKey: 'sk-workspace-own-key-1234', baseUrl: fake.url },
    )
    const models = await call(ctx.app, 'GET', '/api/models', { cookie: a.user.cookie, workspaceId: a.workspaceId })
    expect(models.json().items.map((m: { id: string }) => m.id)).toContain('openai:gpt-4o-mini')
    const as = { cookie: a.user.cookie, headers: { 'x-client-id': a.clientId } }
    const id = (await call(ctx.app, 'POST', '/api/chat/conversations', as, { agentId: 'builtin.copywriter' })).json().id
    const events = parseSse(
      (await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as, { content: 'Headline?' })).body,
    )
    expect(events[0]!.data).toMatchObject({ modelId: 'openai:gpt-4o-mini', offline: false })
    expect(textOf(events)).toBe('Answered with your own key.')
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-workspace-own-key-1234')

    const b = await onboard(ctx.app, 'byok-other')
    const theirs = await call(ctx.app, 'GET', '/api/models', { cookie: b.user.cookie, workspaceId: b.workspaceId })
    expect(theirs.json().items.map((m: { id: string }) => m.id)).toEqual(['offline:camarad-offline'])
  })

  it('is managed by admins only; removing the key falls back to the offline model', async () => {
    const a = await onboard(ctx.app, 'byok-admin')
    const member = await addMember(ctx.app, a.user, a.workspaceId, 'member')
    const url = `/api/workspaces/${a.workspaceId}/provider-keys/anthropic`
    expect((await call(ctx.app, 'PUT', url, { cookie: member.cookie }, { apiKey: 'sk-ant-aaaaaaaa' })).statusCode).toBe(
      403,
    )
    expect((await call(ctx.app, 'PUT', url, { cookie: a.user.cookie }, { apiKey: 'sk-ant-aaaaaaaa' })).statusCode).toBe(
      200,
    )
    expect(
      (await call(ctx.app, 'GET', '/api/models', { cookie: a.user.cookie, workspaceId: a.workspaceId }))
        .json()
        .items.some((m: { provider: string }) => m.provider === 'anthropic'),
    ).toBe(true)
    expect((await call(ctx.app, 'DELETE', url, { cookie: a.user.cookie })).statusCode).toBe(204)
    expect(
      (await call(ctx.app, 'GET', '/api/models', { cookie: a.user.cookie, workspaceId: a.workspaceId }))
        .json()
        .items.map((m: { id: string }) => m.id),
    ).toEqual(['offline:camarad-offline'])
    expect((await call(ctx.app, 'DELETE', url, { cookie: a.user.cookie })).statusCode).toBe(404)
  })

  it('needs a base URL and models for an OpenAI-compatible server', async () => {
    const a = await onboard(ctx.app, 'byok-compat')
    const res = await call(
      ctx.app,
      'PUT',
      `/api/workspaces/${a.workspaceId}/provider-keys/openai-compatible`,
      { cookie: a.user.cookie },
      { apiKey: 'local-key-123' },
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('models.base_url_required')
  })
})
