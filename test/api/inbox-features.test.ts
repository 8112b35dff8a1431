import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InboxNoteDto, ThreadDto } from '../../contracts/inbox.ts'
import { createSuggester } from '../../src/modules/inbox/suggest.ts'
import { createModelSet } from '../../src/modules/models/models.module.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import {
  addMember,
  call,
  createTestContext,
  onboard,
  type Caller,
  type TestContext,
  type TestUser,
} from '../harness.ts'

/**
 * Working the inbox as a team (issue 13 §4 and §7): assignment to members of the workspace, labels, internal notes that are
 * never deleted, a thread list narrowed by search and filters with its cursor intact, and replies suggested by an agent,
metered like chat. Conversations arrive through
 * the inbox's receiving API, as a number's driver hands them over.
 */
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
let member: TestUser
let viewer: TestUser
let outsider: Awaited<ReturnType<typeof onboard>>
let otherClientId: string
const channels: Record<'front' | 'sales' | 'other', string> = { front: '', sales: '', other: '' }
const threads: Record<string, string> = {}

const as = (user: TestUser, clientId = w.clientId): Caller => ({
  cookie: user.cookie,
  headers: { 'x-client-id': clientId },
})
const owner = () => as(w.user)
let seq = 0
/** A message from (or, `fromMe`, to) a contact on a number, stored as the number's driver hands it over. */
const receive = async (
  channel: keyof typeof channels,
  party: { waId: string; name?: string; phone?: string },
  text: string,
  options: { fromMe?: boolean; at?: Date } = {},
) => {
  const clientId = channel === 'other' ? otherClientId : w.clientId
  const [stored] = await ctx.container.db.transaction().execute((trx) =>
    ctx.container.inbox.inbox.receive(trx, { id: channels[channel], workspaceId: w.workspaceId, clientId }, [
      {
        providerMessageId: `wamid.features-${++seq}`,
        party,
        fromMe: options.fromMe ?? false,
        at: options.at ?? new Date(Date.UTC(2026, 11, 1, 9, 0, seq)),
        content: { type: 'text', text },
      },
    ]),
  )
  return stored!.threadId
}
const list = async (query = '', caller = owner()) => {
  const res = await call(ctx.app, 'GET', `/api/inbox/threads${query}`, caller)
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { items: ThreadDto[]; nextCursor: string | null }
}
const ids = async (query: string) => (await list(query)).items.map((t) => t.id)
const patch = (threadId: string, body: unknown, caller = owner()) =>
  call(ctx.app, 'PATCH', `/api/inbox/threads/${threadId}`, caller, body)
const addNote = (threadId: string, body: unknown, caller = owner()) =>
  call(ctx.app, 'POST', `/api/inbox/threads/${threadId}/notes`, caller, body)

beforeAll(async () => {
  ctx = await createTestContext()
  w = await onboard(ctx.app, 'inbox-team')
  member = await addMember(ctx.app, w.user, w.workspaceId, 'member')
  viewer = await addMember(ctx.app, w.user, w.workspaceId, 'viewer')
  outsider = await onboard(ctx.app, 'inbox-outsider')
  const other = await call(
    ctx.app,
    'POST',
    '/api/clients',
    { cookie: w.user.cookie, workspaceId: w.workspaceId },
    {
      name: 'Second client',
    },
  )
  expect(other.statusCode, other.body).toBe(201)
  otherClientId = other.json().id as string
  for (const [key, clientId, name] of [
    ['front', w.clientId, 'Front desk'],
    ['sales', w.clientId, 'Sales'],
    ['other', otherClientId, 'Other client'],
  ] as const) {
    const res = await call(ctx.app, 'POST', '/api/channels', as(w.user, clientId), { kind: 'qr', name })
    expect(res.statusCode, res.body).toBe(201)
    channels[key] = res.json().id as string
  }
  threads.ana = await receive('front', { waId: '40712345678', name: 'Ana Popescu', phone: '40712345678' }, 'Aveți loc?')
  threads.bogdan = await receive('front', { waId: '40722000111', name: 'Bogdan' }, 'Discount 50% azi?')
  threads.carla = await receive('sales', { waId: '40733000222', name: 'Carla_M' }, 'Price list please')
  await receive('sales', { waId: '40733000222' }, 'Sure, sending it now.', { fromMe: true })
  threads.dan = await receive('sales', { waId: '40744000333', name: 'Dan' }, 'Hello')
  threads.elsewhere = await receive('other', { waId: '40755000444', name: 'Ana Elsewhere' }, 'Aveți loc?')
})
afterAll(async () => {
  await ctx?.close()
})

