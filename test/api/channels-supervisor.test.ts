import { proto } from 'baileys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContainer, type Container } from '../../src/container.ts'
import { qrMessageId } from '../../src/modules/channels/qr/session.ts'
import { createQrSupervisor, type QrSupervisor } from '../../src/modules/channels/qr/supervisor.ts'
import { alertDrafts } from '../../src/modules/alerts/alerts.module.ts'
import { createStandinFactory, type StandinSocket } from '../fakes/wa-web-standin.ts'
import { call, createTestContext, driver, onboard, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'

// QR numbers run by the supervisor (ADR 0005 §3, scale-out), through the API as a person uses them, against the
// WhatsApp Web stand-in: the QR shown by the API, a scan, messages in and out through the inbox, a pairing code, a
// restart that reconnects without a new QR, a dead process's numbers taken over, a logout and a new QR.

const PHONE = '40700000042'
const LID = '77766655544433'

const until = async (what: string, check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`Gave up waiting for ${what}.`)
}

describe('QR numbers run by the supervisor', () => {
  const standin = createStandinFactory()
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  let channelId: string
  const as = () => ({ cookie: w.user.cookie, headers: { 'x-client-id': w.clientId } })
  const get = async (path: string) => {
    const res = await call(ctx.app, 'GET', path, as())
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const channel = () => get(`/api/channels/${channelId}`)
  const openSocket = () => standin.sockets.filter((s) => !s.ended).at(-1) as StandinSocket
  const supervisorOf = (c: Container, owner: string) =>
    createQrSupervisor({
      db: c.db as never,
      sessions: c.channels.sessions,
      auth: c.channels.auth,
      sender: c.channels.sender,
      receivers: { ...c.inbox.receivers },
      bus: c.bus,
      audit: c.audit,
      socketFactory: async () => standin.factory,
      leaseMs: 60_000,
      owner,
      // As the container wires it (src/container.ts): a connected number that stops is an alert.
      onDisconnected: (d) => c.alerts.raiseQuietly(alertDrafts.numberDisconnected(d)),
    })
  let sup: QrSupervisor

  beforeAll(async () => {
    ctx = await createTestContext({}, { qrSocketFactory: async () => standin.factory })
    w = await onboard(ctx.app)
    sup = ctx.container.channels.supervisor
    await sup.start()
  })
  afterAll(async () => {
    await sup.stop()
    await ctx.close()
  })

  it('shows the QR of a new number through the API, then connects it when the phone scans it', async () => {
    const res = await call(ctx.app, 'POST', '/api/channels', as(), { kind: 'qr', name: 'Front desk' })
    expect(res.statusCode, res.body).toBe(201)
    channelId = res.json().id
    await until('a QR', async () => (await get(`/api/channels/${channelId}/qr`)).qr !== null)
    const qr = await get(`/api/channels/${channelId}/qr`)
    expect(qr).toMatchObject({ status: 'pending_qr', waiting: true, pairingCode: null })
    expect(qr.qr).toBe(openSocket().qrs.at(-1))
    expect(qr.svg).toMatch(/^<svg[^>]*>.*<path/s)
    expect(Date.parse(qr.expiresAt)).toBeGreaterThan(Date.now() - 1000)

    // The dialog's other way: a code to type on the phone.
    const code = await call(ctx.app, 'POST', `/api/channels/${channelId}/pairing-code`, as(), { phone: PHONE })
    expect(code.statusCode, code.body).toBe(200)
    expect(code.json().code).toMatch(/^[0-9A-Z]{8}$/)
    expect((await get(`/api/channels/${channelId}/qr`)).pairingCode).toBe(code.json().code)
    const bad = await call(ctx.app, 'POST', `/api/channels/${channelId}/pairing-code`, as(), { phone: '+40 7' })
    expect(bad.statusCode).toBe(400)

    openSocket().scan({ phone: PHONE, lid: LID })
    await until('connected', async () => (await channel()).status === 'connected')
    expect(await channel()).toMatchObject({ status: 'connected', phone: PHONE, statusReason: null })
    expect(await get(`/api/channels/${channelId}/qr`)).toMatchObject({ qr: null, svg: null, waiting: false })
    expect(sup.driven()).toEqual([channelId])
    const again = await call(ctx.app, 'POST', `/api/channels/${channelId}/regenerate-qr`, as())
    expect(again.statusCode).toBe(409)
    expect(again.json().error.code).toBe('channels.already_connected')
  })

  it('stores what the number receives in the inbox, sends from it, and keeps one row per message', async () => {
    const sock = openSocket()
    await sock.settled
    const message = {
      key: { remoteJid: '40712345678@s.whatsapp.net', fromMe: false, id: 'A1B2C3D4E5F6' },
      message: proto.Message.fromObject({ conversation: 'Bună! Aveți loc sâmbătă?' }),
      messageTimestamp: Math.floor(Date.now() / 1000),
      pushName: 'Ana',
    }
    expect((await sock.receive([message])).acked).toEqual(['A1B2C3D4E5F6'])
    await until('the thread', async () => (await get('/api/inbox/threads')).items.length === 1)
    const thread = (await get('/api/inbox/threads')).items[0]
    expect(thread).toMatchObject({ channelId, unread: 1, contact: { waId: '40712345678', name: 'Ana' } })

    const sent = await call(ctx.app, 'POST', `/api/inbox/threads/${thread.id}/messages`, as(), { text: 'Da, avem.' })
    expect(sent.statusCode, sent.body).toBe(201)
    const ours = sent.json().id as string
    await ctx.container.inbox.outbox.deliver(ours)
    expect(sock.sent).toEqual([
      { id: qrMessageId(ours), jid: '40712345678@s.whatsapp.net', content: { text: 'Da, avem.' } },
    ])
    // The socket's echo of our own send is that message, not a second one.
    await until('the echo', async () => {
      const items = (await get(`/api/inbox/threads/${thread.id}/messages`)).items
      return items.length === 2 && items[0].status === 'sent'
    })
    sock.receipts([
      {
        key: { remoteJid: '40712345678@s.whatsapp.net', fromMe: true, id: qrMessageId(ours) },
        update: { status: proto.WebMessageInfo.Status.READ },
      },
    ])
    await until('read', async () => (await get(`/api/inbox/threads/${thread.id}/messages`)).items[0].status === 'read')
    const items = (await get(`/api/inbox/threads/${thread.id}/messages`)).items
    expect(items.map((m: { direction: string }) => m.direction)).toEqual(['out', 'in'])

    // History the phone sends (a backfill) is stored, not counted as unread.
    const backfill = await call(ctx.app, 'POST', `/api/channels/${channelId}/backfill`, as())
    expect(backfill.statusCode, backfill.body).toBe(202)
    await until('the history request', () => sock.historyRequests.length === 1)
    expect(sock.historyRequests[0]).toEqual({ jid: '40712345678@s.whatsapp.net', count: 50 })
    sock.history([
      {
        key: { remoteJid: '40712345678@s.whatsapp.net', fromMe: false, id: 'OLDER0001' },
        message: proto.Message.fromObject({ conversation: 'Mesaj vechi' }),
        messageTimestamp: Math.floor(Date.now() / 1000) - 86_400,
      },
    ])
    await until(
      'the older message',
      async () => (await get(`/api/inbox/threads/${thread.id}/messages`)).items.length === 3,
    )
    expect((await get('/api/inbox/threads')).items[0].unread).toBe(1)
  })

  it('reconnects after a restart from the stored creds, without a new QR', async () => {
    await sup.stop()
    expect(openSocket()).toBeUndefined()
    const before = standin.sockets.length
    sup = supervisorOf(ctx.container, 'restarted')
    await sup.start()
    await until('reconnected', () => sup.driven().includes(channelId) && openSocket()?.user !== undefined)
    await until('connected', async () => (await channel()).status === 'connected')
    const fresh = standin.sockets.slice(before)
    expect(fresh.length).toBe(1)
    expect(fresh[0]!.qrs).toEqual([])
  })

  it("takes over a dead process's numbers once their lease lapses, and refuses the dead one's writes", async () => {
    // Another container on the same database is the other process (PostgreSQL); on PGlite, another supervisor.
    const other: Container =
      driver === 'postgres'
        ? await createContainer(ctx.container.config, {
            migrate: false,
            supervise: false,
            qrSocketFactory: async () => standin.factory,
          })
        : ctx.container
    const second = supervisorOf(other, 'second')
    try {
      const dead = sup
      await dead.abandon()
      await second.start()
      expect(second.driven()).toEqual([]) // the lease still runs
      await ctx.container.db
        .updateTable('channelSessions')
        .set({ leaseUntil: new Date(Date.now() - 1000) })
        .where('channelId', '=', channelId)
        .execute()
      await second.tick()
      await until('taken over', async () => (await channel()).status === 'connected' && second.driven().length === 1)
      expect(openSocket().qrs).toEqual([])
      // The dead process's fence is an old one: its writes are refused in SQL.
      const { sessions } = ctx.container.channels
      const fence = BigInt(
        (
          await ctx.container.db
            .selectFrom('channelSessions')
            .select('fence')
            .where('channelId', '=', channelId)
            .executeTakeFirstOrThrow()
        ).fence,
      )
      await expect(
        ctx.container.channels.auth
          .open(channelId, fence - 1n)
          .then((a) => a.state.keys.set({ session: { 'probe.0': new Uint8Array([1]) } })),
      ).rejects.toMatchObject({ code: 'channels.stale_owner' })
      await expect(sessions.fenced(channelId, fence, async () => 'ok')).resolves.toBe('ok')
    } finally {
      await second.stop()
      if (other !== ctx.container) await other.close()
    }
    sup = supervisorOf(ctx.container, 'third')
    await sup.start()
    await until('driven again', () => sup.driven().includes(channelId))
  })

  it('reports a connected number that stops (an audit event, the metrics) and restarts a failed one a few times', async () => {
    const audit = () =>
      ctx.container.db
        .selectFrom('auditEvents')
        .select(['action', 'metadata'])
        .where('targetId', '=', channelId)
        .where('action', '=', 'channel.disconnected')
        .execute()
    expect(await audit()).toEqual([])
    // WhatsApp replaces the connection three times in a row: the number fails…
    for (let i = 0; i < 3; i++) {
      const sock = openSocket()
      await sock.settled
      await sock.close(440)
      if (i < 2) await until('reconnected', () => openSocket() !== undefined && openSocket() !== sock)
    }
    await until('failed', async () => (await channel()).status === 'failed')
    expect(await audit()).toMatchObject([{ metadata: { status: 'failed' } }])
    await ctx.container.alerts.drain()
    const alerts = await call(ctx.app, 'GET', `/api/workspaces/${w.workspaceId}/alerts`, { cookie: w.user.cookie })
    expect(alerts.json().items).toMatchObject([
      {
        kind: 'number_disconnected',
        severity: 'critical',
        link: '/app/numbers',
        data: { channelId, status: 'failed' },
      },
    ])
    const metrics = await call(ctx.app, 'GET', '/metrics', { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } })
    expect(metrics.body).toMatch(/camarad_whatsapp_numbers\{kind="qr",status="failed"\} 1/)

    // …and the watchdog starts it again once its wait is over (5 minutes, here set back), counting the restart.
    await sup.tick()
    expect(sup.driven()).toEqual([])
    await ctx.container.db
      .updateTable('channels')
      .set({ updatedAt: new Date(Date.now() - 6 * 60_000) })
      .where('id', '=', channelId)
      .execute()
    await sup.tick()
    await until('restarted and connected', async () => (await channel()).status === 'connected')
    const restarts = () =>
      ctx.container.db
        .selectFrom('channelSessions')
        .select('restarts')
        .where('channelId', '=', channelId)
        .executeTakeFirstOrThrow()
    // Connected again: the count starts over.
    expect((await restarts()).restarts).toBe(0)
  })

  it('logs out through the process that drives the number, then shows a new QR when asked', async () => {
    const sock = openSocket()
    const res = await call(ctx.app, 'POST', `/api/channels/${channelId}/logout`, as())
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ status: 'logged_out' })
    expect(sock.loggedOut).toBe(true)
    expect(sup.driven()).toEqual([])
    const keys = await ctx.container.db
      .selectFrom('channelAuth')
      .select('id')
      .where('channelId', '=', channelId)
      .execute()
    expect(keys).toEqual([])

    const again = await call(ctx.app, 'POST', `/api/channels/${channelId}/regenerate-qr`, as())
    expect(again.statusCode, again.body).toBe(202)
    expect(again.json()).toMatchObject({ status: 'needs_qr' })
    await until('a new QR', async () => (await get(`/api/channels/${channelId}/qr`)).qr !== null)
    expect((await get(`/api/channels/${channelId}/qr`)).status).toBe('needs_qr')
  })

  it('answers what a Cloud number cannot do with clear errors', async () => {
    const res = await call(ctx.app, 'POST', '/api/channels', as(), {
      kind: 'cloud',
      name: 'Cloud',
      phoneNumberId: '1098765432101',
      accessToken: 'EAAG-test-token-0123456789abcdef',
    })
    expect(res.statusCode, res.body).toBe(201)
    const id = res.json().id
    const qr = await call(ctx.app, 'GET', `/api/channels/${id}/qr`, as())
    expect([qr.statusCode, qr.json().error.code]).toEqual([409, 'channels.not_qr'])
    const backfill = await call(ctx.app, 'POST', `/api/channels/${id}/backfill`, as())
    expect([backfill.statusCode, backfill.json().error.code]).toEqual([409, 'channels.backfill_unsupported'])
  })
})
