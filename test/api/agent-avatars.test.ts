import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AGENT_AVATAR_MAX_BYTES, BUILTIN_AVATAR_KEYS } from '../../contracts/agents.ts'
import { gifHead, jpegHead, solidPng } from '../fixtures/pictures.ts'
import { addMember, call, createTestContext, onboard, type Caller, type TestContext } from '../harness.ts'

let ctx: TestContext
let owner: Caller
let viewer: Caller
let outsider: Caller
let agentId: string

const put = (id: string, bytes: Buffer, contentType: string, as: Caller = owner) =>
  call(ctx.app, 'PUT', `/api/agents/${id}/avatar`, { ...as, headers: { 'content-type': contentType } }, bytes)
const get = (url: string, as: Caller = owner, headers: Record<string, string> = {}) =>
  call(ctx.app, 'GET', url, { ...as, headers: { ...as.headers, ...headers } })
const listed = async (id: string) =>
  ((await get('/api/agents')).json().items as { id: string; avatar: string; avatarImage: string | null }[]).find(
    (a) => a.id === id,
  )!
const auditActions = async (id: string) =>
  (
    await ctx.container.db
      .selectFrom('auditEvents')
      .select('action')
      .where('targetId', '=', id)
      .orderBy('createdAt', 'asc')
      .execute()
  ).map((e) => e.action)

beforeAll(async () => {
  ctx = await createTestContext()
  const a = await onboard(ctx.app, 'avatars')
  owner = { cookie: a.user.cookie, workspaceId: a.workspaceId }
  const v = await addMember(ctx.app, a.user, a.workspaceId, 'viewer')
  viewer = { cookie: v.cookie, workspaceId: a.workspaceId }
  const b = await onboard(ctx.app, 'avatars-other')
  outsider = { cookie: b.user.cookie, workspaceId: b.workspaceId }
  const res = await call(ctx.app, 'POST', '/api/agents', owner, { name: 'Ana Maria Pop', instructions: 'Be brief.' })
  expect(res.statusCode, res.body).toBe(201)
  agentId = res.json().id
})
afterAll(async () => {
  await ctx?.close()
})

