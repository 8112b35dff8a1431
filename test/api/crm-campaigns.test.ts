import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CampaignDto, RecipientDto } from '../../contracts/crm-campaigns.ts'
import { startFakeWhatsAppCloud, webhookOf, type FakeWhatsAppCloud } from '../fakes/whatsapp-cloud.ts'
import {
  addMember,
  call,
  createTestContext,
  onboard,
  TEST_INTERNAL_TOKEN,
  type Caller,
  type TestContext,
  type TestUser,
} from '../harness.ts'

/**
 * CRM campaigns (issue 14 §9): a broadcast to a segment of a client's contacts through a Cloud number's outbox (the
 * loopback Graph API fake): recipients frozen at start, opted-out contacts (a STOP message) skipped, one outbox message
 * per contact whatever is retried, cancel, templates required on Cloud numbers, the plan's monthly messages, and
 * per-recipient statuses following what WhatsApp reports.
 */
const APP_SECRET = 'meta-app-secret-0123456789abcdef'
const NUMBER = '106540352242933'
const WABA = '102290129340399'
const TOKEN = 'EAAG-token-campaigns-0123456789'

let ctx: TestContext
let fake: FakeWhatsAppCloud
let w: Awaited<ReturnType<typeof onboard>>
let member: TestUser
let channelId: string
const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
const asMember = (): Caller => ({ cookie: member.cookie, headers: { 'x-client-id': w.clientId } })
const deliver = (body: unknown) =>
  fake.deliver(
    webhookOf(() => ctx.app),
    body,
  )
const TEMPLATE = { type: 'template', name: 'spring_offer', language: 'ro', variables: ['{{name}}'] }
const runJob = (campaignId: string) =>
  ctx.container.jobs.find((j) => j.name === 'crm.run-campaign')!.handler({ campaignId })