describe('assignment and labels', () => {
  it('assigns a thread to a member and labels it, shows both on the thread, and audits each change', async () => {
    const res = await patch(threads.ana!, { assignedTo: member.id, labels: ['  VIP ', 'booking', 'VIP'] })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ id: threads.ana, assignedTo: member.id, labels: ['VIP', 'booking'] })
    const listed = (await list()).items.find((t) => t.id === threads.ana)!
    expect(listed).toMatchObject({ assignedTo: member.id, labels: ['VIP', 'booking'] })

    const events = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['action', 'actorUserId', 'subjectUserId', 'targetId', 'metadata'])
      .where('targetId', '=', threads.ana!)
      .orderBy('seq')
      .execute()
    expect(events).toMatchObject([
      {
        action: 'inbox.thread_assigned',
        actorUserId: w.user.id,
        subjectUserId: member.id,
        metadata: { to: member.id },
      },
      { action: 'inbox.thread_labelled', metadata: { added: ['VIP', 'booking'], removed: [] } },
    ])
    // The same values again change nothing and record nothing.
    expect((await patch(threads.ana!, { assignedTo: member.id, labels: ['booking', 'VIP'] })).statusCode).toBe(200)
    const after = await ctx.container.db
      .selectFrom('auditEvents')
      .select('id')
      .where('targetId', '=', threads.ana!)
      .execute()
    expect(after).toHaveLength(2)
  })

  it('tells live followers of the client that the thread changed', async () => {
    const changes: unknown[] = []
    const stop = await ctx.container.inbox.live.subscribe(
      w.clientId,
      (c) => changes.push(c),
      () => undefined,
    )
    try {
      expect((await patch(threads.dan!, { labels: ['follow-up'] }, as(member))).statusCode).toBe(200)
      await expect.poll(() => changes).toContainEqual({ threadIds: [threads.dan] })
    } finally {
      await stop()
    }
  })

  it('unassigns with null', async () => {
    await patch(threads.bogdan!, { assignedTo: w.user.id })
    const res = await patch(threads.bogdan!, { assignedTo: null })
    expect(res.json()).toMatchObject({ assignedTo: null })
  })

  it('refuses an assignee who is not a member of the workspace with 422 and changes nothing', async () => {
    const res = await patch(threads.carla!, { assignedTo: outsider.user.id, labels: ['x'] })
    expect(res.statusCode).toBe(422)
    expect(res.json().error.code).toBe('inbox.assignee_not_member')
    const unknown = await patch(threads.carla!, { assignedTo: 'usr_doesnotexist0000000000' })
    expect(unknown.statusCode).toBe(422)
    expect((await list()).items.find((t) => t.id === threads.carla)).toMatchObject({ assignedTo: null, labels: [] })
  })

  it('refuses malformed labels and empty patches with 400 request.invalid', async () => {
    for (const body of [
      { labels: [''] },
      { labels: ['   '] },
      { labels: ['x'.repeat(33)] },
      { labels: Array.from({ length: 21 }, (_, i) => `l${i}`) },
      { labels: ['bad\u0007label'] },
      { labels: 'VIP' },
      { assignedTo: 'not an id' },
      {},
      { labels: ['ok'], other: true },
    ]) {
      const res = await patch(threads.carla!, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error.code).toBe('request.invalid')
    }
    expect((await patch(threads.carla!, { labels: Array.from({ length: 20 }, (_, i) => `l${i}`) })).statusCode).toBe(
      200,
    )
    expect((await patch(threads.carla!, { labels: [] })).json().labels).toEqual([])
  })

  it("answers 404 for another client's thread, even from a member of both", async () => {
    const res = await patch(threads.elsewhere!, { labels: ['x'] })
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('inbox.thread_not_found')
    expect((await addNote(threads.elsewhere!, { body: 'x' })).statusCode).toBe(404)
    const notes = await call(ctx.app, 'GET', `/api/inbox/threads/${threads.elsewhere}/notes`, owner())
    expect(notes.statusCode).toBe(404)
    // Named with its own client, it is there.
    expect((await patch(threads.elsewhere!, { labels: ['x'] }, as(w.user, otherClientId))).statusCode).toBe(200)
  })

  it('lets viewers read but not assign, label or write notes', async () => {
    expect((await patch(threads.ana!, { labels: [] }, as(viewer))).statusCode).toBe(403)
    expect((await addNote(threads.ana!, { body: 'Hi' }, as(viewer))).statusCode).toBe(403)
    expect((await call(ctx.app, 'GET', `/api/inbox/threads/${threads.ana}/notes`, as(viewer))).statusCode).toBe(200)
  })
})

