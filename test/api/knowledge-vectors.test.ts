import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { minimalPdf } from '../fixtures/knowledge-documents.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

/**
 * Vector search (ADR 0008 §6) against a loopback OpenAI whose `/v1/embeddings` gives deterministic vectors: words of
 * one synonym group embed alike, so "banquet fee attendee" is near "Catering … 45 lei per guest" without a word in
 * common. PGlite always has pgvector (embedded); PostgreSQL here has none, and runs the full-text fallback.
 */
const PRICE_LIST = minimalPdf([
  'Cafeneaua Verde price list 2026',
  'Espresso 12 lei. Flat white 17 lei. Catering for events from 45 lei per guest.',
])
const MEANING_ONLY = 'banquet fee attendee'

let ctx: TestContext
let fake: FakeOpenAI
let owner: Awaited<ReturnType<typeof onboard>>
let as: Caller
let vectors: boolean
let priceListId: string

const ingest = (documentId: string) =>
  ctx.container.jobs.find((j) => j.name === 'knowledge.ingest')!.handler({ documentId })

const addFile = async (caller: Caller, name: string, bytes: Buffer) => {
  const res = await call(ctx.app, 'POST', '/api/knowledge', caller, { name, contentBase64: bytes.toString('base64') })
  expect(res.statusCode, res.body).toBe(202)
  await ingest(res.json().id)
  return res.json().id as string
}

const search = (q: string, caller: Caller = as) =>
  call(ctx.app, 'GET', `/api/knowledge/search?q=${encodeURIComponent(q)}`, caller)

/** The knowledge surface's usage records and holds of one workspace. */
const meteredCalls = async (workspaceId: string, prefix: string) => ({
  calls: await ctx.container.db
    .selectFrom('modelCalls')
    .select(['requestId', 'modelId', 'status', 'charged', 'inputTokens'])
    .where('workspaceId', '=', workspaceId)
    .where('surface', '=', 'knowledge')
    .where('requestId', 'like', `${prefix}%`)
    .execute(),
  holds: await ctx.container.db
    .selectFrom('creditHolds')
    .select(['requestId', 'status', 'charged'])
    .where('workspaceId', '=', workspaceId)
    .where('requestId', 'like', `${prefix}%`)
    .execute(),
})

beforeAll(async () => {
  fake = await startFakeOpenAI()
  ctx = await createTestContext({ OPENAI_API_KEY: 'sk-vectors', OPENAI_BASE_URL: fake.url })
  owner = await onboard(ctx.app, 'kv')
  as = { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } }
  vectors = ctx.container.knowledge.knowledge.vectorSupport().available
  priceListId = await addFile(as, 'price-list.pdf', PRICE_LIST)
})
afterAll(async () => {
  await ctx?.close()
  await fake?.close()
})

