import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContactDto } from '../../contracts/crm.ts'
import {
  TEST_INTERNAL_TOKEN,
  addMember,
  call,
  createTestContext,
  onboard,
  type Caller,
  type TestContext,
  type TestUser,
} from '../harness.ts'

/**
 * CRM contacts (issue 14 §1, §7): E.164 phones read in the client's default country (none by default), lowercased
 * emails, typed custom fields, owners from the workspace, de-duplication by unique index (409 naming the contact),
 * archive, merge that keeps both histories, the operator's erasure, and no way to delete.
 */
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
let member: TestUser
let viewer: TestUser
let outsider: Awaited<ReturnType<typeof onboard>>

const as = (user: TestUser, clientId = w.clientId): Caller => ({
  cookie: user.cookie,
  headers: { 'x-client-id': clientId },
})
const owner = () => as(w.user)
const create = async (body: Record<string, unknown>, caller = owner()) =>
  call(ctx.app, 'POST', '/api/crm/contacts', caller, body)
const created = async (body: Record<string, unknown>) => {
  const res = await create(body)
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as ContactDto
}

beforeAll(async () => {
  ctx = await createTestContext()
  w = await onboard(ctx.app, 'crm-contacts')
  member = await addMember(ctx.app, w.user, w.workspaceId, 'member')
  viewer = await addMember(ctx.app, w.user, w.workspaceId, 'viewer')
  outsider = await onboard(ctx.app, 'crm-outsider')
})
afterAll(async () => {
  await ctx.close()
})

