import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ThreadDto } from '../../contracts/inbox.ts'
import { autoReplyIdOf, createAutoReplier } from '../../src/modules/inbox/auto-reply.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.ts'
import { startFakeWhatsAppCloud, type FakeWhatsAppCloud, webhookOf } from '../fakes/whatsapp-cloud.ts'
import {
  addMember,
  call,
  createTestContext,
  onboard,
  TEST_INTERNAL_TOKEN,
  type Caller,
  type TestContext,
} from '../harness.ts'

const APP_SECRET = 'meta-app-secret-auto-reply-0123456'
const NUMBER = '106540352249999'
const TOKEN = 'EAAG-auto-reply-0123456789-abcdef'
const REPLY = 'Bună! Da, avem loc sâmbătă. Pe ce nume fac rezervarea?'

/**
 * Auto-reply per number with human takeover (issue 13 §7): a contact's message on a number whose auto-reply is on is
 * answered once by the number's agent — metered like a suggestion, queued through the outbox under an id derived from
 * the message — until a person writes in the thread.
 */
describe('auto-reply', () => {
  let ctx: TestContext
  let cloud: FakeWhatsAppCloud
  let ai: FakeOpenAI
  let w: Awaited<ReturnType<typeof onboard>>
  let viewerCookie: string
  let channelId: string
  let waSeq = 0
  const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
  /** A contact writes to the number through the Cloud webhook (Meta may deliver the same body again). */
  const deliver = async (body: unknown) => {
    const status = await cloud.deliver(
      webhookOf(() => ctx.app),
      body,
    )
    expect(status).toBe(200)
    await ctx.container.inbox.autoReply.idle()
  }
  const write = async (waId: string, text: string) => {
    const body = cloud.inboundText(NUMBER, { waId, name: `Contact ${waId.slice(-3)}` }, text, {
      id: `wamid.auto-${++waSeq}`,
    })
    await deliver(body)
    return body
  }
  const threadOf = async (waId: string) => {
    const items = (await call(ctx.app, 'GET', '/api/inbox/threads', owner())).json().items as ThreadDto[]
    return items.find((t) => t.contact.waId === waId)!
  }
  const inboundIds = async (threadId: string) =>
    (
      await ctx.container.db
        .selectFrom('inboxMessages')
        .select('id')
        .where('threadId', '=', threadId)
        .where('direction', '=', 'in')
        .orderBy('at')
        .execute()
    ).map((m) => m.id)
  const outbound = (threadId: string) =>
    ctx.container.db
      .selectFrom('inboxMessages')
      .select(['id', 'content', 'clientMessageId', 'sentBy'])
      .where('threadId', '=', threadId)
      .where('direction', '=', 'out')
      .execute()
  const debits = async (messageId: string) =>
    (
      await call(ctx.app, 'GET', `/api/credits/ledger?requestId=${encodeURIComponent(`suggest:auto:${messageId}`)}`, {
        cookie: w.user.cookie,
        workspaceId: w.workspaceId,
      })
    ).json().items as { kind: string; amount: number; surface: string }[]
  const setAutoReply = (body: unknown, caller = owner(), id = channelId) =>
    call(ctx.app, 'PUT', `/api/channels/${id}/auto-reply`, caller, body)
  const skips = () =>
    ctx.container.db
      .selectFrom('auditEvents')
      .select(['targetId', 'metadata'])
      .where('action', '=', 'inbox.auto_reply_skipped')
      .execute()

  beforeAll(async () => {
    cloud = await startFakeWhatsAppCloud({
      appSecret: APP_SECRET,
      pairRate: false,
      numbers: [{ phoneNumberId: NUMBER, accessToken: TOKEN, displayPhoneNumber: '+40 700 000 009' }],
    })
    ai = await startFakeOpenAI({ text: `  ${REPLY}  `, usage: { prompt_tokens: 500, completion_tokens: 14 } })
    ctx = await createTestContext({
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'verify-token-auto',
      WHATSAPP_GRAPH_API_BASE: cloud.url,
      PLANS_FILE: 'config/plans.json',
      OPENAI_API_KEY: 'sk-auto-reply',
      OPENAI_BASE_URL: ai.url,
    })
    w = await onboard(ctx.app, 'auto-reply')
    const plan = await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${w.workspaceId}/plan`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { plan: 'starter', reason: 'auto-reply test' },
    )
    expect(plan.statusCode, plan.body).toBe(200)
    viewerCookie = (await addMember(ctx.app, w.user, w.workspaceId, 'viewer')).cookie
    const ch = await call(ctx.app, 'POST', '/api/channels', owner(), {
      kind: 'cloud',
      name: 'Front desk',
      phoneNumberId: NUMBER,
      accessToken: TOKEN,
    })
    expect(ch.statusCode, ch.body).toBe(201)
    channelId = ch.json().id as string
  })
  afterAll(async () => {
    await ctx?.close()
    await cloud?.close()
    await ai?.close()
  })

  it('is off by default: a message is stored and nobody answers', async () => {
    const ch = await call(ctx.app, 'GET', `/api/channels/${channelId}`, owner())
    expect(ch.json().autoReply).toEqual({ enabled: false, agentId: null })
    await write('40711000001', 'Bună ziua, aveți loc?')
    const thread = await threadOf('40711000001')
    expect(thread.autoReplyPaused).toBe(false)
    expect(await outbound(thread.id)).toEqual([])
    expect(ai.completions()).toHaveLength(0)
  })

  it('is set by admins only, with one of the client’s agents, and audited', async () => {
    const viewer = { cookie: viewerCookie, headers: { 'x-client-id': w.clientId } }
    expect((await setAutoReply({ enabled: true, agentId: null }, viewer)).statusCode).toBe(403)
    const unknown = await setAutoReply({ enabled: true, agentId: 'builtin.nobody' })
    expect(unknown.statusCode).toBe(422)
    expect(unknown.json().error.code).toBe('channels.auto_reply_agent_unknown')
    expect((await setAutoReply({ enabled: 'yes', agentId: null })).statusCode).toBe(400)
    expect((await setAutoReply({ enabled: true })).statusCode).toBe(400)
    expect((await setAutoReply({ enabled: true, agentId: null }, owner(), 'ch_doesnotexist00000000')).statusCode).toBe(
      404,
    )

    const res = await setAutoReply({ enabled: true, agentId: 'builtin.customer-support' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ enabled: true, agentId: 'builtin.customer-support' })
    const ch = await call(ctx.app, 'GET', `/api/channels/${channelId}`, owner())
    expect(ch.json().autoReply).toEqual({ enabled: true, agentId: 'builtin.customer-support' })
    const audited = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['actorUserId', 'metadata'])
      .where('action', '=', 'channel.auto_reply_changed')
      .where('targetId', '=', channelId)
      .execute()
    expect(audited).toEqual([
      {
        actorUserId: w.user.id,
        metadata: expect.objectContaining({ enabled: true, agentId: 'builtin.customer-support' }),
      },
    ])
  })

  it('answers an inbound message exactly once, however often Meta delivers it or the job runs, with one debit', async () => {
    const body = await write('40711000002', 'Aveți loc sâmbătă pentru 4 persoane?')
    await deliver(body) // Meta redelivers: not stored again, not answered again
    const thread = await threadOf('40711000002')
    const [messageId] = await inboundIds(thread.id)
    // The backstop job (or a retry) runs again: the reply is already queued.
    expect(
      await ctx.container.inbox.autoReply.reply({
        workspaceId: w.workspaceId,
        clientId: w.clientId,
        channelId,
        threadId: thread.id,
        messageId: messageId!,
      }),
    ).toBe('replied_before')

    const out = await outbound(thread.id)
    expect(out).toEqual([
      {
        id: expect.any(String),
        content: { type: 'text', text: REPLY },
        clientMessageId: autoReplyIdOf(messageId!),
        sentBy: w.user.id, // the number's creator
      },
    ])
    expect(ai.completions()).toHaveLength(1)
    expect(await debits(messageId!)).toEqual([expect.objectContaining({ kind: 'debit', surface: 'inbox' })])
    expect((await debits(messageId!))[0]!.amount).toBeLessThan(0)
    // The outbox sends it once.
    await ctx.container.inbox.outbox.deliver(out[0]!.id)
    await ctx.container.inbox.outbox.deliver(out[0]!.id)
    expect(cloud.sendsOf(out[0]!.id)).toBe(1)
  })

  it('sends the draft it paid for when queueing it failed once: a retry reuses it, no second draft, one debit', async () => {
    // The database refuses the auto reply's row once (a failover, a full disk): the draft is made and paid for, the
    // queueing fails, the job retries.
    await sql`create or replace function refuse_auto_reply() returns trigger language plpgsql as $$
      begin if new.client_message_id like 'auto_%' then raise exception 'disk full'; end if; return new; end $$`.execute(
      ctx.container.db,
    )
    await sql`create trigger refuse_auto_reply before insert on inbox_messages for each row
      execute function refuse_auto_reply()`.execute(ctx.container.db)
    const calls = ai.completions().length
    await write('40711000077', 'Mai aveți loc duminică?')
    const thread = await threadOf('40711000077')
    const [messageId] = await inboundIds(thread.id)
    expect(await outbound(thread.id)).toEqual([])
    await sql`drop trigger refuse_auto_reply on inbox_messages`.execute(ctx.container.db)

    const r = {
      workspaceId: w.workspaceId,
      clientId: w.clientId,
      channelId,
      threadId: thread.id,
      messageId: messageId!,
    }
    expect(await ctx.container.inbox.autoReply.reply(r)).toBe('queued')
    expect(await outbound(thread.id)).toEqual([expect.objectContaining({ content: { type: 'text', text: REPLY } })])
    expect(ai.completions().length - calls).toBe(1)
    expect(await debits(messageId!)).toHaveLength(1)
    expect(await ctx.container.inbox.autoReply.reply(r)).toBe('replied_before')
  })

  it('pauses when a person writes in the thread, and answers again once resumed', async () => {
    await write('40711000003', 'Salut!')
    const thread = await threadOf('40711000003')
    expect(await outbound(thread.id)).toHaveLength(1)

    const byHand = await call(ctx.app, 'POST', `/api/inbox/threads/${thread.id}/messages`, owner(), {
      text: 'Bună, sunt Maria, vă ajut eu.',
    })
    expect(byHand.statusCode, byHand.body).toBe(201)
    expect((await threadOf('40711000003')).autoReplyPaused).toBe(true)
    const calls = ai.completions().length
    await write('40711000003', 'Mulțumesc, Maria!')
    expect(await outbound(thread.id)).toHaveLength(2) // the auto reply and Maria's, nothing new
    expect(ai.completions()).toHaveLength(calls)

    const resumed = await call(ctx.app, 'POST', `/api/inbox/threads/${thread.id}/auto-reply`, owner(), {
      paused: false,
    })
    expect(resumed.statusCode, resumed.body).toBe(200)
    expect(resumed.json().autoReplyPaused).toBe(false)
    await write('40711000003', 'Încă o întrebare.')
    expect(await outbound(thread.id)).toHaveLength(3)

    const paused = await call(ctx.app, 'POST', `/api/inbox/threads/${thread.id}/auto-reply`, owner(), { paused: true })
    expect(paused.json().autoReplyPaused).toBe(true)
    const actions = await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('targetId', '=', thread.id)
      .where('action', 'in', ['inbox.auto_reply_paused', 'inbox.auto_reply_resumed'])
      .orderBy('seq')
      .execute()
    expect(actions.map((a) => a.action)).toEqual(['inbox.auto_reply_resumed', 'inbox.auto_reply_paused'])
    const bad = await call(ctx.app, 'POST', `/api/inbox/threads/${thread.id}/auto-reply`, owner(), { paused: 'no' })
    expect(bad.statusCode).toBe(400)
    const viewer = { cookie: viewerCookie, headers: { 'x-client-id': w.clientId } }
    expect(
      (await call(ctx.app, 'POST', `/api/inbox/threads/${thread.id}/auto-reply`, viewer, { paused: false })).statusCode,
    ).toBe(403)
  })

  it('drops a reply drafted while a person took the thread over', async () => {
    // The message arrives while auto-reply is off; then a replier runs whose draft is done exactly when a person has
    // answered in the thread: the pause is checked again, under the thread's lock, right before queueing.
    expect((await setAutoReply({ enabled: false, agentId: null })).statusCode).toBe(200)
    await write('40711000004', 'Cât costă?')
    expect((await setAutoReply({ enabled: true, agentId: null })).statusCode).toBe(200)
    const thread = await threadOf('40711000004')
    const [messageId] = await inboundIds(thread.id)
    const replier = createAutoReplier({
      db: ctx.container.db,
      queue: ctx.container.queue,
      settings: ctx.container.channels.autoReply,
      outbox: ctx.container.inbox.outbox,
      audit: ctx.container.audit,
      memberOf: async () => true,
      features: ctx.container.features,
      suggester: {
        suggest: async () => {
          const byHand = await call(ctx.app, 'POST', `/api/inbox/threads/${thread.id}/messages`, owner(), {
            text: 'Prețul este 100 de lei.',
          })
          expect(byHand.statusCode, byHand.body).toBe(201)
          return { text: 'A draft nobody should see.', agentId: 'builtin.customer-support' }
        },
      },
    })
    const outcome = await replier.reply({
      workspaceId: w.workspaceId,
      clientId: w.clientId,
      channelId,
      threadId: thread.id,
      messageId: messageId!,
    })
    expect(outcome).toBe('paused')
    const out = await outbound(thread.id)
    expect(out).toEqual([expect.objectContaining({ content: { type: 'text', text: 'Prețul este 100 de lei.' } })])
    expect((await threadOf('40711000004')).autoReplyPaused).toBe(true)
  })

  it('sends nothing when the credits do not cover the draft, leaving the thread unread with an audit event', async () => {
    const b = await ctx.container.credits.ledger.balance(ctx.container.db, w.workspaceId)
    await ctx.container.credits.ledger.post(ctx.container.db, {
      workspaceId: w.workspaceId,
      kind: 'adjustment',
      amount: 1n - b.available,
      requestId: 'auto-reply-drain',
      reason: 'test',
    })
    const calls = ai.completions().length
    await write('40711000005', 'Mai aveți loc?')
    const thread = await threadOf('40711000005')
    const [messageId] = await inboundIds(thread.id)
    expect(await outbound(thread.id)).toEqual([])
    expect(ai.completions()).toHaveLength(calls)
    expect(thread.unread).toBe(1)
    expect(await debits(messageId!)).toEqual([])
    expect((await skips()).filter((s) => s.targetId === thread.id)).toEqual([
      { targetId: thread.id, metadata: expect.objectContaining({ reason: 'credits.insufficient', messageId }) },
    ])
  })
  it('answers nobody once the operator switches auto-reply off for the workspace, and cannot be switched on meanwhile', async () => {
    expect((await setAutoReply({ enabled: true, agentId: null })).statusCode).toBe(200)
    const op = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
    const off = await call(ctx.app, 'PUT', `/api/operator/workspaces/${w.workspaceId}/features/auto_reply`, op, {
      enabled: false,
      reason: 'customer complaints',
    })
    expect(off.statusCode, off.body).toBe(200)
    const before = ai.completions().length
    await write('40711000009', 'Mai aveți locuri?')
    const thread = await threadOf('40711000009')
    expect(await outbound(thread.id)).toEqual([])
    expect(ai.completions()).toHaveLength(before)
    expect((await skips()).filter((e) => e.targetId === thread.id)).toEqual([
      { targetId: thread.id, metadata: expect.objectContaining({ reason: 'features.disabled' }) },
    ])
    const again = await setAutoReply({ enabled: true, agentId: null })
    expect(again.statusCode).toBe(403)
    expect(again.json().error).toMatchObject({ code: 'features.disabled', details: { feature: 'auto_reply' } })
    // Switching it off stays possible; back to the default, it answers again.
    expect((await setAutoReply({ enabled: false, agentId: null })).statusCode).toBe(200)
    const reset = await call(ctx.app, 'PUT', `/api/operator/workspaces/${w.workspaceId}/features/auto_reply`, op, {
      enabled: null,
      reason: 'resolved',
    })
    expect(reset.json()).toMatchObject({ feature: 'auto_reply', enabled: true, source: 'default' })
    expect((await setAutoReply({ enabled: true, agentId: null })).statusCode).toBe(200)
  })
})