describe('agent avatars', () => {
  it('names designs, not emoji: built-ins carry their design key, a new custom agent its initials', async () => {
    const items = (await get('/api/agents')).json().items as { kind: string; avatar: string; avatarImage: null }[]
    const builtins = items.filter((a) => a.kind === 'builtin')
    expect(builtins.map((a) => a.avatar).sort()).toEqual([...BUILTIN_AVATAR_KEYS].sort())
    expect(builtins.every((a) => a.avatarImage === null)).toBe(true)
    expect((await listed(agentId)).avatar).toBe('initials')
    const emoji = await call(ctx.app, 'POST', '/api/agents', owner, {
      name: 'Emoji',
      instructions: 'x',
      avatar: '🤖',
    })
    expect(emoji.statusCode).toBe(400)
    const picked = await call(ctx.app, 'POST', '/api/agents', owner, { name: 'Seo', instructions: 'x', avatar: 'seo' })
    expect(picked.json()).toMatchObject({ avatar: 'seo', avatarImage: null })
  })

  it('takes a PNG, serves it with its type, validators and nosniff, and audits the upload', async () => {
    const png = solidPng(8, [200, 40, 90])
    const res = await put(agentId, png, 'image/png')
    expect(res.statusCode, res.body).toBe(200)
    const url = res.json().avatarImage as string
    expect(url).toMatch(new RegExp(`^/api/agents/${agentId}/avatar\\?v=[0-9a-f]{16}$`))
    expect((await listed(agentId)).avatarImage).toBe(url)

    const served = await get(url)
    expect(served.statusCode).toBe(200)
    expect(served.headers['content-type']).toBe('image/png')
    expect(served.headers['x-content-type-options']).toBe('nosniff')
    expect(served.headers['cache-control']).toBe('private, max-age=31536000, immutable')
    expect(served.headers.etag).toMatch(/^"[0-9a-f]{64}"$/)
    expect(served.rawPayload.equals(png)).toBe(true)
    // Without the version (or with an old one) it is revalidated; the ETag answers 304.
    const plain = await get(`/api/agents/${agentId}/avatar`)
    expect(plain.headers['cache-control']).toBe('private, no-cache')
    expect((await get(`/api/agents/${agentId}/avatar?v=0123456789abcdef`)).headers['cache-control']).toBe(
      'private, no-cache',
    )
    const again = await get(`/api/agents/${agentId}/avatar`, owner, { 'if-none-match': served.headers.etag as string })
    expect(again.statusCode).toBe(304)
    // A viewer of the workspace reads it (as an <img> with the session would).
    expect((await get(url, { cookie: viewer.cookie })).statusCode).toBe(200)
    expect(await auditActions(agentId)).toEqual(['agent.avatar_uploaded'])
  })

  it('reads the type from the bytes: a JPEG sent as octet-stream is a JPEG, and it replaces the PNG', async () => {
    const res = await put(agentId, jpegHead(), 'application/octet-stream')
    expect(res.statusCode, res.body).toBe(200)
    const served = await get(res.json().avatarImage)
    expect(served.headers['content-type']).toBe('image/jpeg')
    expect(served.rawPayload.equals(jpegHead())).toBe(true)
  })

  it('refuses a picture of another type whatever its Content-Type says, and keeps the one before', async () => {
    const before = (await listed(agentId)).avatarImage
    for (const [bytes, type] of [
      [gifHead(), 'image/png'],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/webp'],
      [Buffer.from('{"name":"x"}'), 'application/json'],
      [Buffer.alloc(0), 'image/png'],
    ] as const) {
      const res = await put(agentId, bytes, type)
      expect(res.statusCode, `${type}: ${res.body}`).toBe(415)
      expect(res.json().error.code).toBe('agents.avatar_type')
    }
    expect((await listed(agentId)).avatarImage).toBe(before)
  })

  it('refuses a picture over the size cap with agents.avatar_too_large', async () => {
    const before = (await listed(agentId)).avatarImage
    const big = solidPng(4, [0, 0, 0], AGENT_AVATAR_MAX_BYTES)
    expect(big.length).toBeGreaterThan(AGENT_AVATAR_MAX_BYTES)
    const res = await put(agentId, big, 'image/png')
    expect(res.statusCode).toBe(413)
    expect(res.json().error.code).toBe('agents.avatar_too_large')
    // Right at the cap is accepted.
    const fits = solidPng(4, [0, 0, 0], AGENT_AVATAR_MAX_BYTES - 200)
    const exact = Buffer.concat([fits, Buffer.alloc(AGENT_AVATAR_MAX_BYTES - fits.length)])
    expect(exact.length).toBe(AGENT_AVATAR_MAX_BYTES)
    expect((await put(agentId, exact, 'image/png')).statusCode).toBe(200)
    expect((await listed(agentId)).avatarImage).not.toBe(before)
  })

  it("refuses another workspace's agent (404), a viewer's upload (403) and a built-in (409), changing nothing", async () => {
    const png = solidPng(2, [1, 2, 3])
    for (const res of [
      await put(agentId, png, 'image/png', outsider),
      await get(`/api/agents/${agentId}/avatar`, outsider),
      await call(ctx.app, 'DELETE', `/api/agents/${agentId}/avatar`, outsider),
    ]) {
      expect(res.statusCode).toBe(404)
      expect(res.json().error.code).toBe('agents.not_found')
    }
    const viewerPut = await put(agentId, png, 'image/png', viewer)
    expect(viewerPut.statusCode).toBe(403)
    const builtin = await put('builtin.copywriter', png, 'image/png')
    expect(builtin.statusCode).toBe(409)
    expect(builtin.json().error.code).toBe('agents.builtin_readonly')
    expect((await get('/api/agents/builtin.copywriter/avatar')).statusCode).toBe(404)
    expect((await get(`/api/agents/${agentId}/avatar`)).rawPayload.equals(png)).toBe(false)
  })

  it('removes the picture: 204, the generated avatar again, 404 for the file, audited once', async () => {
    const res = await call(ctx.app, 'DELETE', `/api/agents/${agentId}/avatar`, owner)
    expect(res.statusCode).toBe(204)
    expect(await listed(agentId)).toMatchObject({ avatar: 'initials', avatarImage: null })
    const gone = await get(`/api/agents/${agentId}/avatar`)
    expect(gone.statusCode).toBe(404)
    expect(gone.json().error.code).toBe('agents.avatar_not_found')
    // Removing nothing is still 204, and not audited again.
    expect((await call(ctx.app, 'DELETE', `/api/agents/${agentId}/avatar`, owner)).statusCode).toBe(204)
    expect((await auditActions(agentId)).filter((a) => a === 'agent.avatar_removed')).toHaveLength(1)
  })
})