const createCampaign = async (body: Record<string, unknown>) => {
  const res = await call(ctx.app, 'POST', '/api/crm/campaigns', owner(), {
    name: 'Spring',
    channelId,
    message: TEMPLATE,
    ...body,
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as CampaignDto
}
const get = async (id: string) =>
  (await call(ctx.app, 'GET', `/api/crm/campaigns/${id}`, owner())).json() as CampaignDto
const recipients = async (id: string, q = '') => {
  const res = await call(ctx.app, 'GET', `/api/crm/campaigns/${id}/recipients?limit=100${q}`, owner())
  expect(res.statusCode, res.body).toBe(200)
  return res.json().items as RecipientDto[]
}
const contact = async (name: string, phone: string | null, tags: string[]) => {
  const res = await call(ctx.app, 'POST', '/api/crm/contacts', owner(), {
    name,
    phones: phone ? [phone] : [],
    tags,
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id as string
}
const outboxRows = (campaignMessageIds: string[]) =>
  ctx.container.db.selectFrom('inboxMessages').select(['id', 'chatId']).where('id', 'in', campaignMessageIds).execute()

beforeAll(async () => {
  fake = await startFakeWhatsAppCloud({
    appSecret: APP_SECRET,
    pairRate: false,
    throughputPerSecond: 100_000,
    numbers: [{ phoneNumberId: NUMBER, accessToken: TOKEN, wabaId: WABA, displayPhoneNumber: '+40 700 000 009' }],
    templates: {
      [WABA]: [
        { name: 'spring_offer', language: 'ro' },
        { name: 'paused_offer', language: 'ro', status: 'PAUSED' },
      ],
    },
  })
  ctx = await createTestContext({
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
    WHATSAPP_GRAPH_API_BASE: fake.url,
    PLANS_FILE: 'config/plans.json',
  })
  w = await onboard(ctx.app, 'crm-campaigns')
  const plan = await call(
    ctx.app,
    'PUT',
    `/api/operator/workspaces/${w.workspaceId}/plan`,
    { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
    { plan: 'starter', reason: 'campaign test' },
  )
  expect(plan.statusCode, plan.body).toBe(200)
  member = await addMember(ctx.app, w.user, w.workspaceId, 'member')
  const ch = await call(ctx.app, 'POST', '/api/channels', owner(), {
    kind: 'cloud',
    name: 'Promotions',
    phoneNumberId: NUMBER,
    accessToken: TOKEN,
    businessAccountId: WABA,
  })
  expect(ch.statusCode, ch.body).toBe(201)
  channelId = ch.json().id
})
afterAll(async () => {
  await ctx?.close()
  await fake?.close()
})

describe('CRM campaigns', () => {
  const ids: Record<string, string> = {}

  it('records STOP from an inbound message as an opt-out, in the storing transaction, audited', async () => {
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40722100006', name: 'Stopper' }, '  Stop! '))).toBe(200)
    const [stopper] = (await call(ctx.app, 'GET', '/api/crm/contacts?q=40722100006', owner())).json().items
    ids.stopper = stopper.id
    await call(ctx.app, 'PATCH', `/api/crm/contacts/${stopper.id}`, owner(), { tags: ['vip'] })
    const consent = (await call(ctx.app, 'GET', `/api/crm/contacts/${stopper.id}/consent`, owner())).json()
    expect(consent).toMatchObject({ optedOut: true, history: [{ address: '40722100006', keyword: 'stop' }] })
    // Romanian, with diacritics and case folded; a sentence that merely contains the word is not an opt-out.
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40722100007' }, 'DEZABONARE'))).toBe(200)
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40722100008' }, 'please stop calling at night'))).toBe(200)
    const out = await ctx.container.db.selectFrom('crmOptOuts').select(['address', 'keyword']).execute()
    expect(out.map((o) => o.address).sort()).toEqual(['40722100006', '40722100007'])
    const audited = await ctx.container.db
      .selectFrom('auditEvents')
      .select('targetId')
      .where('action', '=', 'contact.opted_out')
      .execute()
    expect(audited.map((a) => a.targetId)).toContain(stopper.id)
  })

  it('refuses bad input with clear codes: a text on a Cloud number, a foreign number, validation', async () => {
    const text = await call(ctx.app, 'POST', '/api/crm/campaigns', owner(), {
      name: 'x',
      channelId,
      message: { type: 'text', text: 'Hi' },
    })
    expect(text.statusCode).toBe(400)
    expect(text.json().error.code).toBe('crm.campaign_needs_template')
    const foreign = await call(ctx.app, 'POST', '/api/crm/campaigns', owner(), {
      name: 'x',
      channelId: 'ch_aaaaaaaaaaaaaaaaaaaaaa',
      message: TEMPLATE,
    })
    expect(foreign.statusCode).toBe(404)
    expect(foreign.json().error.code).toBe('crm.number_not_found')
    for (const body of [
      { name: '', channelId, message: TEMPLATE },
      { name: 'x', channelId, message: { type: 'template', name: 'Bad Name', language: 'ro' } },
      { name: 'x', channelId, message: TEMPLATE, segment: { tagsAny: ['vip'], createdFrom: '2026-13' } },
      { name: 'x', channelId, message: TEMPLATE, extra: true },
    ]) {
      const res = await call(ctx.app, 'POST', '/api/crm/campaigns', owner(), body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
    }
    expect((await call(ctx.app, 'GET', '/api/crm/campaigns', { cookie: w.user.cookie })).statusCode).toBe(400)
  })

  it('previews the segment: opted-out and unreachable contacts left out, counted', async () => {
    ids.ana = await contact('Ana', '+40722100001', ['vip'])
    ids.bob = await contact('Bob', '+40722100002', ['vip', 'kids'])
    ids.cid = await contact('Cid', '+40722100003', ['other'])
    ids.dan = await contact('Dan (no phone)', null, ['vip'])
    const archived = await contact('Eve (archived)', '+40722100005', ['vip'])
    await call(ctx.app, 'POST', `/api/crm/contacts/${archived}/archive`, owner())
    const c = await createCampaign({ segment: { tagsAny: ['vip'] } })
    ids.campaign = c.id
    expect(c).toMatchObject({ status: 'draft', stats: null, channelKind: 'cloud' })
    const res = await call(ctx.app, 'POST', `/api/crm/campaigns/${c.id}/preview`, asMember(), {})
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ matching: 4, optedOut: 1, unreachable: 1, recipients: 2 })
    expect(res.json().first.map((r: { name: string }) => r.name)).toEqual(['Ana', 'Bob'])
    // A segment being edited, not saved: every tag.
    const all = await call(ctx.app, 'POST', `/api/crm/campaigns/${c.id}/preview`, owner(), {
      segment: { tagsAll: ['vip', 'kids'] },
    })
    expect(all.json()).toMatchObject({ matching: 1, recipients: 1 })
  })

  it('starts once (admins): freezes the recipients, queues one outbox message per contact, whatever is retried', async () => {
    const byMember = await call(ctx.app, 'POST', `/api/crm/campaigns/${ids.campaign}/start`, asMember())
    expect(byMember.statusCode).toBe(403)
    // The operator can switch campaigns off for a workspace: nothing starts, nothing is queued.
    const feature = (enabled: boolean | null) =>
      call(
        ctx.app,
        'PUT',
        `/api/operator/workspaces/${w.workspaceId}/features/campaigns`,
        { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
        { enabled, reason: 'campaign review' },
      )
    expect((await feature(false)).statusCode).toBe(200)
    const refused = await call(ctx.app, 'POST', `/api/crm/campaigns/${ids.campaign}/start`, owner())
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.code).toBe('features.disabled')
    expect((await call(ctx.app, 'GET', `/api/crm/campaigns/${ids.campaign}`, owner())).json().status).toBe('draft')
    expect((await feature(null)).statusCode).toBe(200)
    const started = await call(ctx.app, 'POST', `/api/crm/campaigns/${ids.campaign}/start`, owner())
    expect(started.statusCode, started.body).toBe(200)
    expect(started.json()).toMatchObject({
      status: 'sending',
      stats: { total: 4, pending: 2, skipped: 2, skippedBy: { opted_out: 1, no_whatsapp: 1 } },
    })
    const again = await call(ctx.app, 'POST', `/api/crm/campaigns/${ids.campaign}/start`, owner())
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('crm.campaign_not_draft')
    // Contacts added after the start are not in it: the segment was evaluated once.
    await contact('Late', '+40722100009', ['vip'])
    const edit = await call(ctx.app, 'PATCH', `/api/crm/campaigns/${ids.campaign}`, owner(), { name: 'Changed' })
    expect(edit.statusCode).toBe(409)

    await runJob(ids.campaign!)
    await runJob(ids.campaign!) // a retried job queues nothing more
    const rows = await recipients(ids.campaign!)
    expect(rows.map((r) => [r.name, r.state, r.reason])).toEqual([
      ['Stopper', 'skipped', 'opted_out'],
      ['Ana', 'queued', null],
      ['Bob', 'queued', null],
      ['Dan (no phone)', 'skipped', 'no_whatsapp'],
    ])
    const messageIds = rows.flatMap((r) => (r.messageId ? [r.messageId] : []))
    expect((await outboxRows(messageIds)).map((m) => m.chatId).sort()).toEqual(['40722100001', '40722100002'])
    // A batch whose record of the queueing was lost is run again: the outbox answers the same messages.
    await ctx.container.db
      .updateTable('crmCampaignRecipients')
      .set({ state: 'pending', messageId: null })
      .where('campaignId', '=', ids.campaign!)
      .where('state', '=', 'queued')
      .execute()
    await ctx.container.db
      .updateTable('crmCampaigns')
      .set({ status: 'sending' })
      .where('id', '=', ids.campaign!)
      .execute()
    await runJob(ids.campaign!)
    const rerun = await recipients(ids.campaign!, '&state=queued')
    expect(rerun.map((r) => r.messageId).sort()).toEqual([...messageIds].sort())
    const toAna = await ctx.container.db
      .selectFrom('inboxMessages')
      .select('id')
      .where('chatId', '=', '40722100001')
      .where('direction', '=', 'out')
      .execute()
    expect(toAna).toHaveLength(1)
    expect((await get(ids.campaign!)).status).toBe('done')
  })

  it('sends the template through the outbox and follows each message to delivered and read', async () => {
    const rows = await recipients(ids.campaign!, '&state=queued')
    for (const r of rows) await ctx.container.inbox.outbox.deliver(r.messageId!)
    const ana = fake.sent.find((m) => m.to === '40722100001')!
    expect(ana).toMatchObject({ type: 'template' })
    expect(ana.body.template).toMatchObject({
      name: 'spring_offer',
      language: { code: 'ro' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
    })
    expect(await deliver(fake.statuses(NUMBER, [{ message: ana, status: 'delivered' }]))).toBe(200)
    expect(await deliver(fake.statuses(NUMBER, [{ message: ana, status: 'read' }]))).toBe(200)
    const c = await get(ids.campaign!)
    expect(c.stats).toMatchObject({ total: 4, queued: 0, sent: 1, read: 1, skipped: 2 })
    expect((await recipients(ids.campaign!, '&state=read')).map((r) => r.name)).toEqual(['Ana'])
    expect((await recipients(ids.campaign!, '&state=sent')).map((r) => r.name)).toEqual(['Bob'])
    const list = (await call(ctx.app, 'GET', '/api/crm/campaigns', owner())).json().items as CampaignDto[]
    expect(list.find((x) => x.id === ids.campaign)).toMatchObject({ status: 'done', stats: { read: 1 } })
    // WhatsApp reports Bob's message undeliverable: the recipient shows failed, with the provider's error.
    const bob = fake.sent.find((m) => m.to === '40722100002')!
    expect(await deliver(fake.statuses(NUMBER, [{ message: bob, status: 'failed', code: 131026 }]))).toBe(200)
    expect((await get(ids.campaign!)).stats).toMatchObject({ sent: 0, read: 1, failed: 1 })
    const [failed] = await recipients(ids.campaign!, '&state=failed')
    expect(failed).toMatchObject({ name: 'Bob', state: 'failed', error: { code: expect.stringContaining('131026') } })
    const bad = await call(ctx.app, 'GET', `/api/crm/campaigns/${ids.campaign}/recipients?state=lost`, owner())
    expect(bad.statusCode).toBe(400)
    const badSegment = await call(ctx.app, 'POST', `/api/crm/campaigns/${ids.campaign}/preview`, owner(), {
      segment: { tagsAny: 'vip' },
    })
    expect(badSegment.statusCode).toBe(400)
  })

  it('starts once and queues once when two starts and two job runs race', async () => {
    for (let i = 0; i < 4; i++) await contact(`Racer ${i}`, `+4072210020${i}`, ['race'])
    const c = await createCampaign({ name: 'Race', segment: { tagsAny: ['race'] } })
    const starts = await Promise.all(
      [0, 1].map(() => call(ctx.app, 'POST', `/api/crm/campaigns/${c.id}/start`, owner())),
    )
    expect(starts.map((r) => r.statusCode).sort()).toEqual([200, 409])
    await Promise.all([runJob(c.id), runJob(c.id)])
    const rows = await recipients(c.id)
    expect(rows.map((r) => r.state)).toEqual(['queued', 'queued', 'queued', 'queued'])
    const out = await outboxRows(rows.map((r) => r.messageId!))
    expect(out).toHaveLength(4)
    const toRacers = await ctx.container.db
      .selectFrom('inboxMessages')
      .select('id')
      .where('chatId', 'like', '4072210020%')
      .execute()
    expect(toRacers).toHaveLength(4)
    expect((await get(c.id)).stats).toMatchObject({ total: 4, queued: 4 })
  })

  it('honours a STOP that arrives mid-campaign, and cancels what is not queued yet', async () => {
    for (let i = 0; i < 3; i++) await contact(`Kid ${i}`, `+4072210010${i}`, ['kids'])
    const c = await createCampaign({ name: 'Kids', segment: { tagsAny: ['kids'] } })
    expect((await call(ctx.app, 'POST', `/api/crm/campaigns/${c.id}/start`, owner())).statusCode).toBe(200)
    // Kid 0 writes STOP after the start, before the job queues them.
    expect(await deliver(fake.inboundText(NUMBER, { waId: '40722100100' }, 'stop'))).toBe(200)
    await runJob(c.id)
    const rows = await recipients(c.id)
    expect(rows.find((r) => r.name === 'Kid 0')).toMatchObject({ state: 'skipped', reason: 'opted_out' })
    expect(rows.filter((r) => r.state === 'queued')).toHaveLength(3)

    const later = await createCampaign({ name: 'Cancelled', segment: { tagsAny: ['kids'] } })
    expect((await call(ctx.app, 'POST', `/api/crm/campaigns/${later.id}/start`, owner())).statusCode).toBe(200)
    const cancel = await call(ctx.app, 'POST', `/api/crm/campaigns/${later.id}/cancel`, asMember())
    expect(cancel.statusCode, cancel.body).toBe(200)
    expect(cancel.json()).toMatchObject({ status: 'cancelled', stats: { pending: 0, skippedBy: { cancelled: 3 } } })
    await runJob(later.id)
    expect((await recipients(later.id)).every((r) => r.state === 'skipped' && r.messageId === null)).toBe(true)
    const twice = await call(ctx.app, 'POST', `/api/crm/campaigns/${later.id}/cancel`, owner())
    expect(twice.json().error.code).toBe('crm.campaign_finished')
    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('targetId', '=', later.id)
      .execute()
    expect(audit.map((a) => a.action).sort()).toEqual(['campaign.cancelled', 'campaign.created', 'campaign.started'])
  })

  it('lets an admin record an opt-in back, keeping the opt-out in the history', async () => {
    const res = await call(ctx.app, 'POST', `/api/crm/contacts/${ids.stopper}/opt-in`, owner(), {
      reason: 'Asked at the shop counter',
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ optedOut: false })
    expect(res.json().history.map((h: { state: string }) => h.state)).toEqual(['opted_in', 'opted_out'])
    const byMember = await call(ctx.app, 'POST', `/api/crm/contacts/${ids.stopper}/opt-in`, asMember(), {
      reason: 'nope',
    })
    expect(byMember.statusCode).toBe(403)
  })

  it('refuses a template that is not approved on the number at start', async () => {
    const c = await createCampaign({ message: { type: 'template', name: 'paused_offer', language: 'ro' } })
    const res = await call(ctx.app, 'POST', `/api/crm/campaigns/${c.id}/start`, owner())
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({ code: 'crm.template_not_approved' })
    expect((await get(c.id)).status).toBe('draft')
  })

  it("refuses a campaign larger than the plan's messages left (402), and skips recipients past it at queue time", async () => {
    await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${w.workspaceId}/plan`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { plan: 'free', reason: 'campaign test' },
    )
    // Fill the month up to 299 of the Free plan's 300 messages with copies of a sent message.
    const sent = await ctx.container.db
      .selectFrom('inboxMessages')
      .selectAll()
      .where('sentBy', 'is not', null)
      .execute()
    const model = sent[0]!
    for (let i = sent.length; i < 299; i++)
      await ctx.container.db
        .insertInto('inboxMessages')
        .values({
          ...model,
          id: `im_fill${String(i).padStart(16, '0')}`,
          clientMessageId: null,
          providerMessageId: null,
          content: JSON.stringify(model.content),
          error: null,
        })
        .execute()
    const big = await createCampaign({ name: 'Too big', segment: { tagsAny: ['vip'] } })
    const refused = await call(ctx.app, 'POST', `/api/crm/campaigns/${big.id}/start`, owner())
    expect(refused.statusCode).toBe(402)
    expect(refused.json().error).toMatchObject({ code: 'plan.limit_reached', details: { limit: 'messagesPerMonth' } })
    expect((await get(big.id)).status).toBe('draft')

    const one = await createCampaign({ name: 'One', segment: { tagsAll: ['vip', 'kids'] } })
    expect((await call(ctx.app, 'POST', `/api/crm/campaigns/${one.id}/start`, owner())).statusCode).toBe(200)
    // Someone replies from the inbox meanwhile and takes the last message of the month.
    await ctx.container.db
      .insertInto('inboxMessages')
      .values({
        ...model,
        id: 'im_fill_last_000000000000',
        clientMessageId: null,
        providerMessageId: null,
        content: JSON.stringify(model.content),
        error: null,
      })
      .execute()
    await runJob(one.id)
    expect(await recipients(one.id)).toMatchObject([{ name: 'Bob', state: 'skipped', reason: 'plan_limit' }])
  })

  it('never deletes a campaign, a recipient or an opt-out, and never rewrites an opt-out (database guards)', async () => {
    const db = ctx.container.db
    await expect(db.deleteFrom('crmCampaigns').execute()).rejects.toThrow()
    await expect(db.deleteFrom('crmCampaignRecipients').execute()).rejects.toThrow()
    await expect(db.deleteFrom('crmOptOuts').execute()).rejects.toThrow()
    await expect(db.updateTable('crmOptOuts').set({ state: 'opted_in' }).execute()).rejects.toThrow(/append-only/)
  })

  it('answers 404 for a campaign of another client, and never the campaign', async () => {
    const other = await onboard(ctx.app, 'crm-campaigns-other')
    const as = { cookie: other.user.cookie, headers: { 'x-client-id': other.clientId } }
    for (const [method, url] of [
      ['GET', `/api/crm/campaigns/${ids.campaign}`],
      ['POST', `/api/crm/campaigns/${ids.campaign}/cancel`],
      ['GET', `/api/crm/campaigns/${ids.campaign}/recipients`],
    ] as const) {
      const res = await call(ctx.app, method, url, as)
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('crm.campaign_not_found')
    }
    expect((await call(ctx.app, 'GET', '/api/crm/campaigns', as)).json().items).toEqual([])
  })
})
