import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlowDto, FlowGraph, GraphIssue } from '../../contracts/flows.ts'
import { addMember, call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

const graph = (url: string): FlowGraph => ({
  nodes: [
    { id: 'trigger', type: 'core.manual', name: 'Start', position: { x: 0, y: 0 }, config: {} },
    { id: 'call', type: 'core.http', name: 'Notify', position: { x: 200, y: 0 }, config: { url } },
  ],
  edges: [{ from: 'trigger', fromPort: 'out', to: 'call', toPort: 'in' }],
})
const GOOD = graph('https://hooks.example.com/notify')

describe('flow definitions', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof buildWorld>>

  const buildWorld = async () => {
    const a = await onboard(ctx.app, 'flows-owner')
    const clientA2 = (
      await call(ctx.app, 'POST', '/api/clients', { cookie: a.user.cookie, workspaceId: a.workspaceId }, { name: 'A2' })
    ).json().id as string
    const admin = await addMember(ctx.app, a.user, a.workspaceId, 'admin', 'flows-admin')
    const member = await addMember(ctx.app, a.user, a.workspaceId, 'member', 'flows-member')
    const viewer = await addMember(ctx.app, a.user, a.workspaceId, 'viewer', 'flows-viewer')
    const b = await onboard(ctx.app, 'flows-outsider')
    const clientToken = (
      await call(ctx.app, 'POST', '/api/tokens', { cookie: a.user.cookie }, { name: 'bound', clientId: a.clientId })
    ).json().token as string
    return { ...a, clientA2, admin, member, viewer, outsider: b, clientToken }
  }
  const as = (who: { cookie: string }, clientId = w.clientId): Caller => ({
    cookie: who.cookie,
    headers: { 'x-client-id': clientId },
  })
  const owner = (clientId?: string) => as(w.user, clientId)
  const create = async (body: Record<string, unknown> = { name: 'Lead intake' }, clientId?: string) => {
    const res = await call(ctx.app, 'POST', '/api/flows', owner(clientId), body)
    expect(res.statusCode, res.body).toBe(201)
    return res.json() as FlowDto
  }
  const put = (id: string, body: Record<string, unknown>, who: Caller = owner()) =>
    call(ctx.app, 'PUT', `/api/flows/${id}`, who, body)
  const post = (id: string, action: string, who: Caller = owner()) =>
    call(ctx.app, 'POST', `/api/flows/${id}/${action}`, who)
  const auditActions = async () =>
    (await call(ctx.app, 'GET', '/api/audit?limit=100', { cookie: w.user.cookie, workspaceId: w.workspaceId })).json()
      .items as { action: string; targetId: string | null; metadata: Record<string, unknown> }[]

  beforeAll(async () => {
    ctx = await createTestContext()
    w = await buildWorld()
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('creates a flow that starts with a manual trigger, lists it and reads it', async () => {
    const flow = await create({ name: 'First', description: 'Says hello' })

    expect(flow).toMatchObject({
      clientId: w.clientId,
      name: 'First',
      description: 'Says hello',
      state: 'active',
      draftRevision: 0,
      publishedVersion: null,
      unpublishedChanges: true,
      webhook: null,
      draft: { nodes: [{ id: 'trigger', type: 'core.manual', position: { x: 0, y: 0 } }], edges: [] },
    })
    const list = await call(ctx.app, 'GET', '/api/flows', owner())
    expect(list.json().items.map((f: FlowDto) => f.id)).toContain(flow.id)
    expect((await call(ctx.app, 'GET', `/api/flows/${flow.id}`, owner())).json()).toEqual(flow)
  })

  it('pages the list newest first with a cursor', async () => {
    const client = (
      await call(ctx.app, 'POST', '/api/clients', { cookie: w.user.cookie, workspaceId: w.workspaceId }, { name: 'P' })
    ).json().id as string
    const ids = []
    for (const name of ['one', 'two', 'three']) ids.push((await create({ name }, client)).id)

    const first = (await call(ctx.app, 'GET', '/api/flows?limit=2', owner(client))).json()
    const second = (await call(ctx.app, 'GET', `/api/flows?limit=2&cursor=${first.nextCursor}`, owner(client))).json()

    expect([...first.items, ...second.items].map((f: FlowDto) => f.id)).toEqual(ids.reverse())
    expect(second.nextCursor).toBeNull()
  })

  it('saves the draft from its revision and refuses a stale one with 409', async () => {
    const flow = await create()

    const saved = await put(flow.id, { graph: GOOD, revision: 0 })
    expect(saved.statusCode, saved.body).toBe(200)
    expect(saved.json()).toMatchObject({ draftRevision: 1, draft: GOOD })
    const stale = await put(flow.id, { name: 'Overwritten', revision: 0 })
    expect(stale.statusCode).toBe(409)
    expect(stale.json().error.code).toBe('flows.stale_draft')
    const renamed = await put(flow.id, { name: 'Renamed', revision: 1 })
    expect(renamed.json()).toMatchObject({ name: 'Renamed', draftRevision: 2, draft: GOOD })
  })

  it('keeps an incomplete draft but refuses duplicate node ids and edges to missing nodes', async () => {
    const flow = await create()
    const incomplete = { nodes: [GOOD.nodes[1]!], edges: [] }
    expect((await put(flow.id, { graph: incomplete, revision: 0 })).statusCode).toBe(200)

    const dup = await put(flow.id, { graph: { nodes: [GOOD.nodes[0], GOOD.nodes[0]], edges: [] }, revision: 1 })
    expect(dup.statusCode).toBe(400)
    expect(dup.json().error).toMatchObject({
      code: 'flows.invalid_graph',
      details: { issues: [{ nodeId: 'trigger', path: ['nodes', 1, 'id'] }] },
    })
    const dangling = await put(flow.id, {
      graph: { nodes: [GOOD.nodes[0]], edges: [{ from: 'trigger', to: 'ghost' }] },
      revision: 1,
    })
    expect(dangling.statusCode).toBe(400)
    expect(dangling.json().error.details.issues[0]).toMatchObject({ nodeId: 'trigger', path: ['edges', 0] })
    const malformed = await put(flow.id, { graph: { nodes: [{ id: '1 bad' }], edges: [] }, revision: 1 })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().error.code).toBe('request.invalid')
  })

  it('refuses to publish an invalid graph, with issues pinned to node ids and config paths', async () => {
    const flow = await create({ name: 'Broken', graph: graph('ftp://nope') })

    const res = await post(flow.id, 'publish')

    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('flows.invalid_graph')
    const issues = res.json().error.details.issues as GraphIssue[]
    expect(issues).toEqual([expect.objectContaining({ nodeId: 'call', path: ['config', 'url'] })])
    expect((await call(ctx.app, 'GET', `/api/flows/${flow.id}`, owner())).json().publishedVersion).toBeNull()
  })

  it('publishes versions 1 and 2, and republishing an unchanged draft changes nothing', async () => {
    const flow = await create({ name: 'Versions', graph: GOOD })

    const v1 = (await post(flow.id, 'publish')).json() as FlowDto
    expect(v1.publishedVersion).toMatchObject({ number: 1 })
    expect(v1.unpublishedChanges).toBe(false)
    const again = await post(flow.id, 'publish')
    expect(again.statusCode).toBe(200)
    expect(again.json().publishedVersion).toEqual(v1.publishedVersion)

    const edited = (await put(flow.id, { graph: graph('https://hooks.example.com/v2'), revision: 0 })).json()
    expect(edited).toMatchObject({ unpublishedChanges: true, publishedVersion: v1.publishedVersion })
    const v2 = (await post(flow.id, 'publish')).json() as FlowDto
    expect(v2.publishedVersion?.number).toBe(2)
    expect(v2.publishedVersion?.id).not.toBe(v1.publishedVersion?.id)
    const listed = (await call(ctx.app, 'GET', '/api/flows', owner()))
      .json()
      .items.find((f: FlowDto) => f.id === flow.id)
    expect(listed).toMatchObject({ unpublishedChanges: false, publishedVersion: v2.publishedVersion })

    const published = (await auditActions()).filter((e) => e.action === 'flow.published' && e.targetId === flow.id)
    expect(published.map((e) => e.metadata.version)).toEqual([2, 1])
  })

  it('stores versions the database refuses to change or delete', async () => {
    const flow = await create({ name: 'Frozen', graph: GOOD })
    const versionId = (await post(flow.id, 'publish')).json().publishedVersion.id as string
    const { db } = ctx.container

    await expect(
      db.updateTable('flowVersions').set({ graphHash: 'tampered' }).where('id', '=', versionId).execute(),
    ).rejects.toThrow(/immutable/)
    await expect(db.deleteFrom('flowVersions').where('id', '=', versionId).execute()).rejects.toThrow(/immutable/)
  })

  it('pauses, resumes, archives and restores a flow, each audited', async () => {
    const flow = await create({ name: 'Lifecycle', graph: GOOD })

    expect((await post(flow.id, 'pause')).json().state).toBe('paused')
    expect((await post(flow.id, 'pause')).json().state).toBe('paused')
    expect((await post(flow.id, 'resume')).json().state).toBe('active')
    expect((await post(flow.id, 'archive')).json().state).toBe('archived')

    const listed = async (q = '') =>
      (await call(ctx.app, 'GET', `/api/flows${q}`, owner())).json().items.map((f: FlowDto) => f.id)
    expect(await listed()).not.toContain(flow.id)
    expect(await listed('?state=archived')).toEqual([flow.id])
    expect((await put(flow.id, { name: 'Edit', revision: 0 })).json().error.code).toBe('flows.archived')
    expect((await post(flow.id, 'publish')).json().error.code).toBe('flows.archived')
    expect((await post(flow.id, 'resume')).statusCode).toBe(409)

    const restored = await post(flow.id, 'restore')
    expect(restored.json().state).toBe('paused')
    expect(await listed()).toContain(flow.id)
    const mine = (await auditActions()).filter((e) => e.targetId === flow.id).map((e) => e.action)
    expect(mine).toEqual(['flow.restored', 'flow.archived', 'flow.resumed', 'flow.paused', 'flow.created'])
  })

  it('exports the draft and imports it into another client', async () => {
    const flow = await create({ name: 'Portable', description: 'Goes places', graph: GOOD })

    const exported = await call(ctx.app, 'GET', `/api/flows/${flow.id}/export`, owner())
    expect(exported.json()).toEqual({ camaradFlow: 1, name: 'Portable', description: 'Goes places', graph: GOOD })
    const imported = await call(ctx.app, 'POST', '/api/flows/import', owner(w.clientA2), exported.json())

    expect(imported.statusCode, imported.body).toBe(201)
    expect(imported.json()).toMatchObject({ clientId: w.clientA2, name: 'Portable', draft: GOOD, state: 'active' })
    expect((await auditActions()).find((e) => e.targetId === imported.json().id)?.action).toBe('flow.imported')
  })

  it('refuses an import with a node type this server does not have', async () => {
    const body = {
      camaradFlow: 1,
      name: 'Alien',
      graph: { nodes: [{ id: 'x', type: 'crm.unknown', name: 'X', position: { x: 0, y: 0 } }], edges: [] },
    }
    const res = await call(ctx.app, 'POST', '/api/flows/import', owner(), body)

    expect(res.statusCode).toBe(400)
    expect(res.json().error.details.issues).toEqual([expect.objectContaining({ nodeId: 'x', path: ['type'] })])
  })

  it('lets an admin edit and publish, members and viewers only read', async () => {
    const flow = await create({ name: 'Roles', graph: GOOD })
    const byAdmin = await post(flow.id, 'publish', as(w.admin))
    expect(byAdmin.statusCode).toBe(200)

    for (const reader of [w.member, w.viewer]) {
      expect((await call(ctx.app, 'GET', '/api/flows', as(reader))).statusCode).toBe(200)
      expect((await call(ctx.app, 'GET', `/api/flows/${flow.id}`, as(reader))).statusCode).toBe(200)
      expect((await call(ctx.app, 'GET', `/api/flows/${flow.id}/export`, as(reader))).statusCode).toBe(200)
      expect((await call(ctx.app, 'POST', '/api/flows', as(reader), { name: 'Nope' })).statusCode).toBe(403)
      expect((await put(flow.id, { name: 'Nope', revision: 0 }, as(reader))).statusCode).toBe(403)
      expect((await post(flow.id, 'publish', as(reader))).statusCode).toBe(403)
      expect((await post(flow.id, 'archive', as(reader))).statusCode).toBe(403)
    }
  })

  it('answers 404 to another workspace and to another client of the same workspace', async () => {
    const flow = await create({ name: 'Private' })
    const stranger = { cookie: w.outsider.user.cookie }

    expect((await call(ctx.app, 'GET', `/api/flows/${flow.id}`, stranger)).statusCode).toBe(404)
    expect((await call(ctx.app, 'GET', '/api/flows', as(w.outsider.user, w.clientId))).statusCode).toBe(404)
    expect((await post(flow.id, 'archive', stranger)).statusCode).toBe(404)
    const wrongClient = await call(ctx.app, 'GET', `/api/flows/${flow.id}`, owner(w.clientA2))
    expect(wrongClient.statusCode).toBe(404)
    expect(wrongClient.json().error.code).toBe('flows.not_found')
    expect((await call(ctx.app, 'GET', '/api/flows/fl_doesnotexist000000', owner())).statusCode).toBe(404)
  })

  it("shows a client-bound token only its client's flows", async () => {
    const mine = await create({ name: 'Bound A' })
    const other = await create({ name: 'Bound A2' }, w.clientA2)
    const token = { token: w.clientToken }

    const list = (await call(ctx.app, 'GET', '/api/flows?limit=100', token)).json().items.map((f: FlowDto) => f.id)
    expect(list).toContain(mine.id)
    expect(list).not.toContain(other.id)
    expect((await call(ctx.app, 'GET', `/api/flows/${mine.id}`, token)).statusCode).toBe(200)
    expect((await call(ctx.app, 'GET', `/api/flows/${other.id}`, token)).statusCode).toBe(404)
    expect(
      (await call(ctx.app, 'GET', '/api/flows', { ...token, headers: { 'x-client-id': w.clientA2 } })).statusCode,
    ).toBe(404)
  })

  it('lists the core node types with the JSON Schema of their config', async () => {
    const res = await call(ctx.app, 'GET', '/api/flows/node-types', owner())

    expect(res.statusCode).toBe(200)
    const types = res.json() as { type: string; configSchema: { properties?: Record<string, unknown> } }[]
    expect(types.map((t) => t.type)).toEqual(
      expect.arrayContaining(['core.manual', 'core.webhook', 'core.http', 'core.ai', 'core.loop', 'core.switch']),
    )
    const http = types.find((t) => t.type === 'core.http')!
    expect(http).toMatchObject({ kind: 'action', effect: 'external', inputs: ['in'], outputs: ['out', 'error'] })
    expect(http.configSchema).toMatchObject({ type: 'object' })
    expect(Object.keys(http.configSchema.properties!)).toEqual(expect.arrayContaining(['url', 'method', 'headers']))
    expect(types.find((t) => t.type === 'core.switch')).toMatchObject({ dynamicOutputs: true })
    expect((await call(ctx.app, 'GET', '/api/flows/node-types', {})).statusCode).toBe(401)
  })

  it("previews a schedule's next occurrences in its time zone, and refuses what the scheduler would not fire", async () => {
    const q = (cron: string, rest = '') =>
      call(ctx.app, 'GET', `/api/flows/schedule-preview?cron=${encodeURIComponent(cron)}${rest}`, as(w.viewer))
    const weekdays = await q('0 9 * * 1-5', '&timezone=Europe/Bucharest&count=3')
    expect(weekdays.statusCode, weekdays.body).toBe(200)
    const next = (weekdays.json() as { next: string[] }).next.map((d) => new Date(d))
    expect(next).toHaveLength(3)
    for (const d of next) {
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Bucharest',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(d)
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:00$/)
    }
    expect(next[0]! > new Date() && next[0]! < next[1]! && next[1]! < next[2]!).toBe(true)
    expect((await q('*/15 * * * *')).json().next).toHaveLength(5)
    const never = await q('0 0 30 2 *')
    expect(never.statusCode).toBe(400)
    expect(never.json().error.code).toBe('flows.schedule_invalid')
    const zone = await q('0 9 * * *', '&timezone=Mars/Olympus')
    expect(zone.statusCode).toBe(400)
    expect(zone.json().error.code).toBe('flows.schedule_invalid')
    expect((await q('0 9 * * *', '&count=11')).statusCode).toBe(400)
    expect((await call(ctx.app, 'GET', '/api/flows/schedule-preview?cron=*', {})).statusCode).toBe(401)
  })

  it('validates a graph without storing it', async () => {
    const ok = await call(ctx.app, 'POST', '/api/flows/validate', owner(), { graph: GOOD })
    expect(ok.json()).toEqual({ valid: true, issues: [] })

    const bad = await call(ctx.app, 'POST', '/api/flows/validate', as(w.viewer), { graph: graph('not a url') })
    expect(bad.statusCode).toBe(200)
    expect(bad.json()).toMatchObject({ valid: false, issues: [{ nodeId: 'call', path: ['config', 'url'] }] })
    const noTrigger = await call(ctx.app, 'POST', '/api/flows/validate', owner(), {
      graph: { nodes: [GOOD.nodes[1]], edges: [] },
    })
    expect(noTrigger.json().issues).toEqual([expect.objectContaining({ nodeId: null, path: ['nodes'] })])
  })

  describe('the version a run executes', () => {
    const scope = () => ({
      userId: w.user.id,
      workspaceId: w.workspaceId,
      role: 'admin' as const,
      clientId: w.clientId,
    })
    const versionFor = (id: string, draft: boolean) =>
      ctx.container.db
        .transaction()
        .execute((trx) => ctx.container.flows.definitions.versionForRun(trx, scope(), id, { draft, userId: w.user.id }))
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      )

    it('snapshots the draft once per distinct graph, unpublished', async () => {
      const flow = await create({ name: 'Test runs', graph: GOOD })

      const first = await versionFor(flow.id, true)
      const again = await versionFor(flow.id, true)

      expect(first.version).toMatchObject({ published: false, number: null, flowId: flow.id, graph: GOOD })
      expect(again.version.id).toBe(first.version.id)
      await put(flow.id, { graph: graph('https://hooks.example.com/other'), revision: 0 })
      expect((await versionFor(flow.id, true)).version.id).not.toBe(first.version.id)
      expect((await call(ctx.app, 'GET', `/api/flows/${flow.id}`, owner())).json().publishedVersion).toBeNull()
    })

    it('refuses to snapshot a draft that would not publish', async () => {
      const flow = await create({ name: 'Broken test run', graph: graph('ftp://nope') })

      expect(await codeOf(versionFor(flow.id, true))).toBe('flows.invalid_graph')
      const snapshots = await ctx.container.db.selectFrom('flowVersions').where('flowId', '=', flow.id).execute()
      expect(snapshots).toEqual([])
    })

    it('runs the published version, and not when unpublished, paused or archived', async () => {
      const flow = await create({ name: 'Runs', graph: GOOD })
      expect(await codeOf(versionFor(flow.id, false))).toBe('flows.not_published')

      const published = (await post(flow.id, 'publish')).json() as FlowDto
      expect((await versionFor(flow.id, false)).version).toMatchObject({
        id: published.publishedVersion!.id,
        number: 1,
        published: true,
      })
      await post(flow.id, 'pause')
      expect(await codeOf(versionFor(flow.id, false))).toBe('flows.paused')
      await post(flow.id, 'archive')
      expect(await codeOf(versionFor(flow.id, true))).toBe('flows.archived')
      expect(await codeOf(ctx.container.flows.definitions.flowOf(flow.id))).toBe('resolved')
    })
  })
})