describe('one thread', () => {
  it('answers a thread as the list shows it, to a viewer too', async () => {
    const listed = (await list()).items.find((t) => t.id === threads.bogdan)!
    const res = await call(ctx.app, 'GET', `/api/inbox/threads/${threads.bogdan}`, as(viewer))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual(listed)
  })

  it("answers 404 for another client's thread and for one that does not exist", async () => {
    const other = await call(ctx.app, 'GET', `/api/inbox/threads/${threads.elsewhere}`, owner())
    expect(other.statusCode).toBe(404)
    expect(other.json().error.code).toBe('inbox.thread_not_found')
    const missing = await call(ctx.app, 'GET', '/api/inbox/threads/th_doesnotexist00000000000', owner())
    expect(missing.statusCode).toBe(404)
    expect(
      (await call(ctx.app, 'GET', `/api/inbox/threads/${threads.elsewhere}`, as(w.user, otherClientId))).statusCode,
    ).toBe(200)
  })
})

describe('internal notes', () => {
  it('adds notes with their author and lists them newest first, page by page', async () => {
    const bodies = ['Called her back', 'Wants Saturday 15:00', '  Confirmed by phone  ']
    const created: InboxNoteDto[] = []
    for (const [i, body] of bodies.entries()) {
      const res = await addNote(threads.ana!, { body }, as(i === 1 ? member : w.user))
      expect(res.statusCode, res.body).toBe(201)
      created.push(res.json() as InboxNoteDto)
    }
    expect(created[1]).toMatchObject({ threadId: threads.ana, body: 'Wants Saturday 15:00', authorId: member.id })
    expect(created[2]!.body).toBe('Confirmed by phone')
    const first = await call(ctx.app, 'GET', `/api/inbox/threads/${threads.ana}/notes?limit=2`, as(viewer))
    expect(first.json().items.map((n: InboxNoteDto) => n.body)).toEqual(['Confirmed by phone', 'Wants Saturday 15:00'])
    const next = await call(
      ctx.app,
      'GET',
      `/api/inbox/threads/${threads.ana}/notes?limit=2&cursor=${first.json().nextCursor}`,
      as(viewer),
    )
    expect(next.json()).toEqual({ items: [created[0]], nextCursor: null })
  })

  it('refuses an empty or too long note with 400', async () => {
    for (const body of [{ body: '' }, { body: '   ' }, { body: 'x'.repeat(4001) }, {}, { body: 'x', pinned: true }]) {
      const res = await addNote(threads.ana!, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error.code).toBe('request.invalid')
    }
    expect((await addNote(threads.ana!, { body: 'x'.repeat(4000) })).statusCode).toBe(201)
  })

  it('cannot be deleted: the database refuses a raw DELETE', async () => {
    await expect(
      sql`delete from inbox_notes where thread_id = ${threads.ana}`.execute(ctx.container.db),
    ).rejects.toThrow()
    const left = await call(ctx.app, 'GET', `/api/inbox/threads/${threads.ana}/notes?limit=100`, owner())
    expect(left.json().items.length).toBeGreaterThanOrEqual(4)
  })
})