describe('CRM contacts', () => {
  it('refuses a phone without a country code while the client has no default country', async () => {
    const res = await create({ name: 'Ana', phones: ['0712 345 678'] })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('crm.phone_needs_country')
  })

  it('stores phones in E.164, read in the default country an admin set, and emails lowercased', async () => {
    const put = await call(ctx.app, 'PUT', '/api/crm/settings', owner(), { defaultCountry: 'RO' })
    expect(put.statusCode, put.body).toBe(200)
    const c = await created({
      name: 'Ana Pop',
      phones: ['0712 345 678', '+44 20 7946 0958'],
      emails: ['Ana@Example.COM'],
    })
    expect(c.phones).toEqual(['+40712345678', '+442079460958'])
    expect(c.emails).toEqual(['ana@example.com'])
    expect(c.profile).toMatchObject({ bookingsCount: 0, spend: [], lastContactAt: null })
  })

  it('refuses an invalid phone, an invalid email and an unknown country', async () => {
    expect((await create({ name: 'X', phones: ['+40 1'] })).json().error.code).toBe('crm.invalid_phone')
    expect((await create({ name: 'X', emails: ['not-an-email'] })).statusCode).toBe(400)
    const bad = await call(ctx.app, 'PUT', '/api/crm/settings', owner(), { defaultCountry: 'XX' })
    expect(bad.json().error.code).toBe('crm.invalid_country')
  })

  it('lets only admins change the settings', async () => {
    const res = await call(ctx.app, 'PUT', '/api/crm/settings', as(member), { defaultCountry: 'DE' })
    expect(res.statusCode).toBe(403)
  })

  it('answers 409 naming the live contact that already has the phone or the email', async () => {
    const first = await created({ name: 'Dup One', phones: ['+40 723 000 001'], emails: ['dup@example.com'] })
    const byPhone = await create({ name: 'Dup Two', phones: ['0723000001'] })
    expect(byPhone.statusCode).toBe(409)
    expect(byPhone.json().error).toMatchObject({ code: 'crm.duplicate_contact', details: { existingId: first.id } })
    const byEmail = await create({ name: 'Dup Three', emails: ['DUP@example.com'] })
    expect(byEmail.json().error.details).toMatchObject({ existingId: first.id, field: 'email' })
    const count = await ctx.container.db
      .selectFrom('crmContacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('name', 'like', 'Dup T%')
      .executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(0)
  })

  it('lets concurrent creations with one phone make exactly one contact', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) => create({ name: `Race ${i}`, phones: ['+40 723 999 999'] })),
    )
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1)
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(3)
  })

  it('validates custom field values against the definitions admins made', async () => {
    const def = await call(ctx.app, 'POST', '/api/crm/fields', owner(), {
      entity: 'contact',
      key: 'source',
      label: 'Source',
      type: 'select',
      options: ['instagram', 'referral'],
    })
    expect(def.statusCode, def.body).toBe(201)
    await call(ctx.app, 'POST', '/api/crm/fields', owner(), {
      entity: 'contact',
      key: 'vip',
      label: 'VIP',
      type: 'boolean',
    })
    await call(ctx.app, 'POST', '/api/crm/fields', owner(), {
      entity: 'contact',
      key: 'born',
      label: 'Born',
      type: 'date',
    })
    const again = await call(ctx.app, 'POST', '/api/crm/fields', owner(), {
      entity: 'contact',
      key: 'vip',
      label: 'Again',
      type: 'text',
    })
    expect(again.json().error.code).toBe('crm.field_exists')
    const byMember = await call(ctx.app, 'POST', '/api/crm/fields', as(member), {
      entity: 'contact',
      key: 'other',
      label: 'Other',
      type: 'text',
    })
    expect(byMember.statusCode).toBe(403)
    const c = await created({ name: 'Fielded', fields: { source: 'referral', vip: true, born: '1990-02-28' } })
    expect(c.fields).toEqual({ source: 'referral', vip: true, born: '1990-02-28' })
    const wrong = await create({ name: 'F2', fields: { source: 'tiktok' } })
    expect(wrong.json().error.code).toBe('crm.invalid_field_value')
    expect((await create({ name: 'F3', fields: { born: '1990-02-30' } })).json().error.code).toBe(
      'crm.invalid_field_value',
    )
    expect((await create({ name: 'F4', fields: { vip: 'yes' } })).json().error.code).toBe('crm.invalid_field_value')
    expect((await create({ name: 'F5', fields: { shoe: 42 } })).json().error.code).toBe('crm.unknown_field')
    const patched = await call(ctx.app, 'PATCH', `/api/crm/contacts/${c.id}`, owner(), { fields: { vip: null } })
    expect(patched.json().fields).toEqual({ source: 'referral', born: '1990-02-28' })
  })

  it('takes an owner only among the members of the workspace', async () => {
    const res = await create({ name: 'Owned', ownerId: outsider.user.id })
    expect(res.statusCode).toBe(422)
    expect(res.json().error.code).toBe('crm.owner_not_member')
    const ok = await created({ name: 'Owned', ownerId: member.id, tags: ['vip', 'party'] })
    expect(ok.ownerId).toBe(member.id)
  })

  it('lists contacts newest first with q, tag and owner filters', async () => {
    const page = await call(ctx.app, 'GET', '/api/crm/contacts?limit=2', as(viewer))
    expect(page.statusCode).toBe(200)
    expect(page.json().items).toHaveLength(2)
    expect(page.json().nextCursor).toBeTypeOf('string')
    const byQ = (await call(ctx.app, 'GET', '/api/crm/contacts?q=712%20345', owner())).json().items as ContactDto[]
    expect(byQ.map((c) => c.name)).toEqual(['Ana Pop'])
    const byEmail = (await call(ctx.app, 'GET', '/api/crm/contacts?q=ANA@example', owner())).json()
      .items as ContactDto[]
    expect(byEmail.map((c) => c.name)).toEqual(['Ana Pop'])
    const byTag = (await call(ctx.app, 'GET', '/api/crm/contacts?tag=vip', owner())).json().items as ContactDto[]
    expect(byTag.map((c) => c.name)).toEqual(['Owned'])
    const byOwner = (await call(ctx.app, 'GET', `/api/crm/contacts?owner=${member.id}`, owner())).json().items
    expect(byOwner).toHaveLength(1)
  })

  it('answers 404 for another client’s contact and 403 to a viewer who writes', async () => {
    const c = await created({ name: 'Private' })
    const foreign = await call(ctx.app, 'GET', `/api/crm/contacts/${c.id}`, as(outsider.user, outsider.clientId))
    expect(foreign.statusCode).toBe(404)
    const res = await create({ name: 'By viewer' }, as(viewer))
    expect(res.statusCode).toBe(403)
  })

  it('frees an archived contact’s phone and refuses to restore it once another contact took it', async () => {
    const old = await created({ name: 'Old', phones: ['+40 745 111 222'] })
    const archived = await call(ctx.app, 'POST', `/api/crm/contacts/${old.id}/archive`, owner())
    expect(archived.json().archived).toBe(true)
    const listed = (await call(ctx.app, 'GET', '/api/crm/contacts?archived=only', owner())).json().items as ContactDto[]
    expect(listed.map((c) => c.id)).toContain(old.id)
    const fresh = await created({ name: 'New', phones: ['+40745111222'] })
    const restore = await call(ctx.app, 'POST', `/api/crm/contacts/${old.id}/unarchive`, owner())
    expect(restore.statusCode).toBe(409)
    expect(restore.json().error.details.existingId).toBe(fresh.id)
    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('targetId', '=', old.id)
      .execute()
    expect(audit.map((a) => a.action).sort()).toEqual(['contact.archived', 'contact.created'])
  })

  it('merges a contact into another: values, bookings and notes move, both rows stay, audited', async () => {
    const keep = await created({ name: 'Keep', phones: ['+40 746 000 001'], tags: ['a'], fields: { vip: true } })
    const other = await created({
      name: 'Other',
      phones: ['+40 746 000 002'],
      emails: ['other@example.com'],
      identities: ['40746000002'],
      tags: ['b'],
      fields: { vip: false, source: 'instagram' },
    })
    const booking = await call(ctx.app, 'POST', '/api/crm/bookings', owner(), {
      contactId: other.id,
      date: '2026-03-14',
      timeZone: 'Europe/Bucharest',
      amount: { minor: 80000, currency: 'RON' },
    })
    expect(booking.statusCode, booking.body).toBe(201)
    await call(ctx.app, 'POST', `/api/crm/contacts/${other.id}/notes`, owner(), { body: 'Likes Spider-Man' })
    const res = await call(ctx.app, 'POST', `/api/crm/contacts/${keep.id}/merge`, as(member), { otherId: other.id })
    expect(res.statusCode, res.body).toBe(200)
    const merged = res.json() as ContactDto
    expect(merged.phones).toEqual(['+40746000001', '+40746000002'])
    expect(merged.emails).toEqual(['other@example.com'])
    expect(merged.identities).toEqual(['40746000002'])
    expect(merged.tags).toEqual(['a', 'b'])
    expect(merged.fields).toEqual({ vip: true, source: 'instagram' })
    expect(merged.profile).toMatchObject({ bookingsCount: 1, spend: [{ currency: 'RON', amountMinor: 80000 }] })
    const gone = (await call(ctx.app, 'GET', `/api/crm/contacts/${other.id}`, owner())).json() as ContactDto
    expect(gone).toMatchObject({ archived: true, mergedInto: keep.id, phones: [], profile: { bookingsCount: 0 } })
    const b = (await call(ctx.app, 'GET', `/api/crm/bookings/${booking.json().id}`, owner())).json()
    expect(b.contactId).toBe(keep.id)
    const notes = (await call(ctx.app, 'GET', `/api/crm/contacts/${keep.id}/notes`, owner())).json().items
    expect(notes.map((n: { body: string }) => n.body)).toEqual(['Likes Spider-Man'])
    const again = await call(ctx.app, 'POST', `/api/crm/contacts/${keep.id}/merge`, owner(), { otherId: other.id })
    expect(again.json().error.code).toBe('crm.already_merged')
    const self = await call(ctx.app, 'POST', `/api/crm/contacts/${keep.id}/merge`, owner(), { otherId: keep.id })
    expect(self.json().error.code).toBe('crm.merge_self')
    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['action', 'metadata'])
      .where('targetId', '=', keep.id)
      .where('action', '=', 'contact.merged')
      .executeTakeFirstOrThrow()
    expect(audit.metadata).toMatchObject({ mergedId: other.id })
  })

  it('lets the operator erase a contact: anonymised, archived, audited with the reason', async () => {
    const c = await created({
      name: 'Forget Me',
      phones: ['+40 747 000 003'],
      emails: ['forget@example.com'],
      identities: ['40747000003'],
      fields: { vip: true },
    })
    const url = `/api/operator/crm/contacts/${c.id}/erase`
    expect((await call(ctx.app, 'POST', url, owner(), { reason: 'GDPR request' })).statusCode).toBe(401)
    const res = await call(
      ctx.app,
      'POST',
      url,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { reason: 'GDPR request' },
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      name: 'Erased contact',
      phones: [],
      emails: [],
      identities: [],
      fields: {},
      archived: true,
      erased: true,
    })
    const stored = await ctx.container.db
      .selectFrom('crmContactPhones')
      .select(['phone', 'state'])
      .where('contactId', '=', c.id)
      .execute()
    expect(stored).toEqual([{ phone: null, state: 'removed' }])
    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select('metadata')
      .where('targetId', '=', c.id)
      .where('action', '=', 'contact.erased')
      .executeTakeFirstOrThrow()
    expect(audit.metadata).toMatchObject({ reason: 'GDPR request' })
    const patch = await call(ctx.app, 'PATCH', `/api/crm/contacts/${c.id}`, owner(), { name: 'Back' })
    expect(patch.json().error.code).toBe('crm.contact_erased')
  })

  it('has no DELETE route for contacts, bookings, deals, threads or messages', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/openapi.json')).json() as { paths: Record<string, object> }
    const deletes = Object.entries(doc.paths)
      .filter(([, ops]) => 'delete' in ops)
      .map(([path]) => path)
    // Saved views of the contacts list are a member's preferences, not customer records: their owner deletes them.
    const preferences = ['/api/crm/views/{id}']
    expect(deletes.filter((p) => /crm|contact|booking|deal|thread|message|inbox/.test(p))).toEqual(preferences)
  })

  it('refuses a raw DELETE on every CRM table that holds member data', async () => {
    const c = await created({ name: 'Undeletable', phones: ['+40 748 000 004'] })
    // A row in each table (a trigger per row refuses: an empty table would prove nothing).
    await call(ctx.app, 'POST', '/api/crm/deals', owner(), { title: 'Party', contactId: c.id })
    await call(ctx.app, 'POST', `/api/crm/contacts/${c.id}/tasks`, owner(), { title: 'Call back' })
    await call(ctx.app, 'POST', `/api/crm/contacts/${c.id}/notes`, owner(), { body: 'Kept' })
    for (const table of [
      'crm_contacts',
      'crm_contact_phones',
      'crm_contact_profiles',
      'crm_bookings',
      'crm_deals',
      'crm_deal_stage_changes',
      'crm_pipelines',
      'crm_notes',
      'crm_tasks',
    ]) {
      await expect(sql`delete from ${sql.table(table)}`.execute(ctx.container.db)).rejects.toThrow(
        /never deleted|append-only/,
      )
    }
    const still = await call(ctx.app, 'GET', `/api/crm/contacts/${c.id}`, owner())
    expect(still.statusCode).toBe(200)
  })
})
