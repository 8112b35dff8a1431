import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BookingDto, ContactDto } from '../../contracts/crm.ts'
import {
  addMember,
  call,
  createTestContext,
  driver,
  onboard,
  type Caller,
  type TestContext,
  type TestUser,
} from '../harness.ts'

/**
 * Bookings (issue 14 §3, §5): validated dates, times and IANA zones, money in minor units, always a new booking, source
 * messages checked through the inbox, and the contact's profile figures kept in the booking's transaction — exact under
 * concurrent saves on PostgreSQL. Cancelled bookings count for nothing (neither the count nor the spend).
 */
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
let viewer: TestUser
let outsider: Awaited<ReturnType<typeof onboard>>

const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
const contact = async (name: string) => {
  const res = await call(ctx.app, 'POST', '/api/crm/contacts', owner(), { name })
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as ContactDto
}
const book = (body: Record<string, unknown>, caller = owner()) =>
  call(ctx.app, 'POST', '/api/crm/bookings', caller, { timeZone: 'Europe/Bucharest', date: '2026-03-14', ...body })
const booked = async (body: Record<string, unknown>) => {
  const res = await book(body)
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as BookingDto
}
const profileOf = async (id: string) =>
  ((await call(ctx.app, 'GET', `/api/crm/contacts/${id}`, owner())).json() as ContactDto).profile

beforeAll(async () => {
  ctx = await createTestContext()
  w = await onboard(ctx.app, 'crm-bookings')
  viewer = await addMember(ctx.app, w.user, w.workspaceId, 'viewer')
  outsider = await onboard(ctx.app, 'crm-bookings-outsider')
})
afterAll(async () => {
  await ctx.close()
})

