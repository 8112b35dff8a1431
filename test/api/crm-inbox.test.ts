import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContactDto, TimelineItem } from '../../contracts/crm.ts'
import { call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

/**
 * The CRM fed by the inbox (issue 14 §1, §5): a WhatsApp message from an identity no contact has makes a contact in the
 * storing transaction (once, whatever is redelivered), joins the contact that has its phone, moves the last contact
 * time; and a contact's timeline merges notes, tasks, bookings, deals and its WhatsApp messages, newest first.
 */
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
let channelId: string
const created: { contactId: string; source: string }[] = []

const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
let seq = 0
/** Messages as the number's driver hands them over: through the inbox's receivers, so its subscribers run. */
const receive = async (party: { waId: string; name?: string; phone?: string }, texts: string[], at?: Date) => {
  const channel = { id: channelId, workspaceId: w.workspaceId, clientId: w.clientId }
  const after = await ctx.container.db.transaction().execute((trx) =>
    ctx.container.inbox.receivers.inbound(
      trx,
      channel,
      texts.map((text) => ({
        providerMessageId: `wamid.crm-${++seq}`,
        party,
        fromMe: false,
        at: at ?? new Date(Date.UTC(2026, 11, 1, 9, 0, seq)),
        content: { type: 'text' as const, text },
      })),
    ),
  )
  after()
}
const contactsWith = async (q: string) =>
  (await call(ctx.app, 'GET', `/api/crm/contacts?q=${encodeURIComponent(q)}`, owner())).json().items as ContactDto[]

beforeAll(async () => {
  ctx = await createTestContext()
  w = await onboard(ctx.app, 'crm-inbox')
  channelId = (await call(ctx.app, 'POST', '/api/channels', owner(), { kind: 'qr', name: 'Front desk' })).json().id
  ctx.container.events.on('crm.contact-created', async (_h, e) => void created.push(e))
})
afterAll(async () => {
  await ctx.close()
})

describe('CRM fed by the inbox', () => {
  it('makes one contact from a new WhatsApp identity, with its name, phone and identity', async () => {
    await receive({ waId: '40722000001', name: 'Maria Ionescu' }, ['Hello', 'Do you do parties?'])
    await receive({ waId: '40722000001', name: 'Maria Ionescu' }, ['Still there?'])
    const found = await contactsWith('40722000001')
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({
      name: 'Maria Ionescu',
      phones: ['+40722000001'],
      identities: ['40722000001'],
    })
    expect(found[0]!.profile.lastContactAt).toBe(new Date(Date.UTC(2026, 11, 1, 9, 0, seq)).toISOString())
    expect(created.filter((e) => e.contactId === found[0]!.id)).toEqual([
      expect.objectContaining({ source: 'inbox', clientId: w.clientId }),
    ])
  })

  it('attaches a LID identity to the live contact that already has its phone', async () => {
    const known = (
      await call(ctx.app, 'POST', '/api/crm/contacts', owner(), { name: 'Known', phones: ['+40 722 000 002'] })
    ).json() as ContactDto
    await receive({ waId: '123456789012345@lid', phone: '40722000002', name: 'K' }, ['Hi, it is me'])
    const again = (await call(ctx.app, 'GET', `/api/crm/contacts/${known.id}`, owner())).json() as ContactDto
    expect(again.identities).toEqual(['123456789012345@lid'])
    expect(again.name).toBe('Known')
    expect(again.profile.lastContactAt).not.toBeNull()
  })

  it('moves the last contact time only forward', async () => {
    await receive({ waId: '40722000003', name: 'Late' }, ['Newer'], new Date('2026-12-05T10:00:00Z'))
    await receive({ waId: '40722000003', name: 'Late' }, ['Older, delivered late'], new Date('2026-12-04T10:00:00Z'))
    const [c] = await contactsWith('40722000003')
    expect(c!.profile.lastContactAt).toBe('2026-12-05T10:00:00.000Z')
  })

  it('merges notes, tasks, bookings, deals and WhatsApp messages into one timeline, newest first, paged', async () => {
    await receive({ waId: '40722000004', name: 'Timeline' }, ['First message'], new Date('2020-01-01T10:00:00Z'))
    const [c] = await contactsWith('40722000004')
    const id = c!.id
    await call(ctx.app, 'POST', `/api/crm/contacts/${id}/notes`, owner(), { body: 'A note' })
    await call(ctx.app, 'POST', `/api/crm/contacts/${id}/tasks`, owner(), { title: 'A task', dueDate: '2026-12-24' })
    await call(ctx.app, 'POST', '/api/crm/bookings', owner(), {
      contactId: id,
      date: '2026-12-20',
      timeZone: 'Europe/Bucharest',
    })
    await call(ctx.app, 'POST', '/api/crm/deals', owner(), { title: 'A deal', contactId: id })
    await receive({ waId: '40722000004', name: 'Timeline' }, ['Latest message'], new Date('2099-01-01T10:00:00Z'))
    const seen: TimelineItem[] = []
    let cursor: string | null = null
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2'
      const res = await call(ctx.app, 'GET', `/api/crm/contacts/${id}/timeline${q}`, owner())
      expect(res.statusCode, res.body).toBe(200)
      seen.push(...res.json().items)
      cursor = res.json().nextCursor
    } while (cursor)
    expect(seen.map((i) => i.kind)).toEqual(['message', 'deal', 'booking', 'task', 'note', 'message'])
    const texts = seen.flatMap((i) => (i.kind === 'message' ? [i.message.text] : []))
    expect(texts).toEqual(['Latest message', 'First message'])
    const times = seen.map((i) => i.at)
    expect([...times].sort().reverse()).toEqual(times)
  })

  it('marks a task done and keeps it', async () => {
    const [c] = await contactsWith('40722000004')
    const task = (await call(ctx.app, 'GET', `/api/crm/contacts/${c!.id}/tasks`, owner())).json().items[0]
    const done = await call(ctx.app, 'PATCH', `/api/crm/tasks/${task.id}`, owner(), { done: true })
    expect(done.json()).toMatchObject({ done: true, title: 'A task', dueDate: '2026-12-24' })
    const bad = await call(ctx.app, 'PATCH', `/api/crm/tasks/${task.id}`, owner(), { dueDate: '2026-02-31' })
    expect(bad.json().error.code).toBe('crm.invalid_date')
  })
})
