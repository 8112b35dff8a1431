import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KNOWLEDGE_MAX_BYTES } from '../../contracts/knowledge.ts'
import { startFakeOpenAI } from '../fakes/openai-upstream.ts'
import { edge, node } from '../flow-graph.ts'
import { brandGuideDocx, minimalPdf } from '../fixtures/knowledge-documents.ts'
import { addMember, call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'
import { parseSse } from '../sse.ts'
import { createKnowledgeService } from '../../src/modules/knowledge/knowledge.service.ts'

const PRICE_LIST = minimalPdf([
  'Cafeneaua Verde price list 2026',
  'Espresso 12 lei. Flat white 17 lei. Catering for events from 45 lei per guest.',
])
const MARKDOWN = [
  '# Delivery policy',
  '',
  'We deliver within Cluj-Napoca only, between 8:00 and 18:00.',
  '',
  'Orders above 150 lei ship free; below that the courier costs 15 lei.',
].join('\n')

let ctx: TestContext
let owner: Awaited<ReturnType<typeof onboard>>
let as: Caller
let member: Caller
let viewer: Caller

const ingest = (documentId: string) =>
  ctx.container.jobs.find((j) => j.name === 'knowledge.ingest')!.handler({ documentId })

const upload = async (body: unknown, caller: Caller = as) => call(ctx.app, 'POST', '/api/knowledge', caller, body)

/** Uploads a file as JSON base64 and runs the ingest job: the document as the API shows it afterwards. */
const addFile = async (name: string, bytes: Buffer, caller: Caller = as) => {
  const res = await upload({ name, contentBase64: bytes.toString('base64') }, caller)
  expect(res.statusCode, res.body).toBe(202)
  await ingest(res.json().id)
  return (await call(ctx.app, 'GET', `/api/knowledge/${res.json().id}`, caller)).json()
}

const search = (q: string, caller: Caller = as) =>
  call(ctx.app, 'GET', `/api/knowledge/search?q=${encodeURIComponent(q)}`, caller)

beforeAll(async () => {
  ctx = await createTestContext()
  owner = await onboard(ctx.app, 'kb')
  as = { cookie: owner.user.cookie, headers: { 'x-client-id': owner.clientId } }
  const m = await addMember(ctx.app, owner.user, owner.workspaceId, 'member')
  member = { cookie: m.cookie, headers: { 'x-client-id': owner.clientId } }
  const v = await addMember(ctx.app, owner.user, owner.workspaceId, 'viewer')
  viewer = { cookie: v.cookie, headers: { 'x-client-id': owner.clientId } }
})
afterAll(async () => {
  await ctx?.close()
})

describe('knowledge documents', () => {
  it('reads a PDF into passages that keep their page, and search finds the passage', async () => {
    const res = await upload({ name: 'price-list.pdf', contentBase64: PRICE_LIST.toString('base64') })
    expect(res.statusCode, res.body).toBe(202)
    expect(res.json()).toMatchObject({ kind: 'pdf', status: 'pending', bytes: PRICE_LIST.length, passages: 0 })
    await ingest(res.json().id)
    const doc = (await call(ctx.app, 'GET', `/api/knowledge/${res.json().id}`, as)).json()
    expect(doc).toMatchObject({ status: 'ready', pages: 2, error: null })
    expect(doc.passages).toBeGreaterThanOrEqual(1)

    const found = await search('catering guest')
    expect(found.statusCode, found.body).toBe(200)
    expect(found.json().mode).toBe('full_text')
    expect(found.json().items[0]).toMatchObject({
      documentId: doc.id,
      documentName: 'price-list.pdf',
      kind: 'pdf',
      page: 2,
      text: expect.stringContaining('45 lei per guest'),
    })
  })

  it('reads a Word document sent as the raw body, and finds Romanian words', async () => {
    const docx = brandGuideDocx()
    const res = await ctx.app.inject({
      method: 'POST',
      url: `/api/knowledge?name=${encodeURIComponent('Brand guide.docx')}`,
      headers: {
        cookie: owner.user.cookie,
        'x-client-id': owner.clientId,
        origin: 'http://camarad.test',
        'content-type': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      },
      payload: docx,
    })
    expect(res.statusCode, res.body).toBe(202)
    expect(res.json()).toMatchObject({ kind: 'docx', name: 'Brand guide.docx' })
    await ingest(res.json().id)
    const item = (await search('verde măsliniu')).json().items[0]
    expect(item).toMatchObject({ documentName: 'Brand guide.docx', page: null })
    expect(item.text).toContain('Culoarea principală')
    expect((await search('"tenth coffee"')).json().items[0].text).toContain('loyalty cards')
  })

  it('keeps Markdown as written and ranks the best passage first', async () => {
    const doc = await addFile('delivery.md', Buffer.from(MARKDOWN))
    expect(doc).toMatchObject({ kind: 'markdown', status: 'ready', pages: null })
    const items = (await search('courier free ship')).json().items
    expect(items[0]).toMatchObject({ documentId: doc.id, passage: 1, start: 0 })
    expect(items[0].end).toBe(MARKDOWN.length)
  })

  it('reads the type from the bytes, not the name', async () => {
    const text = await addFile('notes.pdf', Buffer.from('Opening hours: 7 to 19, Sundays closed.'))
    expect(text.kind).toBe('text')
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex')
    const res = await upload({ name: 'logo.pdf', contentBase64: png.toString('base64') })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('knowledge.unsupported_type')
    const zip = await upload({ name: 'archive.docx', contentBase64: Buffer.from('PK\x03\x04other').toString('base64') })
    expect(zip.json().error.code).toBe('knowledge.unsupported_type')
  })

  it('marks a malformed PDF failed with a reason (never a 500, the server keeps answering)', async () => {
    const broken = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << >>\n%%EOF')
    const doc = await addFile('broken.pdf', broken)
    expect(doc.status).toBe('failed')
    expect(doc.error).toMatch(/could not be read|No text was found/)
    expect((await call(ctx.app, 'GET', '/healthz')).statusCode).toBe(200)
  })

  it('retries an unexpected failure, and its last attempt fails the document instead of leaving it pending', async () => {
    const service = createKnowledgeService({
      db: ctx.container.db,
      queue: ctx.container.queue,
      audit: ctx.container.audit,
      egress: { request: () => Promise.reject(new Error('unused')) },
      extract: () => Promise.reject(new Error('connection terminated unexpectedly')),
    })
    const scope = {
      userId: owner.user.id,
      workspaceId: owner.workspaceId,
      clientId: owner.clientId,
      role: 'owner' as const,
    }
    const doc = await service.add(scope, { file: { name: 'flaky.txt', bytes: Buffer.from('Flaky') } }, undefined, {
      ip: '127.0.0.1',
      userAgent: null,
      requestId: 'r1',
    })
    for (let attempt = 1; attempt <= 3; attempt++)
      await expect(service.ingest(doc.id)).rejects.toThrow(/connection terminated/)
    expect((await service.get(scope, doc.id)).status).toBe('pending')
    await service.ingest(doc.id)
    expect(await service.get(scope, doc.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/could not be stored/),
    })
  })

  it('refuses files over the limit with 413 and a code, and bad base64 with 400', async () => {
    const over = Buffer.alloc(KNOWLEDGE_MAX_BYTES + 1, 0x61)
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/knowledge?name=big.txt',
      headers: {
        cookie: owner.user.cookie,
        'x-client-id': owner.clientId,
        origin: 'http://camarad.test',
        'content-type': 'text/plain',
      },
      payload: over,
    })
    expect(res.statusCode).toBe(413)
    expect(res.json().error).toMatchObject({ code: 'knowledge.file_too_large', details: { bytes: over.length } })
    const huge = await ctx.app.inject({
      method: 'POST',
      url: '/api/knowledge?name=huge.txt',
      headers: {
        cookie: owner.user.cookie,
        'x-client-id': owner.clientId,
        origin: 'http://camarad.test',
        'content-type': 'application/octet-stream',
      },
      payload: Buffer.alloc(KNOWLEDGE_MAX_BYTES * 2, 0x61),
    })
    expect(huge.statusCode).toBe(413)
    expect(huge.json().error.code).toBe('request.body_too_large')
    const bad = await upload({ name: 'x.txt', contentBase64: 'not base64!' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('knowledge.invalid_base64')
    const unnamed = await ctx.app.inject({
      method: 'POST',
      url: '/api/knowledge',
      headers: {
        cookie: owner.user.cookie,
        'x-client-id': owner.clientId,
        origin: 'http://camarad.test',
        'content-type': 'application/octet-stream',
      },
      payload: Buffer.from('hello'),
    })
    expect(unnamed.json().error.code).toBe('knowledge.name_required')
  })

  it('answers the first document to an upload retried with the same Idempotency-Key, and 409 for another file', async () => {
    const keyed = { ...as, headers: { ...as.headers, 'idempotency-key': 'upload-1' } }
    const body = { name: 'hours.txt', contentBase64: Buffer.from('Open 7 to 19.').toString('base64') }
    const first = await upload(body, keyed)
    const again = await upload(body, keyed)
    expect(first.statusCode, first.body).toBe(202)
    expect(again.statusCode).toBe(202)
    expect(again.json().id).toBe(first.json().id)
    const other = await upload({ ...body, contentBase64: Buffer.from('Open 8 to 20.').toString('base64') }, keyed)
    expect(other.statusCode).toBe(409)
    expect(other.json().error.code).toBe('knowledge.idempotency_key_reused')
    const rows = await ctx.container.db
      .selectFrom('knowledgeDocuments')
      .select('id')
      .where('idempotencyKey', '=', 'upload-1')
      .execute()
    expect(rows).toHaveLength(1)
  })

  it('lets members and viewers read and search, and only admins add or delete', async () => {
    const denied = await upload({ name: 'm.txt', contentBase64: Buffer.from('member text').toString('base64') }, member)
    expect(denied.statusCode).toBe(403)
    const list = await call(ctx.app, 'GET', '/api/knowledge?limit=2', viewer)
    expect(list.statusCode).toBe(200)
    expect(list.json().items).toHaveLength(2)
    expect(list.json().nextCursor).toBeTypeOf('string')
    const next = await call(ctx.app, 'GET', `/api/knowledge?limit=2&cursor=${list.json().nextCursor}`, viewer)
    expect(next.json().items[0].id).not.toBe(list.json().items[1].id)
    expect((await search('espresso', viewer)).json().items.length).toBeGreaterThan(0)
    const id = list.json().items[0].id
    expect((await call(ctx.app, 'DELETE', `/api/knowledge/${id}`, member)).statusCode).toBe(403)
  })

  it('deletes a document with its passages, audited', async () => {
    const doc = await addFile('temporary.txt', Buffer.from('The zebra pastry is seasonal.'))
    expect((await search('zebra')).json().items).toHaveLength(1)
    const res = await call(ctx.app, 'DELETE', `/api/knowledge/${doc.id}`, as)
    expect(res.statusCode).toBe(204)
    expect((await search('zebra')).json().items).toHaveLength(0)
    expect((await call(ctx.app, 'GET', `/api/knowledge/${doc.id}`, as)).statusCode).toBe(404)
    const left = await ctx.container.db
      .selectFrom('knowledgeChunks')
      .select('seq')
      .where('documentId', '=', doc.id)
      .execute()
    expect(left).toEqual([])
    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['action', 'targetId'])
      .where('targetId', '=', doc.id)
      .orderBy('createdAt')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['knowledge.document_added', 'knowledge.document_deleted'])
  })

  it("never shows one client's documents to another client or workspace", async () => {
    const doc = await addFile('secret.md', Buffer.from('The wholesale margin is 38 percent.'))
    const second = (
      await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
        { name: 'Other client' },
      )
    ).json().id as string
    const asSecond = { cookie: owner.user.cookie, headers: { 'x-client-id': second } }
    expect((await call(ctx.app, 'GET', `/api/knowledge/${doc.id}`, asSecond)).statusCode).toBe(404)
    expect((await call(ctx.app, 'DELETE', `/api/knowledge/${doc.id}`, asSecond)).statusCode).toBe(404)
    expect((await search('wholesale margin', asSecond)).json().items).toEqual([])
    const stranger = await onboard(ctx.app, 'kb-stranger')
    const s = { cookie: stranger.user.cookie }
    expect((await call(ctx.app, 'GET', `/api/knowledge/${doc.id}`, s)).statusCode).toBe(404)
    const foreign = await call(ctx.app, 'GET', `/api/knowledge/search?q=margin&clientId=${owner.clientId}`, s)
    expect(foreign.statusCode).toBe(404)
    const write = await call(ctx.app, 'POST', `/api/knowledge?clientId=${owner.clientId}`, s, {
      name: 'x.txt',
      contentBase64: Buffer.from('planted').toString('base64'),
    })
    expect(write.statusCode).toBe(404)
    // The query's client and the header's must agree.
    const mixed = await call(ctx.app, 'GET', `/api/knowledge?clientId=${owner.clientId}`, asSecond)
    expect(mixed.statusCode).toBe(404)
    expect(
      (await call(ctx.app, 'GET', `/api/knowledge?clientId=${owner.clientId}`, { cookie: owner.user.cookie }))
        .statusCode,
    ).toBe(200)
  })

  it('refuses a web page on a private address after the row commits: the document is failed with the reason', async () => {
    const res = await upload({ url: 'http://127.0.0.1:9/internal' })
    expect(res.statusCode, res.body).toBe(202)
    expect(res.json()).toMatchObject({ kind: 'web', status: 'pending', name: 'http://127.0.0.1:9/internal' })
    await ingest(res.json().id)
    const doc = (await call(ctx.app, 'GET', `/api/knowledge/${res.json().id}`, as)).json()
    expect(doc.status).toBe('failed')
    expect(doc.error).toMatch(/may not reach/)
  })
})