describe('CRM bookings', () => {
  it('saves a booking with its details, and saving the same twice makes two', async () => {
    const c = await contact('Party host')
    const body = {
      contactId: c.id,
      time: '15:00',
      location: 'At home',
      items: ['Spider-Man', 'Elsa'],
      amount: { minor: 80000, currency: 'RON' },
      notes: 'Budget 800 lei',
    }
    const first = await booked(body)
    const second = await booked(body)
    expect(first.id).not.toBe(second.id)
    expect(first).toMatchObject({
      date: '2026-03-14',
      time: '15:00',
      timeZone: 'Europe/Bucharest',
      items: ['Spider-Man', 'Elsa'],
      amount: { minor: 80000, currency: 'RON' },
      status: 'confirmed',
      source: null,
    })
    expect(await profileOf(c.id)).toMatchObject({
      bookingsCount: 2,
      spend: [{ currency: 'RON', amountMinor: 160000 }],
      firstBookingDate: '2026-03-14',
      lastBookingDate: '2026-03-14',
    })
  })

  it('refuses a date that does not exist, a time zone that is not IANA, and a bad amount', async () => {
    const c = await contact('Validated')
    expect((await book({ contactId: c.id, date: '2026-02-30' })).json().error.code).toBe('crm.invalid_date')
    expect((await book({ contactId: c.id, timeZone: 'Mars/Olympus' })).json().error.code).toBe('crm.invalid_time_zone')
    expect((await book({ contactId: c.id, timeZone: '+02:00' })).json().error.code).toBe('crm.invalid_time_zone')
    expect((await book({ contactId: c.id, time: '25:00' })).statusCode).toBe(400)
    expect((await book({ contactId: c.id, amount: { minor: 10.5, currency: 'RON' } })).statusCode).toBe(400)
    expect((await book({ contactId: c.id, amount: { minor: 100, currency: 'ron' } })).statusCode).toBe(400)
    expect((await book({ contactId: c.id, status: 'maybe' })).statusCode).toBe(400)
    const count = await ctx.container.db
      .selectFrom('crmBookings')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('contactId', '=', c.id)
      .executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(0)
  })

  it('keeps the figures exact through edits: cancelled bookings count for nothing', async () => {
    const c = await contact('Editor')
    const a = await booked({ contactId: c.id, date: '2026-01-10', amount: { minor: 1000, currency: 'EUR' } })
    const b = await booked({ contactId: c.id, date: '2026-05-20', amount: { minor: 2500, currency: 'EUR' } })
    await booked({ contactId: c.id, date: '2026-03-01', amount: { minor: 700, currency: 'RON' } })
    expect(await profileOf(c.id)).toMatchObject({
      bookingsCount: 3,
      spend: [
        { currency: 'EUR', amountMinor: 3500 },
        { currency: 'RON', amountMinor: 700 },
      ],
      firstBookingDate: '2026-01-10',
      lastBookingDate: '2026-05-20',
    })
    const cancelled = await call(ctx.app, 'PATCH', `/api/crm/bookings/${b.id}`, owner(), { status: 'cancelled' })
    expect(cancelled.statusCode, cancelled.body).toBe(200)
    expect(await profileOf(c.id)).toMatchObject({
      bookingsCount: 2,
      spend: [
        { currency: 'EUR', amountMinor: 1000 },
        { currency: 'RON', amountMinor: 700 },
      ],
      lastBookingDate: '2026-03-01',
    })
    await call(ctx.app, 'PATCH', `/api/crm/bookings/${a.id}`, owner(), { amount: { minor: 4200, currency: 'EUR' } })
    await call(ctx.app, 'PATCH', `/api/crm/bookings/${b.id}`, owner(), { status: 'confirmed' })
    expect((await profileOf(c.id)).spend).toEqual([
      { currency: 'EUR', amountMinor: 6700 },
      { currency: 'RON', amountMinor: 700 },
    ])
  })

  it('lists bookings newest first, filtered by contact, status and date range', async () => {
    const c = await contact('Lister')
    const early = await booked({ contactId: c.id, date: '2026-06-01' })
    const late = await booked({ contactId: c.id, date: '2026-07-01', status: 'tentative' })
    const all = (await call(ctx.app, 'GET', `/api/crm/bookings?contactId=${c.id}`, owner())).json()
      .items as BookingDto[]
    expect(all.map((b) => b.id)).toEqual([late.id, early.id])
    const tentative = (
      await call(ctx.app, 'GET', `/api/crm/bookings?contactId=${c.id}&status=tentative`, owner())
    ).json()
    expect(tentative.items.map((b: BookingDto) => b.id)).toEqual([late.id])
    const june = (
      await call(ctx.app, 'GET', `/api/crm/bookings?contactId=${c.id}&from=2026-06-01&to=2026-06-30`, owner())
    ).json()
    expect(june.items.map((b: BookingDto) => b.id)).toEqual([early.id])
    const read = await call(ctx.app, 'GET', `/api/crm/bookings/${early.id}`, {
      cookie: viewer.cookie,
      headers: { 'x-client-id': w.clientId },
    })
    expect(read.statusCode).toBe(200)
  })

  it('checks the source messages through the inbox: another client’s thread is refused and nothing is saved', async () => {
    const c = await contact('Sourced')
    const channel = await call(ctx.app, 'POST', '/api/channels', owner(), { kind: 'qr', name: 'Desk' })
    const channelId = channel.json().id as string
    const receive = (clientId: string, workspaceId: string, chId: string, id: string) =>
      ctx.container.db.transaction().execute((trx) =>
        ctx.container.inbox.inbox.receive(trx, { id: chId, workspaceId, clientId }, [
          {
            providerMessageId: id,
            party: { waId: '40711000111', name: 'Ana' },
            fromMe: false,
            at: new Date(),
            content: { type: 'text', text: 'Party on 14 March at 3 pm' },
          },
        ]),
      )
    const [mine] = await receive(w.clientId, w.workspaceId, channelId, 'wamid.src-1')
    const ok = await booked({ contactId: c.id, source: { threadId: mine!.threadId, messageIds: [mine!.messageId] } })
    expect(ok.source).toEqual({ threadId: mine!.threadId, messageIds: [mine!.messageId] })
    const foreignChannel = await call(
      ctx.app,
      'POST',
      '/api/channels',
      { cookie: outsider.user.cookie, headers: { 'x-client-id': outsider.clientId } },
      { kind: 'qr', name: 'Theirs' },
    )
    const [theirs] = await receive(outsider.clientId, outsider.workspaceId, foreignChannel.json().id, 'wamid.src-2')
    const res = await book({ contactId: c.id, source: { threadId: theirs!.threadId, messageIds: [theirs!.messageId] } })
    expect(res.statusCode).toBe(422)
    expect(res.json().error.code).toBe('crm.invalid_source')
    const mixed = await book({ contactId: c.id, source: { threadId: mine!.threadId, messageIds: [theirs!.messageId] } })
    expect(mixed.json().error.code).toBe('crm.invalid_source')
    expect((await profileOf(c.id)).bookingsCount).toBe(1)
  })

  it('refuses a booking for an archived contact or another client’s contact', async () => {
    const c = await contact('Archived booker')
    await call(ctx.app, 'POST', `/api/crm/contacts/${c.id}/archive`, owner())
    expect((await book({ contactId: c.id })).json().error.code).toBe('crm.contact_archived')
    const theirs = await call(
      ctx.app,
      'POST',
      '/api/crm/contacts',
      { cookie: outsider.user.cookie, headers: { 'x-client-id': outsider.clientId } },
      { name: 'Theirs' },
    )
    const res = await book({ contactId: theirs.json().id })
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('crm.contact_not_found')
  })

  it('validates booking custom fields against their definitions', async () => {
    await call(ctx.app, 'POST', '/api/crm/fields', owner(), {
      entity: 'booking',
      key: 'guests',
      label: 'Guests',
      type: 'number',
    })
    const c = await contact('Fields booker')
    expect((await booked({ contactId: c.id, fields: { guests: 12 } })).fields).toEqual({ guests: 12 })
    expect((await book({ contactId: c.id, fields: { guests: 'twelve' } })).json().error.code).toBe(
      'crm.invalid_field_value',
    )
  })
})