describe('search and filters', () => {
  it('finds threads by contact name, phone (with or without formatting), WhatsApp id and message text', async () => {
    expect(await ids('?q=popescu')).toEqual([threads.ana])
    expect(await ids('?q=%2B40%20712-345')).toEqual([threads.ana])
    expect(await ids('?q=40722000')).toEqual([threads.bogdan])
    expect(await ids('?q=PRICE%20LIST')).toEqual([threads.carla])
    // An outgoing message's text counts too; another client's conversations never appear.
    expect(await ids('?q=sending%20it')).toEqual([threads.carla])
    expect(await ids(`?q=${encodeURIComponent('aveți loc')}`)).toEqual([threads.ana])
    expect(await ids('?q=nobody-says-this')).toEqual([])
  })

  it('matches % and _ literally', async () => {
    expect(await ids('?q=50%25')).toEqual([threads.bogdan])
    expect(await ids('?q=%25')).toEqual([threads.bogdan])
    expect(await ids('?q=a_m')).toEqual([threads.carla])
    expect(await ids('?q=_')).toEqual([threads.carla])
    expect(await ids('?q=%5C')).toEqual([])
  })

  it('refuses a search longer than 100 characters and unknown filters with 400', async () => {
    for (const query of [
      `?q=${'a'.repeat(101)}`,
      '?assigned=someone',
      '?unread=yes',
      '?channelId=x',
      '?label=',
      '?x=1',
    ]) {
      const res = await call(ctx.app, 'GET', `/api/inbox/threads${query}`, owner())
      expect(res.statusCode, query).toBe(400)
      expect(res.json().error.code).toBe('request.invalid')
    }
  })

  it('filters by assignee (me, none, a user), unread, label and number', async () => {
    await patch(threads.bogdan!, { assignedTo: w.user.id })
    expect(await ids('?assigned=me')).toEqual([threads.bogdan])
    expect((await list('?assigned=me', as(member))).items.map((t) => t.id)).toEqual([threads.ana])
    expect(await ids(`?assigned=${member.id}`)).toEqual([threads.ana])
    expect(new Set(await ids('?assigned=none'))).toEqual(new Set([threads.carla, threads.dan]))

    await call(ctx.app, 'POST', `/api/inbox/threads/${threads.dan}/read`, owner())
    expect(await ids('?unread=true')).not.toContain(threads.dan)
    expect(await ids('?unread=true')).toContain(threads.ana)

    expect(await ids('?label=VIP')).toEqual([threads.ana])
    expect(await ids('?label=vip')).toEqual([])
    expect(await ids(`?channelId=${channels.sales}`)).toEqual([threads.dan, threads.carla])
    expect(await ids(`?channelId=${channels.other}`)).toEqual([])
    // Filters combine.
    expect(await ids(`?channelId=${channels.front}&label=booking&assigned=${member.id}&q=ana`)).toEqual([threads.ana])
    expect(await ids(`?channelId=${channels.front}&label=follow-up`)).toEqual([])
  })

  it('keeps cursor pagination exact under a filter', async () => {
    // Many threads on one number, and a few on another that the filter leaves out, interleaved in time.
    const expected: string[] = []
    for (let i = 0; i < 9; i++) {
      const at = new Date(Date.UTC(2026, 11, 2, 9, 0, i))
      expected.unshift(
        await receive('sales', { waId: `4079900${String(i).padStart(4, '0')}`, name: `Lead ${i}` }, 'Hi', { at }),
      )
      await receive('front', { waId: `4078800${String(i).padStart(4, '0')}`, name: `Lead ${i}` }, 'Hi', { at })
    }
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `?q=lead&channelId=${channels.sales}&limit=4${cursor ? `&cursor=${cursor}` : ''}`
      const page = await list(query)
      expect(page.items.length).toBeLessThanOrEqual(4)
      seen.push(...page.items.map((t) => t.id))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).toEqual(expected)
  })
})

