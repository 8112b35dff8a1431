import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, createTestContext, onboard, type TestContext } from '../harness.ts'

// A QR number's Baileys auth state in the database (ADR 0005 §3–4): every key type round-trips through BufferJSON and
// the secret box, and a process that lost the number's lease cannot write a key again (the fence, in SQL).

describe('WhatsApp auth store and leases', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  let clock = Date.now()
  const newNumber = async () => {
    const res = await call(
      ctx.app,
      'POST',
      '/api/channels',
      { cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } },
      { kind: 'qr', name: `QR ${++clock}` },
    )
    expect(res.statusCode, res.body).toBe(201)
    return res.json().id as string
  }
  const authRows = (channelId: string) =>
    ctx.container.db
      .selectFrom('channelAuth')
      .select(['type', 'id', 'value'])
      .where('channelId', '=', channelId)
      .orderBy('type')
      .orderBy('id')
      .execute()

  beforeAll(async () => {
    ctx = await createTestContext()
    w = await onboard(ctx.app, 'wa-auth')
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('round-trips creds and every key type, sealed at rest, and deletes a key set to null', async () => {
    const { sessions, auth } = ctx.container.channels
    const id = await newNumber()
    const fence = (await sessions.acquire(id, 'p_a', 30_000))!
    expect(fence).toBeGreaterThan(0n)
    const a = await auth.open(id, fence)
    expect(a.state.creds.registered).toBe(false)
    expect(Buffer.isBuffer(a.state.creds.noiseKey.private)).toBe(true)
    await a.saveCreds()

    const secret = Buffer.from('the-private-half-of-a-pre-key-32b')
    await a.state.keys.set({
      'pre-key': { '1': { private: secret, public: Buffer.from('public-half') } },
      session: { '4071234@s.whatsapp.net': new Uint8Array([1, 2, 3, 250]) },
      'app-state-sync-key': { AAAA: { keyData: new Uint8Array([9, 9]), timestamp: 1700000000 } },
      'lid-mapping': { '40712345678': '123456789012345@lid' },
      'sender-key-memory': { 'group@g.us': { '4071@s.whatsapp.net': true } },
    })

    // Another process opening the same number (after taking it over) reads what was written.
    const again = await auth.open(id, fence)
    expect(Buffer.from(again.state.creds.noiseKey.private).equals(Buffer.from(a.state.creds.noiseKey.private))).toBe(
      true,
    )
    expect(again.state.creds.registrationId).toBe(a.state.creds.registrationId)
    const preKeys = await again.state.keys.get('pre-key', ['1', '2'])
    expect(Object.keys(preKeys)).toEqual(['1'])
    expect(Buffer.from(preKeys['1']!.private).equals(secret)).toBe(true)
    const sessionsFound = await again.state.keys.get('session', ['4071234@s.whatsapp.net'])
    expect([...sessionsFound['4071234@s.whatsapp.net']!]).toEqual([1, 2, 3, 250])
    const sync = await again.state.keys.get('app-state-sync-key', ['AAAA'])
    expect(sync.AAAA!.timestamp).toBeDefined()
    expect([...(sync.AAAA!.keyData as Uint8Array)]).toEqual([9, 9])
    expect(await again.state.keys.get('lid-mapping', ['40712345678'])).toEqual({
      '40712345678': '123456789012345@lid',
    })

    // Sealed at rest: the database holds no key material in clear (neither bytes nor base64).
    const rows = await authRows(id)
    expect(rows.map((r) => r.type).sort()).toEqual(
      ['app-state-sync-key', 'creds', 'lid-mapping', 'pre-key', 'sender-key-memory', 'session'].sort(),
    )
    const raw = rows.map((r) => r.value).join('\n')
    expect(raw).not.toContain(secret.toString('base64'))
    expect(raw).not.toContain('123456789012345@lid')

    await again.state.keys.set({ 'pre-key': { '1': null } })
    expect(await again.state.keys.get('pre-key', ['1'])).toEqual({})
    // A value copied onto another row does not open there.
    const session = rows.find((r) => r.type === 'session')!
    await ctx.container.db
      .updateTable('channelAuth')
      .set({ value: session.value })
      .where('channelId', '=', id)
      .where('type', '=', 'lid-mapping')
      .execute()
    await expect(again.state.keys.get('lid-mapping', ['40712345678'])).rejects.toThrow()
  })

  it("refuses a stale owner's writes once another process has taken the number", async () => {
    const { sessions, auth } = ctx.container.channels
    const id = await newNumber()
    const first = (await sessions.acquire(id, 'p_first', 30_000))!
    // Held: nobody else gets it while the lease runs.
    expect(await sessions.acquire(id, 'p_second', 30_000)).toBeNull()
    const stale = await auth.open(id, first)
    await stale.state.keys.set({ session: { 'a@s.whatsapp.net': new Uint8Array([1]) } })

    // The first process stalls past its lease; the second takes the number over.
    await ctx.container.db
      .updateTable('channelSessions')
      .set({ leaseUntil: new Date(Date.now() - 1000) })
      .where('channelId', '=', id)
      .execute()
    const second = (await sessions.acquire(id, 'p_second', 30_000))!
    expect(second).toBe(first + 1n)
    const fresh = await auth.open(id, second)

    // The stalled process wakes up and writes: refused, nothing changed.
    const before = await authRows(id)
    await expect(stale.state.keys.set({ session: { 'a@s.whatsapp.net': new Uint8Array([2]) } })).rejects.toMatchObject({
      code: 'channels.stale_owner',
    })
    await expect(stale.saveCreds()).rejects.toMatchObject({ code: 'channels.stale_owner' })
    await expect(stale.wipe()).rejects.toMatchObject({ code: 'channels.stale_owner' })
    expect(await sessions.renew(id, 'p_first', first, 30_000)).toBe(false)
    expect(await authRows(id)).toEqual(before)

    // The new holder writes and renews.
    await fresh.state.keys.set({ session: { 'a@s.whatsapp.net': new Uint8Array([3]) } })
    expect([...(await fresh.state.keys.get('session', ['a@s.whatsapp.net']))['a@s.whatsapp.net']!]).toEqual([3])
    expect(await sessions.renew(id, 'p_second', second, 30_000)).toBe(true)
    // A clean stop frees it at once.
    await sessions.release(id, 'p_second', second)
    expect(await sessions.acquire(id, 'p_third', 30_000)).toBe(second + 1n)
  })

  it('logging a number out fences out whoever drives it and wipes its keys', async () => {
    const { sessions, auth } = ctx.container.channels
    const id = await newNumber()
    const fence = (await sessions.acquire(id, 'p_driver', 30_000))!
    const driver = await auth.open(id, fence)
    await driver.saveCreds()
    await driver.state.keys.set({ 'pre-key': { '7': { private: Buffer.alloc(32, 1), public: Buffer.alloc(32, 2) } } })
    expect(await auth.paired(id)).toBe(true)
    const out = await call(ctx.app, 'POST', `/api/channels/${id}/logout`, {
      cookie: w.user.cookie,
      headers: { 'x-client-id': w.clientId },
    })
    expect(out.statusCode, out.body).toBe(200)
    expect(await authRows(id)).toEqual([])
    expect(await auth.paired(id)).toBe(false)
    await expect(driver.saveCreds()).rejects.toMatchObject({ code: 'channels.stale_owner' })
    expect(await authRows(id)).toEqual([])
  })
})
