import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContactDto } from '../../contracts/crm.ts'
import { decimalOf } from '../../src/modules/crm/export.ts'
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
 * CSV exports of contacts and bookings (issue 14 §11): the list routes' filters, streamed in pages (a client larger
 * than a page comes out whole, each row once), formula-safe cells, amounts in decimal from minor units beside their
 * currency, an attachment; audited; another workspace's client answers 404 as every client-scoped route does.
 */
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
let viewer: TestUser
let outsider: Awaited<ReturnType<typeof onboard>>
const owner = (): Caller => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
const rowsOf = (body: string) => {
  expect(body.startsWith('\uFEFF')).toBe(true)
  return parse(body, { bom: true, columns: true }) as Record<string, string>[]
}
const contact = async (body: Record<string, unknown>) => {
  const res = await call(ctx.app, 'POST', '/api/crm/contacts', owner(), body)
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as ContactDto
}

beforeAll(async () => {
  ctx = await createTestContext()
  w = await onboard(ctx.app, 'crm-export')
  viewer = await addMember(ctx.app, w.user, w.workspaceId, 'viewer')
  outsider = await onboard(ctx.app, 'crm-export-outsider')
})
afterAll(async () => {
  await ctx.close()
})

describe('CRM CSV export', () => {
  it('exports contacts as a formula-safe attachment with the list filters, and audits it', async () => {
    const ana = await contact({
      name: '=HYPERLINK("http://evil.example","click")',
      phones: ['+40 722 111 222'],
      emails: ['ana@example.ro'],
      tags: ['vip', 'fair'],
    })
    await contact({ name: 'Pop, Dan "the host"', tags: ['fair'] })
    const archived = await contact({ name: 'Gone' })
    expect((await call(ctx.app, 'POST', `/api/crm/contacts/${archived.id}/archive`, owner())).statusCode).toBe(200)

    const res = await call(ctx.app, 'GET', '/api/crm/contacts/export.csv', {
      cookie: viewer.cookie,
      headers: { 'x-client-id': w.clientId },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"$/)
    const rows = rowsOf(res.body)
    expect(rows.map((r) => r.name).sort()).toEqual([
      '\'=HYPERLINK("http://evil.example","click")',
      'Pop, Dan "the host"',
    ])
    expect(rows.find((r) => r.id === ana.id)).toMatchObject({
      phones: "'+40722111222",
      emails: 'ana@example.ro',
      tags: 'vip; fair',
      bookings: '0',
      archived: 'no',
    })

    const vip = rowsOf((await call(ctx.app, 'GET', '/api/crm/contacts/export.csv?tag=vip', owner())).body)
    expect(vip.map((r) => r.id)).toEqual([ana.id])
    const all = rowsOf((await call(ctx.app, 'GET', '/api/crm/contacts/export.csv?archived=include', owner())).body)
    expect(all).toHaveLength(3)

    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['action', 'actorUserId', 'targetId'])
      .where('action', '=', 'contacts.exported')
      .execute()
    expect(audit).toHaveLength(3)
    expect(audit[0]).toMatchObject({ actorUserId: viewer.id, targetId: w.clientId })
  })

  it('exports bookings with amounts in decimal beside their currency, filtered like the list', async () => {
    const host = await contact({ name: 'Booking host' })
    const book = async (body: Record<string, unknown>) => {
      const res = await call(ctx.app, 'POST', '/api/crm/bookings', owner(), {
        contactId: host.id,
        timeZone: 'Europe/Bucharest',
        ...body,
      })
      expect(res.statusCode, res.body).toBe(201)
    }
    await book({
      date: '2027-03-14',
      time: '15:00',
      amount: { minor: 80050, currency: 'RON' },
      items: ['Elsa', 'Olaf'],
    })
    await book({ date: '2027-04-01', amount: { minor: 4500, currency: 'EUR' }, notes: '-5% discount\nsecond line' })
    await book({ date: '2027-05-01', status: 'cancelled' })

    const res = await call(ctx.app, 'GET', '/api/crm/bookings/export.csv?from=2027-03-01&to=2027-04-30', owner())
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="bookings-/)
    const rows = rowsOf(res.body)
    expect(rows.map((r) => [r.date, r.amount, r.currency, r.contact_name])).toEqual([
      ['2027-04-01', '45.00', 'EUR', 'Booking host'],
      ['2027-03-14', '800.50', 'RON', 'Booking host'],
    ])
    expect(rows[0]!.notes).toBe("'-5% discount\nsecond line")
    expect(rows[1]).toMatchObject({
      time: '15:00',
      items: 'Elsa; Olaf',
      time_zone: 'Europe/Bucharest',
      status: 'confirmed',
    })

    const cancelled = rowsOf(
      (await call(ctx.app, 'GET', '/api/crm/bookings/export.csv?status=cancelled', owner())).body,
    )
    expect(cancelled.map((r) => [r.date, r.amount])).toEqual([['2027-05-01', '']])
    const contacts = rowsOf((await call(ctx.app, 'GET', '/api/crm/contacts/export.csv?q=Booking', owner())).body)
    expect(contacts[0]).toMatchObject({
      bookings: '2',
      spend: expect.stringMatching(/^(800\.50 RON; 45\.00 EUR|45\.00 EUR; 800\.50 RON)$/),
    })
  })

  it('streams a client larger than one page whole, each contact once', async () => {
    const lines = Array.from({ length: 520 }, (_, i) => `Lead ${i},+40733${String(i).padStart(6, '0')}`)
    const res = await call(ctx.app, 'POST', '/api/crm/imports', owner(), {
      csv: `Name,Phone\n${lines.join('\n')}\n`,
      source: 'export-test',
    })
    expect(res.statusCode, res.body).toBe(202)
    await ctx.container.jobs.find((j) => j.name === 'crm.run-import')!.handler({ importId: res.json().id })
    const rows = rowsOf((await call(ctx.app, 'GET', '/api/crm/contacts/export.csv?q=Lead', owner())).body)
    expect(rows).toHaveLength(520)
    expect(new Set(rows.map((r) => r.id)).size).toBe(520)
  })

  it("answers 404 for another workspace's client, 400 without a client and 401 without a session", async () => {
    for (const path of ['/api/crm/contacts/export.csv', '/api/crm/bookings/export.csv']) {
      const foreign = await call(ctx.app, 'GET', path, {
        cookie: outsider.user.cookie,
        headers: { 'x-client-id': w.clientId },
      })
      expect(foreign.statusCode, path).toBe(404)
      expect((await call(ctx.app, 'GET', path, { cookie: w.user.cookie })).statusCode, path).toBe(400)
      expect((await call(ctx.app, 'GET', path)).statusCode, path).toBe(401)
    }
  })

  it('writes minor units as decimals in the currency’s own digits', () => {
    expect(decimalOf(80000, 'RON')).toBe('800.00')
    expect(decimalOf(5, 'EUR')).toBe('0.05')
    expect(decimalOf(500, 'JPY')).toBe('500')
    expect(decimalOf(1234, 'KWD')).toBe('1.234')
  })
})