describe('suggested replies on the offline model', () => {
  it('drafts a reply with the customer-support agent, and sends or stores nothing', async () => {
    const messages = () =>
      ctx.container.db.selectFrom('inboxMessages').select('id').where('threadId', '=', threads.ana!).execute()
    const before = await messages()
    const thread = (await list()).items.find((t) => t.id === threads.ana)!
    const res = await call(ctx.app, 'POST', `/api/inbox/threads/${threads.ana}/suggest`, as(member), {})
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ agentId: 'builtin.customer-support' })
    expect(res.json().text.length).toBeGreaterThan(0)
    expect(await messages()).toEqual(before)
    expect((await list()).items.find((t) => t.id === threads.ana)).toEqual(thread)
  })

  it("answers 404 for another client's thread and 403 to a viewer", async () => {
    const other = await call(ctx.app, 'POST', `/api/inbox/threads/${threads.elsewhere}/suggest`, owner(), {})
    expect(other.statusCode).toBe(404)
    expect(other.json().error.code).toBe('inbox.thread_not_found')
    expect((await call(ctx.app, 'POST', `/api/inbox/threads/${threads.ana}/suggest`, as(viewer), {})).statusCode).toBe(
      403,
    )
  })

  it('refuses a thread with nothing from the customer to answer with 409', async () => {
    const quiet = await receive('front', { waId: '40766000555' }, 'We are open on Saturday.', { fromMe: true })
    const res = await call(ctx.app, 'POST', `/api/inbox/threads/${quiet}/suggest`, owner(), {})
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('inbox.nothing_to_suggest')
  })
})

