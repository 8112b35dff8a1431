import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AskAnswerDto, BookingDraftDto, ContactDto } from '../../contracts/crm.ts'
import { edge, node } from '../flow-graph.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'
import { startFakeOpenAI, type FakeOpenAIOptions, type FakeOpenAI } from '../fakes/openai-upstream.ts'

/**
 * The CRM's AI (issue 14 §4, §6): a booking drafted from a conversation — each field with the message it came from,
 * checked in code, recorded and audited, nothing else written — and questions about a contact answered from its own
 * records, every figure checked against the tools' results. On a real model (the loopback fake) and on the offline one.
 */
type World = { ctx: TestContext; w: Awaited<ReturnType<typeof onboard>>; channelId: string }
let seq = 0

const as = (world: World, requestId?: string): Caller => ({
  cookie: world.w.user.cookie,
  headers: { 'x-client-id': world.w.clientId, ...(requestId ? { 'x-request-id': requestId } : {}) },
})

const setUp = async (env: Record<string, string> | undefined, label: string): Promise<World> => {
  const ctx = await createTestContext(env)
  const w = await onboard(ctx.app, label)
  const res = await call(
    ctx.app,
    'POST',
    '/api/channels',
    { cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } },
    {
      kind: 'qr',
      name: 'Front desk',
    },
  )
  expect(res.statusCode, res.body).toBe(201)
  return { ctx, w, channelId: res.json().id }
}

/** A conversation as the number's driver hands it over (through the inbox's receivers: the CRM makes the contact). */
const converse = async (world: World, waId: string, name: string, lines: ['in' | 'out', string][]) => {
  const channel = { id: world.channelId, workspaceId: world.w.workspaceId, clientId: world.w.clientId }
  for (const [direction, text] of lines) {
    const after = await world.ctx.container.db.transaction().execute((trx) =>
      world.ctx.container.inbox.receivers.inbound(trx, channel, [
        {
          providerMessageId: `wamid.crm-ai-${++seq}`,
          party: { waId, name },
          fromMe: direction === 'out',
          at: new Date(Date.UTC(2027, 2, 1, 9, 0, seq)),
          content: { type: 'text' as const, text },
        },
      ]),
    )
    after()
  }
  const threads = await world.ctx.container.db
    .selectFrom('inboxThreads as t')
    .innerJoin('inboxContacts as c', 'c.id', 't.contactId')
    .select('t.id')
    .where('c.waId', '=', waId)
    .where('t.clientId', '=', world.w.clientId)
    .execute()
  const messages = await world.ctx.container.db
    .selectFrom('inboxMessages')
    .select('id')
    .where('threadId', '=', threads[0]!.id)
    .orderBy('at')
    .orderBy('id')
    .execute()
  return { threadId: threads[0]!.id, messageIds: messages.map((m) => m.id) }
}

const PARTY = [
  ['in', 'Hello! Do you do birthday parties?'],
  ['out', 'Yes we do. When would you like it?'],
  ['in', 'we want the party on 14 March at 3 pm, at our place, with Spider-Man, budget 800 lei'],
] as ['in' | 'out', string][]

const extract = (world: World, threadId: string, requestId?: string) =>
  call(world.ctx.app, 'POST', `/api/inbox/threads/${threadId}/extract-booking`, as(world, requestId), {})
const ask = (world: World, contactId: string, question: string, requestId?: string) =>
  call(world.ctx.app, 'POST', `/api/crm/contacts/${contactId}/ask`, as(world, requestId), { question })
const ledger = async (world: World, requestId: string) =>
  (
    await call(world.ctx.app, 'GET', `/api/credits/ledger?requestId=${encodeURIComponent(requestId)}`, {
      cookie: world.w.user.cookie,
      workspaceId: world.w.workspaceId,
    })
  ).json().items as { kind: string; amount: number; surface: string }[]