describe('web pages', () => {
  it('reads a page through the egress guard, named by its title, without scripts', async () => {
    const page =
      '<html><head><title>Our menu &amp; hours</title><script>var hidden = "croissant secret"</script></head>' +
      '<body><h1>Menu</h1><p>Cardamom buns are baked every morning.</p><p>Open daily 7&ndash;19.</p></body></html>'
    const site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page))
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    const web = await createTestContext({ EGRESS_ALLOW_PRIVATE: '127.0.0.0/8' })
    try {
      const o = await onboard(web.app, 'kb-web')
      const h = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
      const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/menu`
      const res = await call(web.app, 'POST', '/api/knowledge', h, { url })
      await web.container.jobs.find((j) => j.name === 'knowledge.ingest')!.handler({ documentId: res.json().id })
      const doc = (await call(web.app, 'GET', `/api/knowledge/${res.json().id}`, h)).json()
      expect(doc).toMatchObject({ status: 'ready', name: 'Our menu & hours', kind: 'web', url })
      const hit = (await call(web.app, 'GET', '/api/knowledge/search?q=cardamom', h)).json().items[0]
      expect(hit.text).toBe('Menu\n\nCardamom buns are baked every morning.\n\nOpen daily 7–19.')
      expect((await call(web.app, 'GET', '/api/knowledge/search?q=croissant', h)).json().items).toEqual([])
    } finally {
      await web.close()
      await new Promise((resolve) => site.close(resolve))
    }
  })
})

describe('the search_knowledge tool', () => {
  it("searches the conversation's client only, whatever the model asks", async () => {
    const scope = (clientId: string) => ({
      userId: owner.user.id,
      workspaceId: owner.workspaceId,
      clientId,
      role: 'owner' as const,
    })
    const exec = (clientId: string) =>
      (
        ctx.container.tools.registry.forCall([], {
          scope: scope(clientId),
          conversationId: 'conv_x',
          agentId: 'builtin.copywriter',
          emit: () => undefined,
        }).search_knowledge as { execute: (input: unknown, o: unknown) => Promise<{ passages: unknown[] }> }
      ).execute
    const mine = await exec(owner.clientId)(
      { query: 'espresso', clientId: 'cl_other' },
      { toolCallId: 't', messages: [] },
    )
    expect(mine.passages[0]).toMatchObject({ document: 'price-list.pdf', page: 2, passage: expect.any(Number) })
    const other = (
      await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
        { name: 'Tool client' },
      )
    ).json().id as string
    const theirs = await exec(other)({ query: 'espresso' }, { toolCallId: 't', messages: [] })
    expect(theirs.passages).toEqual([])
  })

  it('is offered to every agent in chat, and the answer cites the passage it returned', async () => {
    const fake = await startFakeOpenAI({
      toolCalls: [{ id: 'call_k', name: 'search_knowledge', arguments: '{"query":"catering guest"}' }],
      reply: (body) => {
        const messages = body.messages as { role: string; content: unknown }[]
        const result = messages.find((m) => m.role === 'tool')
        if (!result) return 'Let me look that up.'
        const { passages } = JSON.parse(String(result.content)) as { passages: { document: string; page: number }[] }
        return `Catering starts at 45 lei per guest [${passages[0]!.document}, p. ${passages[0]!.page}].`
      },
    })
    const chatCtx = await createTestContext({ OPENAI_API_KEY: 'sk-kb', OPENAI_BASE_URL: fake.url })
    try {
      const o = await onboard(chatCtx.app, 'kb-chat')
      const h = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
      const up = await call(chatCtx.app, 'POST', '/api/knowledge', h, {
        name: 'price-list.pdf',
        contentBase64: PRICE_LIST.toString('base64'),
      })
      await chatCtx.container.jobs.find((j) => j.name === 'knowledge.ingest')!.handler({ documentId: up.json().id })
      // The Copywriter's own tools do not name search_knowledge: it is offered to every agent.
      const conv = (
        await call(chatCtx.app, 'POST', '/api/chat/conversations', h, { agentId: 'builtin.copywriter' })
      ).json().id
      const events = parseSse(
        (
          await call(chatCtx.app, 'POST', `/api/chat/conversations/${conv}/messages`, h, {
            content: 'How much is catering?',
          })
        ).body,
      )
      const result = events.find((e) => e.event === 'tool-result')!.data as {
        toolName: string
        output: { passages: { document: string; documentId: string }[] }
      }
      expect(result.toolName).toBe('search_knowledge')
      expect(result.output.passages[0]).toMatchObject({ document: 'price-list.pdf', documentId: up.json().id })
      const saved = (await call(chatCtx.app, 'GET', `/api/chat/conversations/${conv}/messages`, h)).json().items.at(-1)
      expect(saved.content).toBe('Catering starts at 45 lei per guest [price-list.pdf, p. 2].')
      const first = JSON.stringify(fake.requests.find((r) => r.path.endsWith('/chat/completions'))!.body)
      expect(first).toContain('search_knowledge')
    } finally {
      await chatCtx.close()
      await fake.close()
    }
  })
})

describe('the "Search knowledge" flow node', () => {
  const runFlow = async (caller: Caller, input: unknown) => {
    const graph = {
      nodes: [
        node('start', 'core.manual'),
        node('kb', 'knowledge.search', { query: { $expr: '$trigger.question' }, limit: 3 }, 200),
      ],
      edges: [edge('start', 'kb')],
    }
    const flow = (
      await call(ctx.app, 'POST', '/api/flows', caller, { name: 'Answer from the price list', graph })
    ).json()
    expect((await call(ctx.app, 'POST', `/api/flows/${flow.id}/publish`, caller)).statusCode).toBe(200)
    const started = await call(ctx.app, 'POST', `/api/flows/${flow.id}/runs`, caller, { input })
    expect(started.statusCode, started.body).toBe(202)
    await ctx.container.flows.engine.drain()
    return (await call(ctx.app, 'GET', `/api/flows/runs/${started.json().runId}`, caller)).json()
  }

  it("returns the run's client's passages, and none of another client's", async () => {
    await addFile('flow-prices.pdf', PRICE_LIST)
    const trace = await runFlow(as, { question: 'flat white' })
    expect(trace.run.status).toBe('completed')
    const step = trace.steps.find((s: { nodeId: string }) => s.nodeId === 'kb')
    expect(step.output.count).toBeGreaterThan(0)
    expect(step.output.passages).toContainEqual(expect.objectContaining({ document: 'flow-prices.pdf', page: 2 }))

    const other = (
      await call(
        ctx.app,
        'POST',
        '/api/clients',
        { cookie: owner.user.cookie, workspaceId: owner.workspaceId },
        { name: 'Flow client' },
      )
    ).json().id as string
    const elsewhere = await runFlow(
      { cookie: owner.user.cookie, headers: { 'x-client-id': other } },
      {
        question: 'flat white',
      },
    )
    expect(elsewhere.steps.find((s: { nodeId: string }) => s.nodeId === 'kb').output).toEqual({
      passages: [],
      count: 0,
    })
  })
})

describe('composer suggestions', () => {
  it('offer a question about the documents once one is ready, for this client only', async () => {
    const o = await onboard(ctx.app, 'kb-suggest')
    const caller: Caller = { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } }
    const items = async () =>
      (await call(ctx.app, 'GET', '/api/chat/suggestions?agentId=builtin.copywriter', caller)).json().items as string[]
    const prompt = /documents say about its prices and services/
    expect((await items()).join('\n')).not.toMatch(prompt)
    const pending = await upload(
      { name: 'menu.md', contentBase64: Buffer.from('# Menu\n\nSoup 12 lei.').toString('base64') },
      caller,
    )
    expect((await items()).join('\n')).not.toMatch(prompt)
    await ingest(pending.json().id)
    expect((await items())[0]).toMatch(prompt)
    // The first workspace's client has documents of its own, and this client's count is its own.
    const first = (await call(ctx.app, 'GET', '/api/chat/suggestions?agentId=builtin.copywriter', as)).json().items
    expect(first[0]).toMatch(prompt)
  })
})
