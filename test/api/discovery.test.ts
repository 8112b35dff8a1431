import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, onboard, type TestContext } from '../harness.ts'
import { parseSse, textOf } from '../sse.ts'
import { sanitizeQuery, searchPublic } from '../../src/modules/public/public.module.ts'

let ctx: TestContext
let owner: Awaited<ReturnType<typeof onboard>>
const as = () => ({ cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } })
beforeAll(async () => {
  ctx = await createTestContext({ DEMO_REQUESTS_PER_MINUTE: '3' })
  owner = await onboard(ctx.app, 'discover')
})
afterAll(async () => {
  await ctx.close()
})

const tableCounts = async () => {
  const counts = await Promise.all(
    (['users', 'conversations', 'messages', 'modelCalls', 'auditEvents'] as const).map(async (t) =>
      Number(
        (
          await ctx.container.db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ),
  )
  return counts.join(',')
}

describe('public search', () => {
  it('finds built-in agents and templates, deterministically, without signing in', async () => {
    const res = await call(ctx.app, 'GET', '/api/search?q=copy')
    expect(res.statusCode).toBe(200)
    expect(res.json().items[0]).toMatchObject({ type: 'agent', id: 'builtin.copywriter', title: 'Copywriter' })
    expect((await call(ctx.app, 'GET', '/api/search?q=copy')).body).toBe(res.body)
  })

  it('never returns tenant data, and sanitises and caps the query', async () => {
    await call(
      ctx.app,
      'POST',
      '/api/clients',
      { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
      { name: 'Copyright Castle' },
    )
    expect((await call(ctx.app, 'GET', '/api/search?q=Castle')).json().items).toEqual([])
    expect(sanitizeQuery('  <script>\u0000ads\u200b  budget ')).toBe('script ads budget')
    expect(sanitizeQuery('x'.repeat(500))).toHaveLength(100)
    expect(searchPublic('a')).toEqual([])
    expect((await call(ctx.app, 'GET', `/api/search?q=${'y'.repeat(600)}`)).statusCode).toBe(400)
  })
})

describe('public demo chat', () => {
  it('streams an offline answer, labelled, and writes nothing to the database', async () => {
    const before = await tableCounts()
    const res = await call(
      ctx.app,
      'POST',
      '/api/demo/chat',
      { origin: null, headers: { 'x-forwarded-for': '1.1.1.1' } },
      { agentId: 'builtin.ppc-specialist', message: 'How do I start with Google Ads?' },
    )
    expect(res.statusCode).toBe(200)
    const events = parseSse(res.body)
    expect(textOf(events)).toMatch(/offline/i)
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { offline: true, saved: false } })
    expect(await tableCounts()).toBe(before)
  })

  it('is limited per IP with 429 and Retry-After', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const r = await ctx.app.inject({
        method: 'POST',
        url: '/api/demo/chat',
        remoteAddress: '203.0.113.9',
        payload: { agentId: 'builtin.copywriter', message: 'hi' },
      })
      statuses.push(r.statusCode)
      if (r.statusCode === 429) expect(r.headers['retry-after']).toBeDefined()
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429])
  })

  it('refuses an unknown agent', async () => {
    expect(
      (await call(ctx.app, 'POST', '/api/demo/chat', {}, { agentId: 'ag_custom', message: 'hi' })).statusCode,
    ).toBe(400)
  })
})

describe('in-app search and suggestions', () => {
  it("searches this client's conversations and messages, and nobody else's", async () => {
    const id = (
      await call(ctx.app, 'POST', '/api/chat/conversations', as(), { agentId: 'builtin.seo-strategist' })
    ).json().id
    await call(ctx.app, 'POST', `/api/chat/conversations/${id}/messages`, as(), {
      content: 'Which sourdough keywords matter?',
    })
    const res = await call(ctx.app, 'GET', '/api/app/search?q=sourdough', as())
    expect(res.statusCode).toBe(200)
    const types = res.json().items.map((h: { type: string }) => h.type)
    expect(types).toContain('conversation')
    expect(types).toContain('message')
    const other = await onboard(ctx.app, 'discover-other')
    const theirs = await call(ctx.app, 'GET', '/api/app/search?q=sourdough', {
      cookie: other.user.cookie,
      headers: { 'x-client-id': other.clientId },
    })
    expect(theirs.json().items.filter((h: { type: string }) => h.type !== 'agent')).toEqual([])
    expect(
      (
        await call(ctx.app, 'GET', '/api/app/search?q=sourdough', {
          cookie: other.user.cookie,
          headers: { 'x-client-id': owner.clientId },
        })
      ).statusCode,
    ).toBe(404)
  })

  it("adapts an agent's starter prompts to what the client has", async () => {
    await call(
      ctx.app,
      'PATCH',
      `/api/clients/${owner.clientId}`,
      { cookie: owner.user.cookie },
      { website: 'https://bakery.example' },
    )
    const ppc = (await call(ctx.app, 'GET', '/api/chat/suggestions?agentId=builtin.ppc-specialist', as())).json().items
    expect(ppc[0]).toBe('Review https://bakery.example and list the three quickest wins.')
    const copy = (await call(ctx.app, 'GET', '/api/chat/suggestions?agentId=builtin.copywriter', as())).json().items
    expect(copy.join()).not.toContain('bakery.example')
    expect(copy.length).toBeGreaterThanOrEqual(3)
  })
})