const countOf = async (world: World, table: 'crmBookings' | 'crmExtractions') =>
  Number(
    (
      await world.ctx.container.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )
const saveBooking = (world: World, draft: BookingDraftDto) =>
  call(world.ctx.app, 'POST', '/api/crm/bookings', as(world), {
    contactId: draft.contactId,
    date: draft.fields.date.value,
    time: draft.fields.time.value,
    timeZone: draft.fields.timeZone.value,
    location: draft.fields.location.value,
    items: draft.fields.items.value ?? [],
    amount: draft.fields.amount.value,
    source: { threadId: draft.threadId, messageIds: draft.messageIds },
  })

describe('booking extraction and Ask AI on a real model', () => {
  let world: World
  let fake: FakeOpenAI
  let modelDraft: Record<string, unknown> = {}
  let answer = ''
  // The fake reads its options on every request: tests set its tool calls on this object.
  const script: FakeOpenAIOptions = {
    usage: { prompt_tokens: 400, completion_tokens: 60 },
    // Answers a booking draft (no tools offered) or a question about a contact (tools offered).
    reply: (body) => (body.tools ? answer : JSON.stringify(modelDraft)),
  }

  beforeAll(async () => {
    fake = await startFakeOpenAI(script)
    world = await setUp({ OPENAI_API_KEY: 'sk-crm-ai', OPENAI_BASE_URL: fake.url }, 'crm-ai-model')
  })
  afterAll(async () => {
    await world?.ctx.close()
    await fake?.close()
  })

  it('drafts a booking with the message each field came from, money converted in code, and writes only its record', async () => {
    const { threadId, messageIds } = await converse(world, '40733100001', 'Ana Pop', PARTY)
    modelDraft = {
      date: { value: '2027-03-14', source: 'm3' },
      time: { value: '15:00', source: 'm3' },
      timeZone: { value: null, source: null },
      location: { value: 'at our place', source: 'm3' },
      items: { value: ['Spider-Man'], source: 'm3' },
      amount: { value: { amount: '800', currency: 'lei' }, source: 'm3' },
      notes: { value: 'Birthday party', source: 'm1' },
    }
    const res = await extract(world, threadId, 'req-extract-0001')
    expect(res.statusCode, res.body).toBe(200)
    const draft = res.json() as BookingDraftDto
    const [contact] = (await call(world.ctx.app, 'GET', '/api/crm/contacts?q=40733100001', as(world))).json()
      .items as ContactDto[]
    expect(draft).toEqual({
      extractionId: expect.stringMatching(/^cex_/),
      threadId,
      contactId: contact!.id,
      fields: {
        date: { value: '2027-03-14', sourceMessageId: messageIds[2] },
        time: { value: '15:00', sourceMessageId: messageIds[2] },
        timeZone: { value: 'UTC', sourceMessageId: null },
        location: { value: 'at our place', sourceMessageId: messageIds[2] },
        items: { value: ['Spider-Man'], sourceMessageId: messageIds[2] },
        amount: { value: { minor: 80000, currency: 'RON' }, sourceMessageId: messageIds[2] },
        notes: { value: 'Birthday party', sourceMessageId: messageIds[0] },
      },
      messageIds,
      demo: false,
    })
    const sent = JSON.stringify(fake.completions().at(-1)!.body)
    expect(sent).toContain('[m3] Customer (2027-03-01): we want the party on 14 March')
    expect(await countOf(world, 'crmBookings')).toBe(0)
    const stored = await world.ctx.container.db.selectFrom('crmExtractions').selectAll().execute()
    expect(stored).toEqual([
      expect.objectContaining({
        id: draft.extractionId,
        threadId,
        userId: world.w.user.id,
        modelId: 'openai:gpt-4o-mini',
        demo: false,
        draft: expect.objectContaining({ fields: draft.fields }),
      }),
    ])
    expect(await ledger(world, 'extract:req-extract-0001')).toEqual([
      expect.objectContaining({ kind: 'debit', surface: 'crm' }),
    ])
    const audit = await world.ctx.container.db
      .selectFrom('auditEvents')
      .select(['action', 'targetId'])
      .where('action', '=', 'booking.extracted')
      .execute()
    expect(audit).toEqual([{ action: 'booking.extracted', targetId: threadId }])
  })

  it('answers null for a field whose source is not one of the messages, or whose value does not validate', async () => {
    const { threadId } = await converse(world, '40733100002', 'Ion', PARTY)
    modelDraft = {
      date: { value: '2027-03-14', source: 'm9' },
      time: { value: '25:00', source: 'm3' },
      timeZone: { value: 'Mars/Olympus', source: 'm3' },
      location: { value: 'at our place', source: 'msg_invented' },
      items: { value: ['Spider-Man'], source: null },
      amount: { value: { amount: '-800', currency: 'lei' }, source: 'm3' },
      notes: { value: 'x', source: 'm2' },
    }
    const res = await extract(world, threadId)
    expect(res.statusCode, res.body).toBe(200)
    const { fields } = res.json() as BookingDraftDto
    expect(fields.date).toEqual({ value: null, sourceMessageId: null })
    expect(fields.time).toEqual({ value: null, sourceMessageId: null })
    expect(fields.timeZone).toEqual({ value: 'UTC', sourceMessageId: null })
    expect(fields.location).toEqual({ value: null, sourceMessageId: null })
    expect(fields.items).toEqual({ value: null, sourceMessageId: null })
    expect(fields.amount).toEqual({ value: null, sourceMessageId: null })
    expect(fields.notes.value).toBe('x')
  })

  it('saving a draft twice makes two bookings, each with its source messages', async () => {
    const { threadId } = await converse(world, '40733100003', 'Twice', PARTY)
    modelDraft = {
      date: { value: '2027-03-15', source: 'm3' },
      time: { value: '15:00', source: 'm3' },
      amount: { value: { amount: '800', currency: 'lei' }, source: 'm3' },
    }
    const draft = (await extract(world, threadId)).json() as BookingDraftDto
    expect(draft.fields.location).toEqual({ value: null, sourceMessageId: null })
    const first = await saveBooking(world, draft)
    const second = await saveBooking(world, draft)
    expect(first.statusCode, first.body).toBe(201)
    expect(second.statusCode).toBe(201)
    expect(first.json().id).not.toBe(second.json().id)
    expect(second.json().source).toEqual({ threadId, messageIds: draft.messageIds })
    const contact = (await call(world.ctx.app, 'GET', `/api/crm/contacts/${draft.contactId}`, as(world))).json()
    expect(contact.profile).toMatchObject({ bookingsCount: 2, spend: [{ currency: 'RON', amountMinor: 160000 }] })
  })

  it('answers a spend question from the tools with the right sum, citing the bookings, debited once', async () => {
    const [contact] = (await call(world.ctx.app, 'GET', '/api/crm/contacts?q=40733100003', as(world))).json()
      .items as ContactDto[]
    script.toolCalls = [
      { id: 'call_profile', name: 'contact_profile', arguments: '{}' },
      { id: 'call_bookings', name: 'list_bookings', arguments: '{}' },
    ]
    answer = 'Twice has 2 bookings and has spent 1,600.00 RON in total.'
    const res = await ask(world, contact!.id, 'How much has this contact spent?', 'req-ask-0001')
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json() as AskAnswerDto
    expect(body.answer).toBe(answer)
    expect(body.demo).toBe(false)
    const bookings = body.citations.filter((c) => c.type === 'booking')
    expect(bookings).toHaveLength(2)
    expect(bookings[0]!.label).toBe('Booking 2027-03-15 · 800.00 RON')
    // The model was given the tools' results.
    const last = JSON.stringify(fake.completions().at(-1)!.body)
    expect(last).toContain('160000')
    expect(last).toContain('2027-03-15')
    expect(await ledger(world, 'ask:req-ask-0001')).toEqual([
      expect.objectContaining({ kind: 'debit', surface: 'crm' }),
    ])
  })

  it('replaces an answer with a number no tool returned by the summary of the tools', async () => {
    const [contact] = (await call(world.ctx.app, 'GET', '/api/crm/contacts?q=40733100003', as(world))).json()
      .items as ContactDto[]
    answer = 'Twice has spent 9,999.00 RON.'
    const res = await ask(world, contact!.id, 'How much has Twice spent?')
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json() as AskAnswerDto
    expect(body.answer).toBe('Twice has 2 bookings (first 2027-03-15, last 2027-03-15) and has spent 1,600.00 RON.')
    expect(body.citations.map((c) => c.type)).toEqual(['booking', 'booking'])
    script.toolCalls = undefined
  })

  it('drafts a booking in a flow step, metered under the step key: the step tried again is not charged twice', async () => {
    const owner = as(world)
    const created = await call(world.ctx.app, 'POST', '/api/flows', owner, {
      name: 'Draft bookings',
      graph: {
        nodes: [
          node('wa', 'whatsapp.message-received', { match: { kind: 'contains', value: 'robot party' } }),
          node('x', 'crm.extract-booking', {}),
        ],
        edges: [edge('wa', 'x')],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const flowId = created.json().id as string
    expect((await call(world.ctx.app, 'POST', `/api/flows/${flowId}/publish`, owner)).statusCode).toBe(200)
    modelDraft = {
      date: { value: '2027-04-02', source: 'm1' },
      time: { value: '11:00', source: 'm1' },
      amount: { value: { amount: '450', currency: 'lei' }, source: 'm1' },
    }
    const extractions = await countOf(world, 'crmExtractions')
    const { threadId, messageIds } = await converse(world, '40733100009', 'Flow Ana', [
      ['in', 'A robot party on 2 April at 11:00 for 450 lei please'],
    ])
    await world.ctx.container.flows.whatsapp.idle()
    await world.ctx.container.flows.engine.drain()
    const runs = (await call(world.ctx.app, 'GET', `/api/flows/${flowId}/runs`, owner)).json().items
    expect(runs).toMatchObject([{ status: 'completed' }])
    const step = (await call(world.ctx.app, 'GET', `/api/flows/runs/${runs[0].id}`, owner))
      .json()
      .steps.find((st: { nodeId: string }) => st.nodeId === 'x')
    expect(step.output).toMatchObject({
      threadId,
      demo: false,
      messageIds,
      fields: {
        date: { value: '2027-04-02', sourceMessageId: messageIds[0] },
        amount: { value: { minor: 45000, currency: 'RON' }, sourceMessageId: messageIds[0] },
      },
    })
    expect(Number(step.credits)).toBeGreaterThan(0)
    expect(await countOf(world, 'crmExtractions')).toBe(extractions + 1)
    expect(await countOf(world, 'crmBookings')).toBe(2)
    const debits = await ledger(world, `extract:${step.idempotencyKey}`)
    expect(debits).toEqual([expect.objectContaining({ kind: 'debit', surface: 'crm' })])

    // The step executed again under its key (a retry) runs no second charged call and records no second draft.
    const again = world.ctx.container.flows.nodes.get('crm.extract-booking')!.execute({
      config: { threadId },
      scope: { userId: world.w.user.id, actingUserId: world.w.user.id, ...world.w },
      idempotencyKey: step.idempotencyKey,
      finalAttempt: true,
      checkpoint: async () => {},
    } as never)
    await expect(again).rejects.toMatchObject({ code: 'request.not_replayable' })
    expect(await ledger(world, `extract:${step.idempotencyKey}`)).toHaveLength(1)
    expect(await countOf(world, 'crmExtractions')).toBe(extractions + 1)
  })

  it("fails a flow's extraction step on another client's conversation, writing nothing", async () => {
    const other = await onboard(world.ctx.app, 'crm-ai-model-other')
    const mine = await converse(world, '40733100010', 'Not yours', PARTY)
    const extractions = await countOf(world, 'crmExtractions')
    const theirs = { userId: other.user.id, actingUserId: other.user.id, ...other }
    const run = world.ctx.container.flows.nodes.get('crm.extract-booking')!.execute({
      config: { threadId: mine.threadId },
      scope: theirs,
      idempotencyKey: 'flow:run_other:x:0',
      finalAttempt: true,
      checkpoint: async () => {},
    } as never)
    await expect(run).rejects.toMatchObject({ code: 'crm.thread_not_found', status: 404 })
    expect(await countOf(world, 'crmExtractions')).toBe(extractions)
  })

  it('refuses with 402 when the credits do not cover it, calling no model', async () => {
    const { threadId } = await converse(world, '40733100004', 'Poor', PARTY)
    const b = await world.ctx.container.credits.ledger.balance(world.ctx.container.db, world.w.workspaceId)
    await world.ctx.container.credits.ledger.post(world.ctx.container.db, {
      workspaceId: world.w.workspaceId,
      kind: 'adjustment',
      amount: 0n - b.available,
      requestId: 'crm-ai-drain',
      reason: 'test',
    })
    const before = fake.completions().length
    const res = await extract(world, threadId)
    expect(res.statusCode).toBe(402)
    expect(res.json().error.code).toBe('credits.insufficient')
    expect(fake.completions().length).toBe(before)
  })
})

describe('booking extraction and Ask AI on the offline model', () => {
  let world: World
  let other: Awaited<ReturnType<typeof onboard>>

  beforeAll(async () => {
    world = await setUp(undefined, 'crm-ai-offline')
    other = await onboard(world.ctx.app, 'crm-ai-other')
  })
  afterAll(async () => {
    await world?.ctx.close()
  })

  it('drafts with the rule-based extractor, marked demo, in the client default zone', async () => {
    await call(world.ctx.app, 'PUT', '/api/crm/settings', as(world), { defaultCountry: 'RO' })
    const { threadId, messageIds } = await converse(world, '40733200001', 'Ana Pop', PARTY)
    const res = await extract(world, threadId)
    expect(res.statusCode, res.body).toBe(200)
    const draft = res.json() as BookingDraftDto
    expect(draft.demo).toBe(true)
    expect(draft.fields).toEqual({
      date: { value: '2027-03-14', sourceMessageId: messageIds[2] },
      time: { value: '15:00', sourceMessageId: messageIds[2] },
      timeZone: { value: 'Europe/Bucharest', sourceMessageId: null },
      location: { value: 'at our place', sourceMessageId: messageIds[2] },
      items: { value: ['Spider-Man'], sourceMessageId: messageIds[2] },
      amount: { value: { minor: 80000, currency: 'RON' }, sourceMessageId: messageIds[2] },
      notes: { value: null, sourceMessageId: null },
    })
    expect(await countOf(world, 'crmExtractions')).toBe(1)
    expect(await countOf(world, 'crmBookings')).toBe(0)
  })

  it("drafts in the client's own time zone when it has one, before its country's; refuses a zone Intl does not know", async () => {
    const put = (body: Record<string, unknown>) => call(world.ctx.app, 'PUT', '/api/crm/settings', as(world), body)
    for (const timeZone of ['Mars/Olympus', '+02:00', 'EET+2']) {
      const bad = await put({ defaultCountry: 'RO', timeZone })
      expect(bad.statusCode, timeZone).toBe(400)
      expect(bad.json().error.code).toBe('crm.invalid_time_zone')
    }
    const set = await put({ defaultCountry: 'RO', timeZone: 'europe/london' })
    expect(set.statusCode, set.body).toBe(200)
    expect(set.json()).toEqual({ defaultCountry: 'RO', timeZone: 'Europe/London' })
    // A PUT without the zone leaves it as it was.
    expect((await put({ defaultCountry: 'RO' })).json()).toEqual({ defaultCountry: 'RO', timeZone: 'Europe/London' })
    expect((await call(world.ctx.app, 'GET', '/api/crm/settings', as(world))).json().timeZone).toBe('Europe/London')

    const { threadId } = await converse(world, '40733200009', 'Zoe', PARTY)
    const inLondon = (await extract(world, threadId)).json() as BookingDraftDto
    expect(inLondon.fields.timeZone).toEqual({ value: 'Europe/London', sourceMessageId: null })

    expect((await put({ defaultCountry: 'RO', timeZone: null })).json().timeZone).toBeNull()
    const inBucharest = (await extract(world, threadId)).json() as BookingDraftDto
    expect(inBucharest.fields.timeZone).toEqual({ value: 'Europe/Bucharest', sourceMessageId: null })
  })

  it('reads Romanian dates, 24-hour times and numeric dates', async () => {
    const { threadId, messageIds } = await converse(world, '40733200002', 'Maria', [
      ['in', 'Bună, vrem o petrecere pe 14.03 la ora 15:30'],
      ['in', 'De fapt pe 20 martie. Buget 1.200 lei'],
    ])
    const { fields } = (await extract(world, threadId)).json() as BookingDraftDto
    expect(fields.date).toEqual({ value: '2027-03-20', sourceMessageId: messageIds[1] })
    expect(fields.time).toEqual({ value: '15:30', sourceMessageId: messageIds[0] })
    expect(fields.amount).toEqual({ value: { minor: 120000, currency: 'RON' }, sourceMessageId: messageIds[1] })
  })

  it('drafts in a flow step with the offline model: demo, free, recorded with the step in one transaction', async () => {
    const created = await call(world.ctx.app, 'POST', '/api/flows', as(world), {
      name: 'Offline drafts',
      graph: {
        nodes: [
          node('wa', 'whatsapp.message-received', { match: { kind: 'contains', value: 'offline party' } }),
          node('x', 'crm.extract-booking', { threadId: { $expr: '$trigger.thread.id' } }),
        ],
        edges: [edge('wa', 'x')],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const flowId = created.json().id as string
    expect((await call(world.ctx.app, 'POST', `/api/flows/${flowId}/publish`, as(world))).statusCode).toBe(200)
    const extractions = await countOf(world, 'crmExtractions')
    const { threadId, messageIds } = await converse(world, '40733200020', 'Offline Olga', [
      ['in', 'An offline party on 14 March at 3 pm, 800 lei'],
    ])
    await world.ctx.container.flows.whatsapp.idle()
    await world.ctx.container.flows.engine.drain()
    const runs = (await call(world.ctx.app, 'GET', `/api/flows/${flowId}/runs`, as(world))).json().items
    expect(runs).toMatchObject([{ status: 'completed' }])
    const step = (await call(world.ctx.app, 'GET', `/api/flows/runs/${runs[0].id}`, as(world)))
      .json()
      .steps.find((st: { nodeId: string }) => st.nodeId === 'x')
    expect(step).toMatchObject({ status: 'completed', attempts: 1 })
    expect(Number(step.credits)).toBe(0)
    expect(step.output).toMatchObject({
      threadId,
      demo: true,
      fields: { amount: { value: { minor: 80000, currency: 'RON' }, sourceMessageId: messageIds[0] } },
    })
    expect(await countOf(world, 'crmExtractions')).toBe(extractions + 1)
  })

  it('answers 409 for a conversation without a message from the customer', async () => {
    const { threadId } = await converse(world, '40733200003', 'Quiet', [['out', 'Hello, we have offers this week']])
    const res = await extract(world, threadId)
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('crm.nothing_to_extract')
  })

  it('answers a spend question from the records, citing the bookings, marked demo', async () => {
    const [contact] = (await call(world.ctx.app, 'GET', '/api/crm/contacts?q=40733200001', as(world))).json()
      .items as ContactDto[]
    for (const date of ['2027-03-14', '2027-03-15'])
      await call(world.ctx.app, 'POST', '/api/crm/bookings', as(world), {
        contactId: contact!.id,
        date,
        timeZone: 'Europe/Bucharest',
        amount: { minor: 80000, currency: 'RON' },
      })
    const res = await ask(world, contact!.id, 'How much has she spent with us?')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      answer: 'Ana Pop has 2 bookings (first 2027-03-14, last 2027-03-15) and has spent 1,600.00 RON.',
      citations: [
        { type: 'booking', id: expect.any(String), label: 'Booking 2027-03-14 · 800.00 RON' },
        { type: 'booking', id: expect.any(String), label: 'Booking 2027-03-15 · 800.00 RON' },
      ],
      demo: true,
    })
    expect((await ask(world, contact!.id, '')).statusCode).toBe(400)
  })

  it("answers 404 for another client's contact and thread", async () => {
    const [contact] = (await call(world.ctx.app, 'GET', '/api/crm/contacts?q=40733200001', as(world))).json()
      .items as ContactDto[]
    const { threadId } = await converse(world, '40733200004', 'Mine', PARTY)
    const stranger: Caller = { cookie: other.user.cookie, headers: { 'x-client-id': other.clientId } }
    const asked = await call(world.ctx.app, 'POST', `/api/crm/contacts/${contact!.id}/ask`, stranger, {
      question: 'How much?',
    })
    expect(asked.statusCode).toBe(404)
    expect(asked.json().error.code).toBe('crm.contact_not_found')
    const extracted = await call(world.ctx.app, 'POST', `/api/inbox/threads/${threadId}/extract-booking`, stranger, {})
    expect(extracted.statusCode).toBe(404)
    expect(extracted.json().error.code).toBe('crm.thread_not_found')
  })
})
