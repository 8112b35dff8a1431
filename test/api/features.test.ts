import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, onboard, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'

/**
 * Feature flags for risky features (issue 17 §8): the installation's defaults (`FEATURES_OFF`) and the operator's
 * per-workspace overrides, audited; the modules that own a risky feature refuse it with 403 `features.disabled`.
 */
let ctx: TestContext
let a: Awaited<ReturnType<typeof onboard>>
let b: Awaited<ReturnType<typeof onboard>>
const op = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
const features = async (o: typeof a) =>
  (await call(ctx.app, 'GET', `/api/workspaces/${o.workspaceId}/features`, { cookie: o.user.cookie })).json().items as {
    feature: string
    enabled: boolean
    default: boolean
    source: string
  }[]
const stateOf = async (o: typeof a, feature: string) => (await features(o)).find((f) => f.feature === feature)!
const override = (workspaceId: string, feature: string, enabled: boolean | null, caller = op) =>
  call(ctx.app, 'PUT', `/api/operator/workspaces/${workspaceId}/features/${feature}`, caller, {
    enabled,
    reason: 'flag test',
  })
const addQr = (o: typeof a) =>
  call(
    ctx.app,
    'POST',
    '/api/channels',
    { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } },
    {
      kind: 'qr',
      name: 'Front desk',
    },
  )
const importPages = (o: typeof a) =>
  call(
    ctx.app,
    'POST',
    '/api/crm/imports',
    { cookie: o.user.cookie, headers: { 'x-client-id': o.clientId } },
    {
      urls: ['https://example.com/contact'],
      source: 'web',
      dryRun: true,
    },
  )

beforeAll(async () => {
  ctx = await createTestContext({ FEATURES_OFF: 'page_import' })
  a = await onboard(ctx.app, 'flags-a')
  b = await onboard(ctx.app, 'flags-b')
})
afterAll(async () => {
  await ctx.close()
})

describe('feature flags', () => {
  it("list every risky feature with the installation's default for the workspace's members", async () => {
    const items = await features(a)
    expect(items.map((f) => f.feature)).toEqual(['whatsapp_qr', 'auto_reply', 'campaigns', 'page_import'])
    expect(items.find((f) => f.feature === 'whatsapp_qr')).toMatchObject({
      enabled: true,
      default: true,
      source: 'default',
    })
    expect(items.find((f) => f.feature === 'page_import')).toMatchObject({ enabled: false, default: false })
    // Nobody else's workspace.
    const res = await call(ctx.app, 'GET', `/api/workspaces/${a.workspaceId}/features`, { cookie: b.user.cookie })
    expect(res.statusCode).toBe(404)
  })

  it('refuse a feature the installation switched off, with a message naming it', async () => {
    const res = await importPages(a)
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toMatchObject({ code: 'features.disabled', details: { feature: 'page_import' } })
    expect(res.json().error.message).toContain('Lead import from web pages')
  })

  it('let the operator switch a feature for one workspace only, audited, and back to the default', async () => {
    expect((await addQr(a)).statusCode).toBe(201)
    const off = await override(a.workspaceId, 'whatsapp_qr', false)
    expect(off.statusCode, off.body).toBe(200)
    expect(off.json()).toMatchObject({ feature: 'whatsapp_qr', enabled: false, default: true, source: 'workspace' })
    const refused = await addQr(a)
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.code).toBe('features.disabled')
    expect((await addQr(b)).statusCode).toBe(201)

    // On for one workspace although the installation has it off.
    expect((await override(b.workspaceId, 'page_import', true)).json()).toMatchObject({ enabled: true })
    expect((await importPages(b)).statusCode).not.toBe(403)
    expect((await importPages(a)).statusCode).toBe(403)

    const back = await override(a.workspaceId, 'whatsapp_qr', null)
    expect(back.json()).toMatchObject({ enabled: true, source: 'default' })
    expect((await stateOf(a, 'whatsapp_qr')).enabled).toBe(true)
    expect((await addQr(a)).statusCode).toBe(201)

    const audited = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['metadata'])
      .where('action', '=', 'feature.overridden')
      .where('workspaceId', '=', a.workspaceId)
      .orderBy('createdAt')
      .execute()
    expect(audited.map((e) => e.metadata)).toEqual([
      expect.objectContaining({ feature: 'whatsapp_qr', from: true, to: false, override: false }),
      expect.objectContaining({ feature: 'whatsapp_qr', from: false, to: true, override: null }),
    ])
  })

  it('are set by the operator only, for a workspace that exists, a feature that exists, with a reason', async () => {
    expect((await override(a.workspaceId, 'campaigns', false, { headers: {} } as typeof op)).statusCode).toBe(401)
    const asUser = await call(
      ctx.app,
      'PUT',
      `/api/operator/workspaces/${a.workspaceId}/features/campaigns`,
      { cookie: a.user.cookie },
      { enabled: false, reason: 'me' },
    )
    expect(asUser.statusCode).toBe(401)
    expect((await override('ws_doesnotexist000000000', 'campaigns', false)).statusCode).toBe(404)
    expect((await override(a.workspaceId, 'teleport', false)).statusCode).toBe(404)
    const noReason = await call(ctx.app, 'PUT', `/api/operator/workspaces/${a.workspaceId}/features/campaigns`, op, {
      enabled: false,
    })
    expect(noReason.statusCode).toBe(400)
    expect((await stateOf(a, 'campaigns')).enabled).toBe(true)
    const read = await call(ctx.app, 'GET', `/api/operator/workspaces/${a.workspaceId}/features`, op)
    expect(read.statusCode).toBe(200)
    expect(read.json().items).toHaveLength(4)
  })
})