describe('flows against the plan', () => {
  let ctx: TestContext

  beforeAll(async () => {
    ctx = await createTestContext({ PLANS_FILE: 'config/plans.json' })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('refuses a flow past the Free plan with 402, and archiving frees the slot', async () => {
    const a = await onboard(ctx.app, 'flows-free')
    const as = { cookie: a.user.cookie, headers: { 'x-client-id': a.clientId } }
    const first = await call(ctx.app, 'POST', '/api/flows', as, { name: 'The one' })
    expect(first.statusCode).toBe(201)

    const second = await call(ctx.app, 'POST', '/api/flows', as, { name: 'One too many' })
    expect(second.statusCode).toBe(402)
    expect(second.json().error).toMatchObject({ code: 'plan.limit_reached', details: { limit: 'flows', max: 1 } })
    const imported = await call(ctx.app, 'POST', '/api/flows/import', as, {
      camaradFlow: 1,
      name: 'Imported',
      graph: first.json().draft,
    })
    expect(imported.statusCode).toBe(402)
    const plan = await call(ctx.app, 'GET', `/api/workspaces/${a.workspaceId}/plan`, { cookie: a.user.cookie })
    expect(plan.json().usage.find((u: { key: string }) => u.key === 'flows')).toEqual({
      key: 'flows',
      used: 1,
      limit: 1,
    })

    await call(ctx.app, 'POST', `/api/flows/${first.json().id}/archive`, as)
    const replacement = await call(ctx.app, 'POST', '/api/flows', as, { name: 'Replacement' })
    expect(replacement.statusCode).toBe(201)
    const restore = await call(ctx.app, 'POST', `/api/flows/${first.json().id}/restore`, as)
    expect(restore.statusCode).toBe(402)
  })
})
