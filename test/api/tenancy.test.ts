import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addMember, call, createTestContext, onboard, signup, uniqueEmail, type TestContext } from '../harness.ts'

let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext()
})
afterAll(async () => {
  await ctx.close()
})

describe('onboarding and workspaces', () => {
  it('creates the workspace with the caller as owner and its first client', async () => {
    const user = await signup(ctx.app, 'onb')
    const res = await call(
      ctx.app,
      'POST',
      '/api/auth/onboarding',
      { cookie: user.cookie },
      { workspaceName: 'Acme', clientName: 'Bakery' },
    )
    expect(res.statusCode).toBe(201)
    const { workspace, client } = res.json()
    expect(workspace).toMatchObject({ name: 'Acme', role: 'owner', plan: 'free' })
    expect(workspace.id).toMatch(/^ws_/)
    expect(client).toMatchObject({ name: 'Bakery', workspaceId: workspace.id, archivedAt: null })
    const status = await call(ctx.app, 'GET', '/api/auth/status', { cookie: user.cookie })
    expect(status.json().workspaces).toEqual([{ id: workspace.id, name: 'Acme', role: 'owner', plan: 'free' }])
  })

  it('refuses empty names with 400 and creates nothing', async () => {
    const user = await signup(ctx.app, 'onb2')
    const res = await call(
      ctx.app,
      'POST',
      '/api/auth/onboarding',
      { cookie: user.cookie },
      { workspaceName: '  ', clientName: 'B' },
    )
    expect(res.statusCode).toBe(400)
    expect((await call(ctx.app, 'GET', '/api/workspaces', { cookie: user.cookie })).json().items).toEqual([])
  })

  it('lets an admin rename the workspace', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'rename')
    const res = await call(
      ctx.app,
      'PATCH',
      `/api/workspaces/${workspaceId}`,
      { cookie: user.cookie },
      { name: 'New name' },
    )
    expect(res.statusCode).toBe(200)
    expect(res.json().name).toBe('New name')
  })
})

