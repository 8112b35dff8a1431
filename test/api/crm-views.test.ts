import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContactViewDto } from '../../contracts/crm.ts'
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
 * Saved views of the contacts list (issue 14 §11): a member saves the list's filters under a name, private or shared
 * with the client's members; a private view is nobody else's business (404), a shared one is readable by every member
 * (viewers too) and changed or deleted by its owner only (403); names are unique per owner; deleting is allowed.
 */
let ctx: TestContext
let w: Awaited<ReturnType<typeof onboard>>
let member: TestUser
let viewer: TestUser
const as = (u: TestUser): Caller => ({ cookie: u.cookie, headers: { 'x-client-id': w.clientId } })
const owner = () => as(w.user)

const save = async (u: TestUser, body: Record<string, unknown>, status = 201) => {
  const res = await call(ctx.app, 'POST', '/api/crm/views', as(u), body)
  expect(res.statusCode, res.body).toBe(status)
  return res.json()
}
const list = async (u: TestUser) =>
  ((await call(ctx.app, 'GET', '/api/crm/views', as(u))).json().items as ContactViewDto[]).map((v) => v.name)

beforeAll(async () => {
  ctx = await createTestContext()
  w = await onboard(ctx.app, 'crm-views')
  member = await addMember(ctx.app, w.user, w.workspaceId, 'member', 'views-member')
  viewer = await addMember(ctx.app, w.user, w.workspaceId, 'viewer', 'views-viewer')
})
afterAll(async () => {
  await ctx?.close()
})

describe('saved views of the contacts list', () => {
  let mine: ContactViewDto
  let shared: ContactViewDto

  it('saves filters under a name, private or shared, and lists the own and the shared ones by name', async () => {
    mine = await save(w.user, { name: 'My VIPs', filters: { tag: 'vip', q: 'ana' } })
    expect(mine).toMatchObject({
      id: expect.stringMatching(/^cvw_/),
      name: 'My VIPs',
      shared: false,
      filters: { tag: 'vip', q: 'ana', archived: 'exclude' },
      ownerId: w.user.id,
      mine: true,
    })
    shared = await save(w.user, { name: 'Archived', shared: true, filters: { archived: 'only' } })
    await save(member, { name: 'Member only', filters: {} })
    expect(await list(w.user)).toEqual(['Archived', 'My VIPs'])
    expect(await list(member)).toEqual(['Archived', 'Member only'])
    expect(await list(viewer)).toEqual(['Archived'])
    const seen = (await call(ctx.app, 'GET', `/api/crm/views/${shared.id}`, as(member))).json()
    expect(seen).toMatchObject({ name: 'Archived', mine: false, ownerId: w.user.id })
  })

  it("answers 404 for another member's private view, and 403 when a member changes or deletes a shared one", async () => {
    for (const u of [member, viewer]) {
      const res = await call(ctx.app, 'GET', `/api/crm/views/${mine.id}`, as(u))
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('crm.view_not_found')
    }
    expect((await call(ctx.app, 'PATCH', `/api/crm/views/${mine.id}`, as(member), { name: 'x' })).statusCode).toBe(404)
    const patch = await call(ctx.app, 'PATCH', `/api/crm/views/${shared.id}`, as(member), { name: 'Hijacked' })
    expect(patch.statusCode).toBe(403)
    expect(patch.json().error.code).toBe('crm.view_not_yours')
    const del = await call(ctx.app, 'DELETE', `/api/crm/views/${shared.id}`, as(member))
    expect(del.statusCode).toBe(403)
    expect((await call(ctx.app, 'POST', '/api/crm/views', as(viewer), { name: 'V', filters: {} })).statusCode).toBe(403)
    expect(await list(w.user)).toEqual(['Archived', 'My VIPs'])
  })

  it('keeps names unique per owner (case-insensitive) and refuses filters the list does not take', async () => {
    const taken = await save(w.user, { name: 'my vips', filters: {} }, 409)
    expect(taken.error.code).toBe('crm.view_name_taken')
    await save(member, { name: 'My VIPs', filters: {} })
    for (const filters of [{ archived: 'sometimes' }, { colour: 'red' }, { owner: 'not an id!' }])
      expect((await save(w.user, { name: 'Bad', filters }, 400)).error.code).toBe('request.invalid')
    const renamed = await call(ctx.app, 'PATCH', `/api/crm/views/${mine.id}`, owner(), { name: 'Archived' })
    expect(renamed.statusCode).toBe(409)
  })

  it('renames, shares and changes its filters for its owner, and its filters give the contacts list', async () => {
    for (const [name, tags] of [
      ['Ana VIP', ['vip']],
      ['Ana', []],
      ['Bob VIP', ['vip']],
    ] as const) {
      const res = await call(ctx.app, 'POST', '/api/crm/contacts', owner(), { name, tags })
      expect(res.statusCode, res.body).toBe(201)
    }
    const res = await call(ctx.app, 'PATCH', `/api/crm/views/${mine.id}`, owner(), { name: 'Ana VIPs', shared: true })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ name: 'Ana VIPs', shared: true, filters: { tag: 'vip', q: 'ana' } })
    expect(await list(member)).toEqual(['Ana VIPs', 'Archived', 'Member only', 'My VIPs'])
    const { filters } = (await call(ctx.app, 'GET', `/api/crm/views/${mine.id}`, as(viewer))).json()
    const contacts = await call(ctx.app, 'GET', `/api/crm/contacts?${new URLSearchParams(filters)}`, as(viewer))
    expect(contacts.json().items.map((c: { name: string }) => c.name)).toEqual(['Ana VIP'])
  })

  it('deletes its own view (audited), which is then gone for everyone', async () => {
    const del = await call(ctx.app, 'DELETE', `/api/crm/views/${shared.id}`, owner())
    expect(del.statusCode, del.body).toBe(204)
    expect((await call(ctx.app, 'GET', `/api/crm/views/${shared.id}`, owner())).statusCode).toBe(404)
    expect(await list(member)).toEqual(['Ana VIPs', 'Member only', 'My VIPs'])
    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['action', 'targetId'])
      .where('action', 'in', ['crm.view_saved', 'crm.view_deleted'])
      .where('targetId', '=', shared.id)
      .orderBy('createdAt')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['crm.view_saved', 'crm.view_deleted'])
  })

  it("answers 404 for a view of another client of the workspace under this client's header", async () => {
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
    const theirs = await call(
      ctx.app,
      'POST',
      '/api/crm/views',
      { cookie: w.user.cookie, headers: { 'x-client-id': other.json().id } },
      { name: 'Elsewhere', shared: true, filters: {} },
    )
    expect(theirs.statusCode, theirs.body).toBe(201)
    expect((await call(ctx.app, 'GET', `/api/crm/views/${theirs.json().id}`, owner())).statusCode).toBe(404)
    expect(await list(w.user)).not.toContain('Elsewhere')
  })
})