describe('knowledge vector search', () => {
  it('has pgvector on PGlite (embedded), and says why not where it is missing', () => {
    const support = ctx.container.knowledge.knowledge.vectorSupport()
    if (ctx.container.database.kind === 'pglite') expect(support).toMatchObject({ available: true })
    else if (!support.available) expect(support.reason).toMatch(/pgvector|vector/)
  })

  it('embeds the passages in the ingest job, metered on the knowledge surface (or not at all without pgvector)', async () => {
    const passages = await ctx.container.db
      .selectFrom('knowledgeChunks')
      .select('seq')
      .where('documentId', '=', priceListId)
      .execute()
    const stored = await ctx.container.db
      .selectFrom('knowledgeEmbeddings')
      .select(['seq', 'model', 'dims', 'clientId'])
      .where('documentId', '=', priceListId)
      .orderBy('seq')
      .execute()
    const { calls, holds } = await meteredCalls(owner.workspaceId, 'knowledge-embed:')
    if (!vectors) {
      expect(stored).toEqual([])
      expect(fake.embeddings()).toEqual([])
      expect(calls).toEqual([])
      return
    }
    expect(stored).toHaveLength(passages.length)
    expect(stored[0]).toMatchObject({ model: 'openai:text-embedding-3-small', dims: 1536, clientId: owner.clientId })
    expect(fake.embeddings()).toHaveLength(1)
    expect(fake.embeddings()[0]!.body).toMatchObject({ model: 'text-embedding-3-small' })
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ modelId: 'openai:text-embedding-3-small', status: 'complete' })
    expect(calls[0]!.inputTokens).toBeGreaterThan(0)
    expect(calls[0]!.charged).toBeGreaterThanOrEqual(1n)
    expect(holds).toEqual([expect.objectContaining({ status: 'settled', charged: calls[0]!.charged })])
  })

  it('finds a passage by meaning with no word in common (hybrid), or nothing with full-text alone', async () => {
    const res = await search(MEANING_ONLY)
    expect(res.statusCode, res.body).toBe(200)
    if (!vectors) {
      expect(res.json()).toEqual({ items: [], mode: 'full_text' })
      return
    }
    expect(res.json().mode).toBe('hybrid')
    expect(res.json().items[0]).toMatchObject({
      documentId: priceListId,
      documentName: 'price-list.pdf',
      page: 2,
      text: expect.stringContaining('45 lei per guest'),
    })
    for (const word of MEANING_ONLY.split(' ')) expect(res.json().items[0].text.toLowerCase()).not.toContain(word)
    // The query's embedding is a metered call of the searching user.
    const { calls } = await meteredCalls(owner.workspaceId, 'knowledge-search:')
    expect(calls.length).toBeGreaterThanOrEqual(1)
    // An unrelated question finds nothing: vectors below the similarity floor are not passages.
    expect((await search('opening hours Sunday')).json().items).toEqual([])
    // Words still rank by full-text within hybrid.
    expect((await search('espresso')).json().items[0]).toMatchObject({ documentId: priceListId, page: 2 })
  })

  it('re-ingesting (a retried job) neither embeds nor charges twice', async () => {
    const stored = () =>
      ctx.container.db.selectFrom('knowledgeEmbeddings').select('seq').where('documentId', '=', priceListId).execute()
    const before = { metered: await meteredCalls(owner.workspaceId, 'knowledge-embed:'), rows: await stored() }
    const requests = fake.embeddings().length
    await ingest(priceListId)
    await ingest(priceListId)
    expect(fake.embeddings()).toHaveLength(requests)
    expect(await meteredCalls(owner.workspaceId, 'knowledge-embed:')).toEqual(before.metered)
    expect(await stored()).toEqual(before.rows)
  })

  it('embeds on a retry what an earlier attempt left out, and only that', async () => {
    if (!vectors) return
    const all = await ctx.container.db
      .selectFrom('knowledgeEmbeddings')
      .select('seq')
      .where('documentId', '=', priceListId)
      .execute()
    // As if the process died after the passages were stored and before their vectors were.
    await ctx.container.db.deleteFrom('knowledgeEmbeddings').where('documentId', '=', priceListId).execute()
    const before = fake.embeddings().length
    await ingest(priceListId)
    expect(fake.embeddings()).toHaveLength(before + 1)
    const again = await ctx.container.db
      .selectFrom('knowledgeEmbeddings')
      .select('seq')
      .where('documentId', '=', priceListId)
      .execute()
    expect(again).toHaveLength(all.length)
    // Its batch's hold was settled before: the retry replays it and is not charged a second time.
    const { holds } = await meteredCalls(owner.workspaceId, 'knowledge-embed:')
    expect(holds).toHaveLength(1)
  })

  it("never returns another client's passages, however near their meaning", async () => {
    const second = (
      await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
        { name: 'Other client' },
      )
    ).json().id as string
    const other = { cookie: owner.user.cookie, headers: { 'x-client-id': second } }
    const own = await addFile(other, 'reception.md', Buffer.from('Reception fee: 20 lei per attendee.'))
    const res = await search(MEANING_ONLY, other)
    expect(res.statusCode).toBe(200)
    const ids = res.json().items.map((p: { documentId: string }) => p.documentId)
    expect(ids).not.toContain(priceListId)
    if (vectors) {
      expect(res.json().mode).toBe('hybrid')
      // Its own passage is near in meaning too: found, within its own client only.
      expect(ids).toEqual([own])
    }
    const stranger = await onboard(ctx.app, 'kv-stranger')
    const foreign = await call(
      ctx.app,
      'GET',
      `/api/knowledge/search?q=${encodeURIComponent(MEANING_ONLY)}&clientId=${owner.clientId}`,
      { cookie: stranger.user.cookie },
    )
    expect(foreign.statusCode).toBe(404)
  })

  it('answers full-text, never an error, when the workspace has no embeddings model', async () => {
    const offline = await createTestContext()
    try {
      const o = await onboard(offline.app, 'kv-offline')
      const h = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
      const up = await call(offline.app, 'POST', '/api/knowledge', h, {
        name: 'price-list.pdf',
        contentBase64: PRICE_LIST.toString('base64'),
      })
      await offline.container.jobs.find((j) => j.name === 'knowledge.ingest')!.handler({ documentId: up.json().id })
      const found = await call(offline.app, 'GET', `/api/knowledge/search?q=catering`, h)
      expect(found.json().mode).toBe('full_text')
      expect(found.json().items[0].page).toBe(2)
      expect((await call(offline.app, 'GET', `/api/knowledge/search?q=${MEANING_ONLY}`, h)).json().items).toEqual([])
      const rows = await offline.container.db.selectFrom('knowledgeEmbeddings').select('seq').execute()
      expect(rows).toEqual([])
    } finally {
      await offline.close()
    }
  })
})