describe.skipIf(driver !== 'postgres')('CRM bookings under concurrency (postgres)', () => {
  it('counts 20 concurrent saves for one contact exactly: 20 bookings and the exact sum', async () => {
    const c = await contact('Concurrent')
    const amounts = Array.from({ length: 20 }, (_, i) => 1000 + i * 37)
    const results = await Promise.all(
      amounts.map((minor, i) =>
        book({
          contactId: c.id,
          date: `2026-04-${String(i + 1).padStart(2, '0')}`,
          amount: { minor, currency: 'RON' },
        }),
      ),
    )
    expect(results.map((r) => r.statusCode)).toEqual(amounts.map(() => 201))
    expect(await profileOf(c.id)).toMatchObject({
      bookingsCount: 20,
      spend: [{ currency: 'RON', amountMinor: amounts.reduce((a, b) => a + b, 0) }],
      firstBookingDate: '2026-04-01',
      lastBookingDate: '2026-04-20',
    })
  })

  it('keeps the figures exact when saves and cancellations for one contact interleave', async () => {
    const c = await contact('Interleaved')
    const first = await Promise.all(
      Array.from({ length: 10 }, () => book({ contactId: c.id, amount: { minor: 500, currency: 'EUR' } })),
    )
    const ids = first.map((r) => r.json().id as string)
    await Promise.all([
      ...ids
        .slice(0, 5)
        .map((id) => call(ctx.app, 'PATCH', `/api/crm/bookings/${id}`, owner(), { status: 'cancelled' })),
      ...Array.from({ length: 5 }, () => book({ contactId: c.id, amount: { minor: 300, currency: 'EUR' } })),
    ])
    expect(await profileOf(c.id)).toMatchObject({
      bookingsCount: 10,
      spend: [{ currency: 'EUR', amountMinor: 5 * 500 + 5 * 300 }],
    })
  })
})