describe('clients', () => {
  it('needs X-Workspace-ID: missing → 400 tenancy.workspace_required, foreign → 404', async () => {
    const { user } = await onboard(ctx.app, 'hdr')
    const other = await onboard(ctx.app, 'hdr-other')
    const missing = await call(ctx.app, 'GET', '/api/clients', { cookie: user.cookie })
    expect(missing.statusCode).toBe(400)
    expect(missing.json().error.code).toBe('tenancy.workspace_required')
    const foreign = await call(ctx.app, 'GET', '/api/clients', { cookie: user.cookie, workspaceId: other.workspaceId })
    expect(foreign.statusCode).toBe(404)
    const foreignCreate = await call(
      ctx.app,
      'POST',
      '/api/clients',
      { cookie: user.cookie, workspaceId: other.workspaceId },
      { name: 'Sneaky' },
    )
    expect(foreignCreate.statusCode).toBe(404)
  })

  it('creates, reads, updates and archives a client; archived clients are kept and listed on request', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'crud')
    const as = { cookie: user.cookie, workspaceId }
    const created = await call(ctx.app, 'POST', '/api/clients', as, {
      name: 'Florist',
      website: 'https://florist.example',
    })
    expect(created.statusCode).toBe(201)
    const id = created.json().id as string
    expect((await call(ctx.app, 'GET', `/api/clients/${id}`, as)).json()).toMatchObject({
      name: 'Florist',
      website: 'https://florist.example',
    })
    const patched = await call(ctx.app, 'PATCH', `/api/clients/${id}`, as, { name: 'Florist & Co', website: null })
    expect(patched.json()).toMatchObject({ name: 'Florist & Co', website: null })
    const archived = await call(ctx.app, 'POST', `/api/clients/${id}/archive`, as)
    expect(archived.statusCode).toBe(200)
    expect(archived.json().archivedAt).not.toBeNull()
    const active = (await call(ctx.app, 'GET', '/api/clients', as)).json().items.map((c: { id: string }) => c.id)
    expect(active).not.toContain(id)
    const only = (await call(ctx.app, 'GET', '/api/clients?archived=only', as))
      .json()
      .items.map((c: { id: string }) => c.id)
    expect(only).toEqual([id])
    const edit = await call(ctx.app, 'PATCH', `/api/clients/${id}`, as, { name: 'again' })
    expect(edit.statusCode).toBe(409)
    expect(edit.json().error.code).toBe('tenancy.client_archived')
  })

  it('refuses a javascript: website and an empty patch', async () => {
    const { user, workspaceId, clientId } = await onboard(ctx.app, 'val')
    const as = { cookie: user.cookie, workspaceId }
    expect(
      (await call(ctx.app, 'POST', '/api/clients', as, { name: 'X', website: 'javascript:alert(1)' })).statusCode,
    ).toBe(400)
    expect((await call(ctx.app, 'PATCH', `/api/clients/${clientId}`, as, {})).statusCode).toBe(400)
  })

  it('pages through clients newest first with a keyset cursor, with no duplicates or gaps', async () => {
    const { user, workspaceId, clientId } = await onboard(ctx.app, 'page')
    const as = { cookie: user.cookie, workspaceId }
    const ids = [clientId]
    for (let i = 0; i < 6; i++)
      ids.push((await call(ctx.app, 'POST', '/api/clients', as, { name: `Client ${i}` })).json().id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(ctx.app, 'GET', `/api/clients?limit=3${cursor ? `&cursor=${cursor}` : ''}`, as)
      seen.push(...res.json().items.map((c: { id: string }) => c.id))
      cursor = res.json().nextCursor
    } while (cursor)
    expect(seen).toHaveLength(7)
    expect(new Set(seen)).toEqual(new Set(ids))
    expect(seen[0]).toBe(ids.at(-1))
    expect((await call(ctx.app, 'GET', '/api/clients?cursor=garbage', as)).statusCode).toBe(400)
  })

  it('searches clients by name, treating % and _ literally', async () => {
    const { user, workspaceId } = await onboard(ctx.app, 'search')
    const as = { cookie: user.cookie, workspaceId }
    await call(ctx.app, 'POST', '/api/clients', as, { name: 'Garden 100%' })
    await call(ctx.app, 'POST', '/api/clients', as, { name: 'Garage' })
    const res = await call(ctx.app, 'GET', `/api/clients?q=${encodeURIComponent('0%')}`, as)
    expect(res.json().items.map((c: { name: string }) => c.name)).toEqual(['Garden 100%'])
  })

  it('lets a member create and edit clients but not archive them', async () => {
    const { user, workspaceId, clientId } = await onboard(ctx.app, 'roles')
    const member = await addMember(ctx.app, user, workspaceId, 'member')
    const as = { cookie: member.cookie, workspaceId }
    expect((await call(ctx.app, 'POST', '/api/clients', as, { name: 'By member' })).statusCode).toBe(201)
    expect((await call(ctx.app, 'PATCH', `/api/clients/${clientId}`, as, { notes: 'hello' })).statusCode).toBe(200)
    expect((await call(ctx.app, 'POST', `/api/clients/${clientId}/archive`, as)).statusCode).toBe(403)
  })
})