describe('suggested replies, metered', () => {
  // gpt-4o-mini: $0.15 / $0.60 per million tokens; 1 credit = $0.01; charge = cost × 2 (100 % margin), rounded up.
  const expectedCharge = (input: number, output: number) =>
    Math.ceil(((input * 150_000 + output * 600_000) * 2) / 10_000)
  let ai: TestContext
  let fake: FakeOpenAI
  let o: Awaited<ReturnType<typeof onboard>>
  let threadId: string
  const me = (requestId?: string): Caller => ({
    cookie: o.user.cookie,
    headers: { 'x-client-id': o.clientId, ...(requestId ? { 'x-request-id': requestId } : {}) },
  })
  const suggest = (body: unknown, requestId?: string) =>
    call(ai.app, 'POST', `/api/inbox/threads/${threadId}/suggest`, me(requestId), body)
  const ledger = async (requestId: string) =>
    (
      await call(ai.app, 'GET', `/api/credits/ledger?requestId=${encodeURIComponent(requestId)}`, {
        cookie: o.user.cookie,
        workspaceId: o.workspaceId,
      })
    ).json().items as { kind: string; amount: number; surface: string; modelId: string }[]

  beforeAll(async () => {
    fake = await startFakeOpenAI({
      text: '  Da, avem loc sâmbătă la 15:00. Pe ce nume fac rezervarea?  ',
      usage: { prompt_tokens: 700, completion_tokens: 12 },
    })
    ai = await createTestContext({ OPENAI_API_KEY: 'sk-inbox-suggest', OPENAI_BASE_URL: fake.url })
    o = await onboard(ai.app, 'inbox-suggest')
    const channel = await call(ai.app, 'POST', '/api/channels', me(), { kind: 'qr', name: 'Front desk' })
    expect(channel.statusCode, channel.body).toBe(201)
    const ref = { id: channel.json().id as string, workspaceId: o.workspaceId, clientId: o.clientId }
    // 25 messages, alternating: the model reads the latest 20 (numbers 6 to 25), in order.
    for (let i = 1; i <= 25; i++)
      await ai.container.db.transaction().execute((trx) =>
        ai.container.inbox.inbox.receive(trx, ref, [
          {
            providerMessageId: `wamid.suggest-${i}`,
            party: { waId: '40712345678', name: 'Ana' },
            fromMe: i % 2 === 0,
            at: new Date(Date.UTC(2026, 11, 3, 10, i)),
            content: { type: 'text', text: `message number ${i}` },
          },
        ]),
      )
    threadId = (await ai.container.db.selectFrom('inboxThreads').select('id').executeTakeFirstOrThrow()).id
  })
  afterAll(async () => {
    await ai?.close()
    await fake?.close()
  })

  it('drafts from the latest 20 messages and the agent, and is debited once on the ledger', async () => {
    const res = await suggest({}, 'req-suggest-0001')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      text: 'Da, avem loc sâmbătă la 15:00. Pe ce nume fac rezervarea?',
      agentId: 'builtin.customer-support',
    })
    const sent = JSON.stringify(fake.completions().at(-1)!.body)
    expect(sent).toContain("customer support agent for the client's own customers")
    expect(sent).toContain('Customer: message number 25')
    expect(sent).toContain('Business: message number 6')
    expect(sent).not.toContain('message number 5\\n')
    expect(sent.indexOf('message number 6')).toBeLessThan(sent.indexOf('message number 7'))

    expect(await ledger('suggest:req-suggest-0001')).toEqual([
      expect.objectContaining({
        kind: 'debit',
        amount: -expectedCharge(700, 12),
        surface: 'inbox',
        modelId: 'openai:gpt-4o-mini',
      }),
    ])
    const calls = await ai.container.db.selectFrom('modelCalls').select(['surface', 'status', 'agentId']).execute()
    expect(calls).toEqual([{ surface: 'inbox', status: 'complete', agentId: 'builtin.customer-support' }])
    const stored = await ai.container.db.selectFrom('inboxMessages').select('id').execute()
    expect(stored).toHaveLength(25)
  })

  it('refuses a retry under the same request id without calling the model or charging again', async () => {
    const before = fake.completions().length
    const again = await suggest({}, 'req-suggest-0001')
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('request.not_replayable')
    expect(fake.completions().length).toBe(before)
    expect(await ledger('suggest:req-suggest-0001')).toHaveLength(1)
  })

  it('uses the agent asked for, and answers 404 for an agent that does not exist', async () => {
    const res = await suggest({ agentId: 'builtin.copywriter' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().agentId).toBe('builtin.copywriter')
    expect(JSON.stringify(fake.completions().at(-1)!.body)).toContain('conversion copywriter')
    const before = fake.completions().length
    for (const body of [{ agentId: 'builtin.nobody' }, { agentId: 'ag_doesnotexist000000000000' }]) {
      const missing = await suggest(body)
      expect(missing.statusCode).toBe(404)
      expect(missing.json().error.code).toBe('agents.not_found')
    }
    expect((await suggest({ agentId: '' })).statusCode).toBe(400)
    expect((await suggest({ other: 1 })).statusCode).toBe(400)
    expect(fake.completions().length).toBe(before)
  })

  it('gives up on a model that does not answer in time with 504, charging nothing', async () => {
    const slow = await startFakeOpenAI({ text: 'Too late.', firstTokenDelayMs: 5_000 })
    try {
      // The suggester as the inbox module builds it, on this workspace's ledger, with a short timeout.
      const suggester = createSuggester({
        db: ai.container.db,
        models: {
          forWorkspace: async () =>
            createModelSet({ openai: { apiKey: 'sk-slow', baseURL: slow.url }, offlineChunkDelayMs: 0 }),
        },
        metering: ai.container.credits.metering,
        agent: async () => ({ system: 'You answer customers.', modelId: null, tier: 'standard' }),
        timeoutMs: 50,
      })
      const scope = { userId: o.user.id, workspaceId: o.workspaceId, clientId: o.clientId, role: 'owner' as const }
      await expect(
        suggester.suggest(scope, threadId, {}, { requestId: 'req-suggest-slow', tokenId: null }),
      ).rejects.toMatchObject({ status: 504, code: 'inbox.suggestion_timed_out' })
      // The hold resolves as a debit of nothing.
      expect(await ledger('suggest:req-suggest-slow')).toEqual([expect.objectContaining({ kind: 'debit', amount: 0 })])
      expect(await ai.container.credits.ledger.balance(ai.container.db, o.workspaceId)).toMatchObject({ held: 0n })
    } finally {
      await slow.close()
    }
  })

  it('refuses with 402 when the credits do not cover it, calling no model and charging nothing', async () => {
    const b = await ai.container.credits.ledger.balance(ai.container.db, o.workspaceId)
    await ai.container.credits.ledger.post(ai.container.db, {
      workspaceId: o.workspaceId,
      kind: 'adjustment',
      amount: 100n - b.available,
      requestId: 'suggest-drain',
      reason: 'test',
    })
    const before = fake.completions().length
    const res = await suggest({}, 'req-suggest-poor')
    expect(res.statusCode).toBe(402)
    expect(res.json().error.code).toBe('credits.insufficient')
    expect(fake.completions().length).toBe(before)
    expect(await ledger('suggest:req-suggest-poor')).toEqual([])
    expect(await ai.container.credits.ledger.balance(ai.container.db, o.workspaceId)).toMatchObject({
      available: 100n,
      held: 0n,
    })
  })
})
