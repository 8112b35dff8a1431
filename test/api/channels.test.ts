import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChannelDto } from '../../contracts/channels.ts'
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

const TOKEN = 'EAAG-cloud-access-token-0123456789-secret'

describe('WhatsApp numbers', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>> & { admin: TestUser; member: TestUser; viewer: TestUser }
  const as = (user: TestUser, clientId = w.clientId): Caller => ({
    cookie: user.cookie,
    headers: { 'x-client-id': clientId },
  })
  const setPlan = async (workspaceId: string, plan: string) => {
    const res = await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${workspaceId}/plan`,
      { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } },
      { plan, reason: 'channels test' },
    )
    expect(res.statusCode, res.body).toBe(200)
  }
  const add = (body: Record<string, unknown>, caller = as(w.user)) =>
    call(ctx.app, 'POST', '/api/channels', caller, body)

  beforeAll(async () => {
    ctx = await createTestContext({ PLANS_FILE: 'config/plans.json' })
    const o = await onboard(ctx.app, 'channels')
    await setPlan(o.workspaceId, 'agency') // room for the members below
    w = {
      ...o,
      admin: await addMember(ctx.app, o.user, o.workspaceId, 'admin'),
      member: await addMember(ctx.app, o.user, o.workspaceId, 'member'),
      viewer: await addMember(ctx.app, o.user, o.workspaceId, 'viewer'),
    }
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it("refuses a number past the plan's limit with 402, and counts only numbers that are not logged out", async () => {
    await setPlan(w.workspaceId, 'free') // no WhatsApp number
    const free = await add({ kind: 'qr', name: 'Front desk' })
    expect(free.statusCode, free.body).toBe(402)
    expect(free.json().error).toMatchObject({ code: 'plan.limit_reached' })
    await setPlan(w.workspaceId, 'starter') // one number
    const first = await add({ kind: 'qr', name: 'Front desk' })
    expect(first.statusCode, first.body).toBe(201)
    expect((await add({ kind: 'qr', name: 'Second' })).statusCode).toBe(402)
    const out = await call(ctx.app, 'POST', `/api/channels/${first.json().id}/logout`, as(w.user))
    expect(out.statusCode, out.body).toBe(200)
    expect((await add({ kind: 'qr', name: 'Second' })).statusCode).toBe(201)
    await setPlan(w.workspaceId, 'agency')
  })

  it('adds QR and Cloud numbers (admins), seals the Cloud token and never shows it again', async () => {
    const qr = await add({ kind: 'qr', name: 'Sales' }, as(w.admin))
    expect(qr.statusCode, qr.body).toBe(201)
    expect(qr.json()).toMatchObject({ kind: 'qr', name: 'Sales', status: 'pending_qr', phone: null, cloud: null })

    const cloud = await add({
      kind: 'cloud',
      name: 'Support',
      phoneNumberId: '106540352242922',
      accessToken: TOKEN,
      businessAccountId: '102290129340398',
    })
    expect(cloud.statusCode, cloud.body).toBe(201)
    const dto = cloud.json() as ChannelDto
    expect(dto).toMatchObject({
      kind: 'cloud',
      status: 'connected',
      cloud: { phoneNumberId: '106540352242922', businessAccountId: '102290129340398', tokenHint: '…cret' },
    })
    expect(cloud.body).not.toContain(TOKEN)
    const list = await call(ctx.app, 'GET', '/api/channels', as(w.viewer))
    expect(list.statusCode).toBe(200)
    expect(list.body).not.toContain(TOKEN)
    const stored = await ctx.container.db
      .selectFrom('channels')
      .select('cloudToken')
      .where('id', '=', dto.id)
      .executeTakeFirstOrThrow()
    expect(stored.cloudToken).not.toContain(TOKEN)

    // The webhook tells Cloud numbers apart by their phone number id: one Camarad number per id.
    const again = await add({ kind: 'cloud', name: 'Dup', phoneNumberId: '106540352242922', accessToken: TOKEN })
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('channels.cloud_number_taken')
  })

  it('answers clear 400s for bad input and changes nothing', async () => {
    const before = (await call(ctx.app, 'GET', '/api/channels?limit=100', as(w.user))).json().items.length
    for (const body of [
      {},
      { kind: 'sms', name: 'x' },
      { kind: 'qr' },
      { kind: 'qr', name: '' },
      { kind: 'qr', name: 'x', extra: true },
      { kind: 'cloud', name: 'x', phoneNumberId: '123456789' },
      { kind: 'cloud', name: 'x', phoneNumberId: '+40 712 345', accessToken: TOKEN },
      { kind: 'cloud', name: 'x', phoneNumberId: '123456789', accessToken: 'short' },
    ]) {
      const res = await add(body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error.code).toBe('request.invalid')
    }
    expect((await call(ctx.app, 'GET', '/api/channels?limit=100', as(w.user))).json().items).toHaveLength(before)
  })

  it('lets members and viewers read numbers but not add or log them out', async () => {
    const id = (await add({ kind: 'qr', name: 'Read only' })).json().id as string
    for (const reader of [w.member, w.viewer]) {
      expect((await call(ctx.app, 'GET', `/api/channels/${id}`, as(reader))).statusCode).toBe(200)
      expect((await add({ kind: 'qr', name: 'Nope' }, as(reader))).statusCode).toBe(403)
      expect((await call(ctx.app, 'POST', `/api/channels/${id}/logout`, as(reader))).statusCode).toBe(403)
    }
    const stranger = await onboard(ctx.app, 'stranger')
    expect((await call(ctx.app, 'GET', `/api/channels/${id}`, as(stranger.user, stranger.clientId))).statusCode).toBe(
      404,
    )
    expect(
      (await call(ctx.app, 'POST', `/api/channels/${id}/logout`, as(stranger.user, stranger.clientId))).statusCode,
    ).toBe(404)
  })

  it('logs a number out once, keeps it listed, audits it, and frees a Cloud phone number id', async () => {
    const cloud = await add({ kind: 'cloud', name: 'Temp', phoneNumberId: '987654321012', accessToken: TOKEN })
    const id = cloud.json().id as string
    const out = await call(ctx.app, 'POST', `/api/channels/${id}/logout`, as(w.admin))
    expect(out.json()).toMatchObject({ id, status: 'logged_out', statusReason: 'Logged out from Camarad.' })
    const twice = await call(ctx.app, 'POST', `/api/channels/${id}/logout`, as(w.admin))
    expect(twice.statusCode).toBe(409)
    expect(twice.json().error.code).toBe('channels.already_logged_out')
    expect((await call(ctx.app, 'GET', `/api/channels/${id}`, as(w.viewer))).json().status).toBe('logged_out')
    const readded = await add({ kind: 'cloud', name: 'Temp again', phoneNumberId: '987654321012', accessToken: TOKEN })
    expect(readded.statusCode, readded.body).toBe(201)
    const audit = await call(ctx.app, 'GET', '/api/audit?limit=100', {
      cookie: w.user.cookie,
      headers: { 'x-workspace-id': w.workspaceId },
    })
    expect(audit.statusCode, audit.body).toBe(200)
    const actions = (audit.json().items as { action: string; targetId: string }[]).filter((a) => a.targetId === id)
    expect(actions.map((a) => a.action).sort()).toEqual(['channel.created', 'channel.logged_out'])
  })

  it('never deletes a number, even from SQL', async () => {
    const id = (await add({ kind: 'qr', name: 'Kept' })).json().id as string
    await expect(ctx.container.db.deleteFrom('channels').where('id', '=', id).execute()).rejects.toThrow(
      /never deleted/,
    )
  })

  it('pages the list newest first', async () => {
    const page1 = await call(ctx.app, 'GET', '/api/channels?limit=2', as(w.user))
    const body = page1.json() as { items: ChannelDto[]; nextCursor: string }
    expect(body.items).toHaveLength(2)
    expect(body.nextCursor).toBeTruthy()
    const page2 = await call(ctx.app, 'GET', `/api/channels?limit=2&cursor=${body.nextCursor}`, as(w.user))
    const ids = new Set([...body.items, ...(page2.json().items as ChannelDto[])].map((c) => c.id))
    expect(ids.size).toBe(body.items.length + page2.json().items.length)
    expect(body.items[0]!.createdAt >= body.items[1]!.createdAt).toBe(true)
  })
})