describe('members and invitations', () => {
  it('an invited user joins with the invited role and sees only that workspace', async () => {
    const a = await onboard(ctx.app, 'inv-a')
    await onboard(ctx.app, 'inv-b')
    const member = await addMember(ctx.app, a.user, a.workspaceId, 'member')
    const status = await call(ctx.app, 'GET', '/api/auth/status', { cookie: member.cookie })
    expect(status.json().workspaces).toEqual([expect.objectContaining({ id: a.workspaceId, role: 'member' })])
    const members = await call(ctx.app, 'GET', `/api/workspaces/${a.workspaceId}/members`, { cookie: member.cookie })
    expect(members.json().items.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([
      [a.user.id, 'owner'],
      [member.id, 'member'],
    ])
  })

  it('an invitation works once, only for its addressee, and not after revocation', async () => {
    const a = await onboard(ctx.app, 'once')
    const invitee = await signup(ctx.app, 'invitee')
    const stranger = await signup(ctx.app, 'stranger')
    const inv = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${a.workspaceId}/invitations`,
      { cookie: a.user.cookie },
      { email: invitee.email, role: 'viewer' },
    )
    const token = new URL(inv.json().acceptUrl).pathname.split('/').pop()!
    expect(
      (await call(ctx.app, 'POST', `/api/invitations/${token}/accept`, { cookie: stranger.cookie })).statusCode,
    ).toBe(404)
    const preview = await call(ctx.app, 'GET', `/api/invitations/${token}`, { cookie: invitee.cookie })
    expect(preview.json()).toMatchObject({ email: invitee.email, role: 'viewer', workspaceName: 'once agency' })
    expect(
      (await call(ctx.app, 'POST', `/api/invitations/${token}/accept`, { cookie: invitee.cookie })).statusCode,
    ).toBe(200)
    expect(
      (await call(ctx.app, 'POST', `/api/invitations/${token}/accept`, { cookie: invitee.cookie })).statusCode,
    ).toBe(404)

    const second = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${a.workspaceId}/invitations`,
      { cookie: a.user.cookie },
      { email: stranger.email },
    )
    const secondToken = new URL(second.json().acceptUrl).pathname.split('/').pop()!
    expect(
      (
        await call(ctx.app, 'DELETE', `/api/workspaces/${a.workspaceId}/invitations/${second.json().invitation.id}`, {
          cookie: a.user.cookie,
        })
      ).statusCode,
    ).toBe(204)
    expect(
      (await call(ctx.app, 'POST', `/api/invitations/${secondToken}/accept`, { cookie: stranger.cookie })).statusCode,
    ).toBe(404)
    const list = await call(ctx.app, 'GET', `/api/workspaces/${a.workspaceId}/invitations`, { cookie: a.user.cookie })
    expect(
      list
        .json()
        .items.map((i: { status: string }) => i.status)
        .sort(),
    ).toEqual(['accepted', 'revoked'])
  })

  it('an expired invitation cannot be accepted', async () => {
    const a = await onboard(ctx.app, 'expired')
    const invitee = await signup(ctx.app, 'late')
    const inv = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${a.workspaceId}/invitations`,
      { cookie: a.user.cookie },
      { email: invitee.email },
    )
    await ctx.container.db
      .updateTable('invitations')
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where('id', '=', inv.json().invitation.id)
      .execute()
    const token = new URL(inv.json().acceptUrl).pathname.split('/').pop()!
    expect(
      (await call(ctx.app, 'POST', `/api/invitations/${token}/accept`, { cookie: invitee.cookie })).statusCode,
    ).toBe(404)
  })

  it('refuses to invite someone who is already a member (409)', async () => {
    const a = await onboard(ctx.app, 'already')
    const member = await addMember(ctx.app, a.user, a.workspaceId, 'member')
    const res = await call(
      ctx.app,
      'POST',
      `/api/workspaces/${a.workspaceId}/invitations`,
      { cookie: a.user.cookie },
      { email: member.email },
    )
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('tenancy.already_member')
  })

  it('an admin changes roles but cannot make owners or touch the owner; the last owner stays', async () => {
    const a = await onboard(ctx.app, 'owner-rules')
    const admin = await addMember(ctx.app, a.user, a.workspaceId, 'admin')
    const member = await addMember(ctx.app, a.user, a.workspaceId, 'member')
    const url = (id: string) => `/api/workspaces/${a.workspaceId}/members/${id}`
    expect(
      (await call(ctx.app, 'PATCH', url(member.id), { cookie: admin.cookie }, { role: 'viewer' })).json().role,
    ).toBe('viewer')
    expect((await call(ctx.app, 'PATCH', url(member.id), { cookie: admin.cookie }, { role: 'owner' })).statusCode).toBe(
      403,
    )
    expect((await call(ctx.app, 'DELETE', url(a.user.id), { cookie: admin.cookie })).statusCode).toBe(403)
    const demote = await call(ctx.app, 'PATCH', url(a.user.id), { cookie: a.user.cookie }, { role: 'admin' })
    expect(demote.statusCode).toBe(409)
    expect(demote.json().error.code).toBe('tenancy.last_owner')
    expect((await call(ctx.app, 'DELETE', url(a.user.id), { cookie: a.user.cookie })).statusCode).toBe(409)
  })

  it('a removed member loses access at once, and anyone may leave', async () => {
    const a = await onboard(ctx.app, 'remove')
    const member = await addMember(ctx.app, a.user, a.workspaceId, 'member')
    const viewer = await addMember(ctx.app, a.user, a.workspaceId, 'viewer')
    expect(
      (
        await call(ctx.app, 'DELETE', `/api/workspaces/${a.workspaceId}/members/${member.id}`, {
          cookie: a.user.cookie,
        })
      ).statusCode,
    ).toBe(204)
    expect((await call(ctx.app, 'GET', `/api/clients/${a.clientId}`, { cookie: member.cookie })).statusCode).toBe(404)
    expect(
      (
        await call(ctx.app, 'DELETE', `/api/workspaces/${a.workspaceId}/members/${viewer.id}`, {
          cookie: viewer.cookie,
        })
      ).statusCode,
    ).toBe(204)
    expect((await call(ctx.app, 'GET', `/api/workspaces/${a.workspaceId}`, { cookie: viewer.cookie })).statusCode).toBe(
      404,
    )
  })
})

describe('audit log', () => {
  it('records security events, newest first, for admins only', async () => {
    const a = await onboard(ctx.app, 'audit')
    const member = await addMember(ctx.app, a.user, a.workspaceId, 'member')
    await call(ctx.app, 'POST', '/api/auth/login', {}, { email: member.email, password: 'wrong password here' })
    await call(
      ctx.app,
      'PATCH',
      `/api/workspaces/${a.workspaceId}/members/${member.id}`,
      { cookie: a.user.cookie },
      { role: 'viewer' },
    )
    await call(ctx.app, 'POST', `/api/clients/${a.clientId}/archive`, { cookie: a.user.cookie })
    const res = await call(ctx.app, 'GET', '/api/audit?limit=100', {
      cookie: a.user.cookie,
      workspaceId: a.workspaceId,
    })
    expect(res.statusCode).toBe(200)
    const actions = res.json().items.map((e: { action: string }) => e.action)
    expect(actions.slice(0, 2)).toEqual(['client.archived', 'member.role_changed'])
    expect(actions).toEqual(expect.arrayContaining(['invitation.created', 'member.joined', 'workspace.created']))
    // A member's sign-ins are theirs alone (GET /api/auth/activity), not their admins'.
    expect(actions).not.toContain('auth.login_failed')
    expect(actions).not.toContain('auth.signup')
    expect(
      (await call(ctx.app, 'GET', '/api/audit', { cookie: member.cookie, workspaceId: a.workspaceId })).statusCode,
    ).toBe(403)
  })

  it("does not show another workspace's events or its members' logins", async () => {
    const a = await onboard(ctx.app, 'aud-a')
    const b = await onboard(ctx.app, 'aud-b')
    await call(ctx.app, 'POST', '/api/auth/login', {}, { email: b.user.email, password: b.user.password })
    const res = await call(ctx.app, 'GET', '/api/audit?limit=100', {
      cookie: a.user.cookie,
      workspaceId: a.workspaceId,
    })
    const subjects = res
      .json()
      .items.map((e: { subjectUserId: string | null; actorUserId: string | null }) => e.subjectUserId ?? e.actorUserId)
    expect(subjects).not.toContain(b.user.id)
    expect(res.body).not.toContain(b.workspaceId)
  })

  it('pages with a cursor', async () => {
    const a = await onboard(ctx.app, 'aud-page')
    const first = await call(ctx.app, 'GET', '/api/audit?limit=1', {
      cookie: a.user.cookie,
      workspaceId: a.workspaceId,
    })
    const next = first.json().nextCursor
    expect(next).toBeTruthy()
    const second = await call(ctx.app, 'GET', `/api/audit?limit=1&cursor=${next}`, {
      cookie: a.user.cookie,
      workspaceId: a.workspaceId,
    })
    expect(second.json().items[0].id).not.toBe(first.json().items[0].id)
  })
})

it('an unknown email invitee can sign up later and accept', async () => {
  const a = await onboard(ctx.app, 'later')
  const email = uniqueEmail('future')
  const inv = await call(
    ctx.app,
    'POST',
    `/api/workspaces/${a.workspaceId}/invitations`,
    { cookie: a.user.cookie },
    { email, role: 'member' },
  )
  const token = new URL(inv.json().acceptUrl).pathname.split('/').pop()!
  const signupRes = await call(
    ctx.app,
    'POST',
    '/api/auth/signup',
    {},
    { email, password: 'a fine long passphrase', name: 'Future' },
  )
  const cookie = String(signupRes.headers['set-cookie']).split(';')[0]!
  expect((await call(ctx.app, 'POST', `/api/invitations/${token}/accept`, { cookie })).json().workspace.id).toBe(
    a.workspaceId,
  )
})
