import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addMember,
  call,
  createTestContext,
  createToken,
  driver,
  login,
  onboard,
  ORIGIN,
  type TestContext,
} from '../harness.ts'
import { startServerProcess, type ServerProcess } from '../server-process.ts'

/**
 * Who-you-are is cached per process (ADR 0009): token → owner, session → user, user → roles, client id → client row,
 * workspace → provider keys. A change made through any process is seen by every process on its very next request: a revoked token or an
 * ended session is refused, a removed member gets a 404, a lowered role a 403, a new key is used. Each case warms the
 * other process's cache first (two requests), changes the row here, then asks the other process at once, many times
 * over so a lost race would show.
 */
const ROUNDS = 15

const bearer = (token: string) => ({ authorization: `Bearer ${token}`, origin: ORIGIN })

type Remote = {
  /** With a token, as its Bearer; `headers` may carry a session cookie instead (token null). */
  get: (
    path: string,
    token: string | null,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; body: string }>
}
const suite = (name: string, remote: () => Remote) =>
  describe(name, () => {
    it('a revoked token is refused on the next request', async () => {
      const owner = await onboard(ctx.app, 'who-revoke')
      for (let i = 0; i < ROUNDS; i++) {
        const { token, apiToken } = await createToken(ctx.app, owner.user, `t${i}`)
        const path = `/api/clients/${owner.clientId}`
        expect((await remote().get(path, token)).status).toBe(200)
        expect((await remote().get(path, token)).status).toBe(200)
        const revoked = await call(ctx.app, 'DELETE', `/api/tokens/${apiToken.id}`, { cookie: owner.user.cookie })
        expect(revoked.statusCode).toBe(204)
        expect((await remote().get(path, token)).status).toBe(401)
      }
    })

    it('a session signed out, or ended by a password change elsewhere, is refused on the next request', async () => {
      const owner = await onboard(ctx.app, 'who-session')
      const path = `/api/clients/${owner.clientId}`
      const withCookie = (cookie: string) => remote().get(path, null, { cookie })
      for (let i = 0; i < ROUNDS; i++) {
        const cookie = await login(ctx.app, owner.user)
        expect((await withCookie(cookie)).status).toBe(200)
        expect((await withCookie(cookie)).status).toBe(200)
        const out = await call(ctx.app, 'POST', '/api/auth/logout', { cookie })
        expect(out.statusCode).toBe(204)
        expect((await withCookie(cookie)).status).toBe(401)
      }
      const [kept, ended] = [await login(ctx.app, owner.user), await login(ctx.app, owner.user)]
      expect((await withCookie(ended)).status).toBe(200)
      expect((await withCookie(ended)).status).toBe(200)
      const changed = await call(
        ctx.app,
        'POST',
        '/api/auth/password',
        { cookie: kept },
        { currentPassword: owner.user.password, newPassword: 'a fresh passphrase for who-cache 42' },
      )
      expect(changed.statusCode).toBe(204)
      expect((await withCookie(ended)).status).toBe(401)
      expect((await withCookie(kept)).status).toBe(200)
    })

    it('a removed member gets a 404 and a lowered role a 403 on the next request', async () => {
      const owner = await onboard(ctx.app, 'who-member')
      for (let i = 0; i < ROUNDS; i++) {
        const admin = await addMember(ctx.app, owner.user, owner.workspaceId, 'admin', `who-admin-${i}`)
        const { token } = await createToken(ctx.app, admin, `a${i}`)
        // Listing invitations needs an admin.
        const adminOnly = `/api/workspaces/${owner.workspaceId}/invitations`
        const anyMember = `/api/workspaces/${owner.workspaceId}`
        expect((await remote().get(adminOnly, token)).status).toBe(200)
        expect((await remote().get(adminOnly, token)).status).toBe(200)
        const lowered = await call(
          ctx.app,
          'PATCH',
          `/api/workspaces/${owner.workspaceId}/members/${admin.id}`,
          { cookie: owner.user.cookie },
          { role: 'viewer' },
        )
        expect(lowered.statusCode).toBe(200)
        expect((await remote().get(adminOnly, token)).status).toBe(403)
        expect((await remote().get(anyMember, token)).status).toBe(200)
        const removed = await call(ctx.app, 'DELETE', `/api/workspaces/${owner.workspaceId}/members/${admin.id}`, {
          cookie: owner.user.cookie,
        })
        expect(removed.statusCode).toBe(204)
        expect((await remote().get(anyMember, token)).status).toBe(404)
      }
    })

    it('a renamed or archived client is read as it is now on the next request', async () => {
      const owner = await onboard(ctx.app, 'who-client')
      const { token } = await createToken(ctx.app, owner.user, 'client')
      const path = `/api/clients/${owner.clientId}`
      const read = async () => {
        const res = await remote().get(path, token)
        expect(res.status).toBe(200)
        return JSON.parse(res.body) as { name: string; archivedAt: string | null }
      }
      for (let i = 0; i < ROUNDS; i++) {
        expect((await read()).name).not.toBe(`Renamed ${i}`)
        await read()
        const renamed = await call(ctx.app, 'PATCH', path, { cookie: owner.user.cookie }, { name: `Renamed ${i}` })
        expect(renamed.statusCode).toBe(200)
        expect((await read()).name).toBe(`Renamed ${i}`)
      }
      expect((await read()).archivedAt).toBeNull()
      const archived = await call(ctx.app, 'POST', `${path}/archive`, { cookie: owner.user.cookie })
      expect(archived.statusCode).toBe(200)
      expect((await read()).archivedAt).not.toBeNull()
    })

    it("a workspace's new provider key is used on the next request", async () => {
      const owner = await onboard(ctx.app, 'who-keys')
      const { token } = await createToken(ctx.app, owner.user, 'keys')
      const models = async () => {
        const res = await remote().get('/api/models', token, { 'x-workspace-id': owner.workspaceId })
        expect(res.status).toBe(200)
        return res.body
      }
      const before = await models()
      expect(await models()).toBe(before)
      expect(before).not.toContain('anthropic:')
      const put = await call(
        ctx.app,
        'PUT',
        `/api/workspaces/${owner.workspaceId}/provider-keys/anthropic`,
        { cookie: owner.user.cookie },
        { apiKey: 'sk-ant-workspace-key-0001' },
      )
      expect(put.statusCode).toBe(200)
      expect(await models()).toContain('anthropic')
      const removed = await call(ctx.app, 'DELETE', `/api/workspaces/${owner.workspaceId}/provider-keys/anthropic`, {
        cookie: owner.user.cookie,
      })
      expect(removed.statusCode).toBe(204)
      expect(await models()).toBe(before)
    })
  })

let ctx: TestContext
let other: ServerProcess | undefined

beforeAll(async () => {
  ctx = await createTestContext()
  if (driver === 'postgres')
    other = await startServerProcess({
      DATABASE_URL: ctx.container.database.connectionString!,
      PUBLIC_URL: ORIGIN,
      SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
      RATE_LIMIT_PER_MINUTE: '100000',
    })
}, 120_000)
afterAll(async () => {
  await other?.kill()
  await ctx?.close()
})

// One process (both databases): the cache of the process that made the change.
suite('who-you-are cache: the same process', () => ({
  get: async (path, token, headers) => {
    const res = await call(ctx.app, 'GET', path, {
      headers: { ...(token ? bearer(token) : {}), ...headers },
      origin: null,
    })
    return { status: res.statusCode, body: res.body }
  },
}))

// Two processes (PostgreSQL): the change made here, asked of the other process over HTTP.
describe.skipIf(driver !== 'postgres')('across processes (PostgreSQL)', () => {
  suite('who-you-are cache: another process', () => ({
    get: async (path, token, headers) => {
      const res = await fetch(`${other!.base}${path}`, { headers: { ...(token ? bearer(token) : {}), ...headers } })
      return { status: res.status, body: await res.text() }
    },
  }))
})
