import { makeWASocket, proto } from 'baileys'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ChannelStatus, InboundMessage, StatusUpdate } from '../../src/modules/channels/driver.ts'
import { createQrSession, type QrTimers } from '../../src/modules/channels/qr/session.ts'
import receipts from '../fixtures/wa-web/receipts.json' with { type: 'json' }
import appended from '../fixtures/wa-web/upsert-append.json' with { type: 'json' }
import notified from '../fixtures/wa-web/upsert-notify.json' with { type: 'json' }
import { createStandinFactory, toWAMessage, type Standin, type WAMessageJson } from '../fakes/wa-web-standin.ts'
import { call, createTestContext, onboard, type TestContext } from '../harness.ts'

// The QR driver's session (ADR 0005 §3–6) against a stand-in for WhatsApp Web that replays what its servers make
// Baileys' socket do, over the real auth store and leases: pairing through the 515 restart, restarts from stored
// creds, inbound messages and receipts normalised, each close reason, and one writer per number.

const LEASE_MS = 300_000
const PHONE = '40700000001'
const LID = '99988877766655'

/**
 * Timers that run a backoff (at most a minute) on the next turn and record its delay, and hold the lease renewals
 * (LEASE_MS / 3) until a test fires them: nothing waits on a clock.
 */
const testTimers = () => {
  const delays: number[] = []
  const held: { run: () => void; cancelled: boolean }[] = []
  const timers: QrTimers = {
    set(run, ms) {
      const t = { run, cancelled: false }
      if (ms <= 60_000) {
        delays.push(ms)
        setImmediate(() => t.cancelled || run())
      } else held.push(t)
      return t
    },
    clear(handle) {
      if (handle) (handle as { cancelled: boolean }).cancelled = true
    },
  }
  const fireHeld = () => held.splice(0).forEach((t) => t.cancelled || t.run())
  return { timers, delays, fireHeld }
}

/** What the session hands over: the inbox's part, stored here. */
const recorder = () => {
  const statuses: { status: ChannelStatus; reason: string | null; phone?: string | null }[] = []
  const qrs: (string | null)[] = []
  const inbound: InboundMessage[] = []
  const updates: StatusUpdate[] = []
  /** Hand-overs the inbox fails before it stores again (a database hiccup). */
  const faults = { inbound: 0 }
  const hooks = {
    onStatus: (status: ChannelStatus, reason: string | null, phone?: string | null) =>
      void statuses.push({ status, reason, ...(phone === undefined ? {} : { phone }) }),
    onQr: (qr: string | null) => void qrs.push(qr),
    onInbound: async (messages: InboundMessage[]) => {
      if (faults.inbound-- > 0) throw new Error('The database is unavailable.')
      inbound.push(...messages)
    },
    onStatusUpdates: async (u: StatusUpdate[]) => void updates.push(...u),
  }
  const count = (status: ChannelStatus) => statuses.filter((s) => s.status === status).length
  return { statuses, qrs, inbound, updates, faults, hooks, count, last: () => statuses.at(-1) }
}

const until = async (what: string, check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`Gave up waiting for ${what}.`)
}

describe('QR number sessions through Baileys (a WhatsApp Web stand-in at the edge)', () => {
  let ctx: TestContext
  let w: Awaited<ReturnType<typeof onboard>>
  let clock = Date.now()
  const logs: string[] = []

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
  /** The creds as stored (reading needs no fence). */
  const storedCreds = async (channelId: string) => (await ctx.container.channels.auth.open(channelId, 0n)).state.creds
  const leaseIsFree = async (channelId: string) => {
    const { sessions } = ctx.container.channels
    const fence = await sessions.acquire(channelId, 'p_probe', 1000)
    if (fence !== null) await sessions.release(channelId, 'p_probe', fence)
    return fence !== null
  }
  const expireLease = (channelId: string) =>
    ctx.container.db
      .updateTable('channelSessions')
      .set({ leaseUntil: new Date(Date.now() - 1000) })
      .where('channelId', '=', channelId)
      .execute()

  const newSession = (channelId: string, standin: Standin, owner = `p_${channelId}`) => {
    const rec = recorder()
    const t = testTimers()
    const session = createQrSession({
      channelId,
      owner,
      sessions: ctx.container.channels.sessions,
      auth: ctx.container.channels.auth,
      socketFactory: standin.factory,
      leaseMs: LEASE_MS,
      hooks: rec.hooks,
      timers: t.timers,
      random: () => 0.5,
      log: (m, err) => void logs.push(`${m}: ${err instanceof Error ? err.message : String(err ?? '')}`),
    })
    return { session, rec, t }
  }
  /** A number paired by QR and connected: the session, what it reported, and the open socket. */
  const paired = async (standin = createStandinFactory()) => {
    const id = await newNumber()
    const s = newSession(id, standin)
    expect(await s.session.start()).toBe(true)
    await until('a QR', () => s.rec.qrs.length > 0)
    standin.sockets.at(-1)!.scan({ phone: PHONE, lid: LID })
    await until('the connection', () => s.rec.count('connected') === 1)
    const sock = standin.sockets.at(-1)!
    await sock.settled
    return { id, standin, ...s, sock }
  }

  beforeAll(async () => {
    ctx = await createTestContext()
    w = await onboard(ctx.app, 'wa-qr')
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('pairs by QR: the 515 after the scan reopens with the same creds, shows no second QR, and connects', async () => {
    const standin = createStandinFactory()
    const id = await newNumber()
    const { session, rec } = newSession(id, standin)
    expect(await session.start()).toBe(true)
    await until('a QR', () => rec.qrs.length > 0)
    expect(rec.statuses).toEqual([
      { status: 'connecting', reason: null },
      { status: 'pending_qr', reason: null },
    ])
    const [first] = standin.sockets
    expect(rec.qrs).toEqual(first!.qrs)
    expect(rec.qrs[0]).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/)

    first!.scan({ phone: PHONE, lid: LID, name: 'Clinica Zâmbet' })
    await until('the connection', () => rec.count('connected') === 1)

    const reopened = standin.sockets[1]!
    expect(standin.sockets).toHaveLength(2)
    expect(reopened.config.auth.creds).toBe(first!.config.auth.creds)
    expect(reopened.qrs).toEqual([])
    expect(rec.qrs).toEqual([...first!.qrs, null])
    expect(rec.last()).toEqual({ status: 'connected', reason: null, phone: PHONE })

    // What the pairing and the first login wrote is in the database: the account, our LID, the pre-keys.
    await reopened.settled
    const creds = await storedCreds(id)
    expect(creds.me?.id).toBe(`${PHONE}:12@s.whatsapp.net`)
    expect(creds.me?.lid).toBe(`${LID}:12@lid`)
    expect(creds.account?.details).toBeDefined()
    expect(Buffer.from(creds.noiseKey.private).equals(Buffer.from(first!.config.auth.creds.noiseKey.private))).toBe(
      true,
    )
    const types = (await authRows(id)).map((r) => r.type)
    expect(types.filter((t) => t === 'pre-key')).toHaveLength(10)
    expect(types).toContain('lid-mapping')

    // Asked of Baileys: no terminal QR, no full history, not online on connect; recent history accepted.
    const { config } = reopened
    expect(config).toMatchObject({ printQRInTerminal: false, syncFullHistory: false, markOnlineOnConnect: false })
    const { HistorySyncType } = proto.HistorySync
    expect(config.shouldSyncHistoryMessage({ syncType: HistorySyncType.FULL })).toBe(false)
    expect(config.shouldSyncHistoryMessage({ syncType: HistorySyncType.RECENT })).toBe(true)
    expect(config.shouldSyncHistoryMessage({ syncType: HistorySyncType.INITIAL_BOOTSTRAP })).toBe(true)

    await session.stop()
    expect(reopened.ended).toBe(true)
    expect(await leaseIsFree(id)).toBe(true)
  })

  it('restarts from the stored creds without a QR, and the stored pre-keys still open a new sender', async () => {
    const { id, standin, session, sock } = await paired()
    await session.stop()
    expect(sock.ended).toBe(true)

    // Another session object (a restarted process) over the same number and the same WhatsApp.
    const again = newSession(id, standin, 'p_restarted')
    expect(await again.session.start()).toBe(true)
    await until('the reconnection', () => again.rec.count('connected') === 1)
    expect(again.rec.qrs).toEqual([])
    expect(again.rec.statuses).toEqual([
      { status: 'connecting', reason: null },
      { status: 'connected', reason: null, phone: PHONE },
    ])
    const restarted = standin.sockets.at(-1)!
    expect(restarted.config.auth.creds).not.toBe(sock.config.auth.creds)
    expect(restarted.config.auth.creds.me?.id).toBe(`${PHONE}:12@s.whatsapp.net`)
    expect(
      Buffer.from(restarted.config.auth.creds.signedIdentityKey.private).equals(
        Buffer.from(sock.config.auth.creds.signedIdentityKey.private),
      ),
    ).toBe(true)

    await restarted.settled
    const hello = toWAMessage(notified.messages[0] as WAMessageJson)
    expect(await restarted.receive([hello])).toMatchObject({ acked: [hello.key.id], refused: [] })
    await until('the message', () => again.rec.inbound.length === 1)
    await again.session.stop()
  })

  it('hands inbound messages over once, normalised, and skips groups, statuses and protocol traffic', async () => {
    const { id, session, rec, sock } = await paired()
    const live = await sock.receive((notified.messages as WAMessageJson[]).map(toWAMessage), 'notify')
    const offline = await sock.receive((appended.messages as WAMessageJson[]).map(toWAMessage), 'append')
    expect(live.refused).toEqual([])
    expect(offline.refused).toEqual([])
    await until('the messages', () => rec.inbound.length >= 10)

    const ana = { waId: '40712345678', phone: '40712345678', name: 'Ana Popescu' }
    const at = (seconds: number) => new Date(seconds * 1000)
    expect(rec.inbound).toEqual([
      {
        providerMessageId: '3A6E1F0B9C2D4E5F7A81',
        party: { ...ana, lid: '207381940127544@lid' },
        fromMe: false,
        at: at(1796299200),
        content: { type: 'text', text: 'Bună ziua! Aveți programări libere mâine?' },
        replyTo: null,
      },
      {
        providerMessageId: '3A0C55D1E2B7F3A49C60',
        party: { ...ana, lid: '207381940127544@lid' },
        fromMe: false,
        at: at(1796299260),
        content: { type: 'text', text: 'Pe la 10 ar fi perfect' },
        replyTo: '3EB0A1B2C3D4E5F60718',
      },
      {
        providerMessageId: '3A9D2B7E4C1F08A6B5D3',
        party: { ...ana, lid: null },
        fromMe: false,
        at: at(1796299320),
        content: {
          type: 'media',
          media: 'image',
          mime: 'image/jpeg',
          caption: 'Asta e programarea de data trecută',
          fileName: null,
          bytes: 184523,
        },
        replyTo: null,
        // Where its encrypted file is and the key that opens it, for the inbox's download (never shown).
        mediaSource: {
          provider: 'qr',
          mediaType: 'image',
          directPath: '/o1/v/t62.7118-24/f2/m231/AQNw3Zx0example?ccb=9-4&oh=01_Q5Aa&oe=68A1B2C3&_nc_sid=e6ed6c',
          mediaKey: 'jISKLZ/YYExZThcStvJM0eirMx9vHuyaZi+BpynbyJg=',
          fileEncSha256: 'aUSN+aEpatz2XRyzk5G8Uz0IdvIujVJoED2/K6VfN/M=',
          fileSha256: 'qqQus9A8gATm6nC7ELu5SoINwijn1y4Mw1IANZnK1Fw=',
        },
      },
      {
        providerMessageId: '3AF1C0DE5B6A7988E2C4',
        party: { ...ana, lid: null },
        fromMe: false,
        at: at(1796299380),
        content: {
          type: 'location',
          latitude: 44.4361414,
          longitude: 26.1027202,
          name: 'Piața Universității',
          address: 'Bulevardul Regina Elisabeta, București',
        },
        replyTo: null,
      },
      {
        providerMessageId: '3A44B2E0C7D91F5A6E38',
        party: { ...ana, lid: null },
        fromMe: false,
        at: at(1796299440),
        content: { type: 'reaction', emoji: '👍', targetProviderId: '3EB0A1B2C3D4E5F60718' },
        replyTo: null,
      },
      {
        // A LID chat: the LID is its id, the phone WhatsApp shared comes from remoteJidAlt.
        providerMessageId: 'ACD3F2E1B0A99887766554433221100F',
        party: { waId: '91827364554637@lid', lid: '91827364554637@lid', phone: '40798765432', name: 'Mihai' },
        fromMe: false,
        at: at(1796299500),
        content: { type: 'text', text: 'Salut, am găsit numărul pe site' },
        replyTo: null,
      },
      {
        providerMessageId: 'AC0F1E2D3C4B5A69788796A5B4C3D2E1',
        party: { waId: '55512340000001@lid', lid: '55512340000001@lid', phone: null, name: 'Client fără număr' },
        fromMe: false,
        at: at(1796299530),
        content: {
          type: 'media',
          media: 'document',
          mime: 'application/pdf',
          caption: 'Oferta pentru luna viitoare',
          fileName: 'oferta.pdf',
          bytes: 482911,
        },
        replyTo: null,
        mediaSource: {
          provider: 'qr',
          mediaType: 'document',
          directPath: '/v/t62.7119-24/29384756_example.enc?ccb=11-4&oh=01_Q5Ab&oe=68A1B2C4&_nc_sid=5e03e0',
          mediaKey: 'jISKLZ/YYExZThcStvJM0eirMx9vHuyaZi+BpynbyJg=',
          fileEncSha256: 'aUSN+aEpatz2XRyzk5G8Uz0IdvIujVJoED2/K6VfN/M=',
          fileSha256: 'qqQus9A8gATm6nC7ELu5SoINwijn1y4Mw1IANZnK1Fw=',
        },
      },
      {
        providerMessageId: '3A7B8C9D0E1F2A3B4C5D',
        party: { ...ana, lid: null },
        fromMe: false,
        at: at(1796299560),
        content: { type: 'unsupported', kind: 'pollCreationMessageV3' },
        replyTo: null,
      },
      {
        providerMessageId: '3A2F3E4D5C6B7A8990A1',
        party: { ...ana, lid: '207381940127544@lid' },
        fromMe: false,
        at: at(1796299700),
        content: { type: 'media', media: 'sticker', mime: 'image/webp', caption: null, fileName: null, bytes: 21890 },
        replyTo: null,
        mediaSource: {
          provider: 'qr',
          mediaType: 'sticker',
          directPath: '/v/t62.15575-24/11223344_example.enc?ccb=11-4&oh=01_Q5Ac&oe=68A1B2C5&_nc_sid=5e03e0',
          mediaKey: 'jISKLZ/YYExZThcStvJM0eirMx9vHuyaZi+BpynbyJg=',
          fileEncSha256: 'aUSN+aEpatz2XRyzk5G8Uz0IdvIujVJoED2/K6VfN/M=',
          fileSha256: 'qqQus9A8gATm6nC7ELu5SoINwijn1y4Mw1IANZnK1Fw=',
        },
      },
      {
        // Sent from the phone: the push name is the account's own, and remoteJidAlt is ours, so neither is read.
        providerMessageId: '3EB0F00DFACE00C0FFEE',
        party: { waId: '40712345678', phone: '40712345678', lid: null, name: null },
        fromMe: true,
        at: at(1796299760),
        content: { type: 'text', text: 'Vă așteptăm mâine la 10. O zi bună!' },
        replyTo: '3A0C55D1E2B7F3A49C60',
      },
    ])
    const ids = rec.inbound.map((m) => m.providerMessageId)
    expect(new Set(ids).size).toBe(ids.length)

    // Each sender's Signal session was stored before its message was acknowledged.
    const sessionIds = (await authRows(id)).filter((r) => r.type === 'session').map((r) => r.id)
    expect(sessionIds).toEqual(expect.arrayContaining(['40712345678.0', '91827364554637.0', '55512340000001.0']))

    sock.receipts(receipts.messagesUpdate as never)
    sock.userReceipts(receipts.messageReceiptUpdate as never)
    await until('the statuses', () => rec.updates.length >= 7)
    const any = expect.any(Date)
    expect(rec.updates).toEqual([
      { providerMessageId: '3EB0A1B2C3D4E5F60718', status: 'sent', at: any, recipient: '40712345678', error: null },
      {
        providerMessageId: '3EB0A1B2C3D4E5F60718',
        status: 'delivered',
        at: at(1796299230),
        recipient: '40712345678',
        error: null,
      },
      {
        providerMessageId: '3EB0B2C3D4E5F6071829',
        status: 'read',
        at: at(1796299240),
        recipient: '91827364554637@lid',
        error: null,
      },
      {
        providerMessageId: '3EB0C3D4E5F607182930',
        status: 'read',
        at: at(1796299250),
        recipient: '40712345678',
        error: null,
      },
      {
        providerMessageId: '3EB0D4E5F60718293041',
        status: 'failed',
        at: any,
        recipient: '40798765432',
        error: { code: '463', message: 'WhatsApp refused the message.' },
      },
      { providerMessageId: '3EB0E5F6071829304152', status: 'delivered', at: at(1796299270), recipient: '40711111111' },
      {
        providerMessageId: '3EB0E5F6071829304152',
        status: 'read',
        at: at(1796299280),
        recipient: '11122233344455@lid',
      },
    ])
    await session.stop()
  })

  it('hands a batch over again when the inbox could not store it, keeping the order', async () => {
    const { session, rec, sock, t } = await paired()
    rec.faults.inbound = 1
    const before = t.delays.length
    const [first, second] = (notified.messages as WAMessageJson[]).slice(0, 2).map(toWAMessage)
    await sock.receive([first!])
    await sock.receive([second!])
    await until('both messages', () => rec.inbound.length === 2)
    expect(rec.inbound.map((m) => m.providerMessageId)).toEqual([first!.key.id, second!.key.id])
    expect(t.delays.slice(before)).toEqual([750])
    await session.stop()
  })

  it('401 (logged out on the phone): wipes the keys, asks for a new QR, and a new start shows one', async () => {
    const { id, session, rec, sock, standin } = await paired()
    expect((await authRows(id)).length).toBeGreaterThan(0)
    await sock.close(401)
    await until('needs_qr', () => rec.last()?.status === 'needs_qr')
    expect(rec.last()?.reason).toMatch(/logged this number out/)
    expect(await authRows(id)).toEqual([])
    expect(rec.qrs.at(-1)).toBeNull()
    expect(session.isRunning()).toBe(false)
    expect(await leaseIsFree(id)).toBe(true)

    const before = rec.statuses.length
    expect(await session.start()).toBe(true)
    await until('a new QR', () => rec.qrs.at(-1) !== null)
    expect(rec.statuses.slice(before).map((s) => s.status)).toEqual(['connecting', 'needs_qr'])
    expect(standin.sockets.at(-1)!.config.auth.creds.account).toBeUndefined()
    await session.stop()
  })

  it('440 three times in a row (another connection replaced this one): stops as failed, keys kept', async () => {
    const { id, session, rec, standin } = await paired()
    for (let i = 1; i <= 3; i++) {
      const sock = standin.sockets.at(-1)!
      await sock.settled
      await sock.close(440)
      if (i < 3) await until(`reconnection ${i}`, () => rec.count('connected') === i + 1)
    }
    await until('failed', () => rec.last()?.status === 'failed')
    expect(rec.last()?.reason).toMatch(/replaced this one three times/)
    expect(session.isRunning()).toBe(false)
    expect(await ctx.container.channels.auth.paired(id)).toBe(true)
    expect(await leaseIsFree(id)).toBe(true)
  })

  it('428 and 503: backs off exponentially with jitter, says so, and reconnects', async () => {
    const { session, rec, standin, t } = await paired()
    const before = { delays: t.delays.length, statuses: rec.statuses.length, sockets: standin.sockets.length }
    standin.refuseLogins(428, 503)
    await standin.sockets.at(-1)!.close(503)
    await until('the reconnection', () => rec.count('connected') === 2)
    expect(standin.sockets).toHaveLength(before.sockets + 3)
    // 1 s, 2 s, 4 s ceilings; half of each is fixed, the other half random (0.5 here).
    expect(t.delays.slice(before.delays)).toEqual([750, 1500, 3000])
    expect(rec.statuses.slice(before.statuses)).toEqual([
      { status: 'connecting', reason: 'Stream Errored (service unavailable) (503); retrying in 1 s.' },
      { status: 'connecting', reason: 'Connection Terminated (428); retrying in 2 s.' },
      { status: 'connecting', reason: 'Stream Errored (service unavailable) (503); retrying in 3 s.' },
      { status: 'connected', reason: null, phone: PHONE },
    ])
    await session.stop()
  })

  it('stops showing QRs once they expire unscanned, and frees the number', async () => {
    const standin = createStandinFactory()
    const id = await newNumber()
    const { session, rec } = newSession(id, standin)
    await session.start()
    await until('a QR', () => rec.qrs.length > 0)
    standin.sockets[0]!.expireQrs()
    await until('the expiry', () => rec.last()?.reason !== null)
    expect(rec.last()).toEqual({ status: 'pending_qr', reason: 'The QR code expired before it was scanned.' })
    expect(rec.qrs.at(-1)).toBeNull()
    expect(standin.sockets).toHaveLength(1)
    expect(await leaseIsFree(id)).toBe(true)
  })

  it('logs out: the device leaves the phone, the keys are wiped, the session stops as logged_out', async () => {
    const { id, session, rec, sock } = await paired()
    expect(await session.logout()).toBe(true)
    expect(sock.loggedOut).toBe(true)
    expect(rec.last()).toEqual({ status: 'logged_out', reason: 'Logged out from Camarad.' })
    expect(await authRows(id)).toEqual([])
    expect(await leaseIsFree(id)).toBe(true)
    expect(await session.logout()).toBe(false)
  })

  it('gives a pairing code for a phone number instead of a QR, its creds stored', async () => {
    const standin = createStandinFactory()
    const id = await newNumber()
    const { session, rec } = newSession(id, standin)
    await session.start()
    await until('a QR', () => rec.qrs.length > 0)
    await expect(session.requestPairingCode('+40 700')).rejects.toThrow(RangeError)
    const code = await session.requestPairingCode('40700000009')
    expect(code).toMatch(/^[0-9A-Z]{8}$/)
    await until('the creds', async () => (await storedCreds(id)).pairingCode === code)
    expect((await storedCreds(id)).me?.id).toBe('40700000009@s.whatsapp.net')
    await session.stop()
    await expect(session.requestPairingCode('40700000009')).rejects.toThrow(/not connecting/)
  })

  it('one writer per number: a second session waits for the lease, takes over, and the first stops unwritten', async () => {
    const a = await paired()
    const b = newSession(a.id, a.standin, 'p_second')
    expect(await b.session.start()).toBe(false)
    expect(a.standin.sockets).toHaveLength(2)

    // The first process stalls past its lease; the second takes the number and logs in from the stored creds.
    await expireLease(a.id)
    expect(await b.session.start()).toBe(true)
    await until('the second connection', () => b.rec.count('connected') === 1)
    expect(b.rec.qrs).toEqual([])
    await a.standin.sockets.at(-1)!.settled
    const rows = await authRows(a.id)
    const reported = a.rec.statuses.length

    // The first process wakes up: its next creds write is refused, it closes its socket and writes nothing.
    a.sock.changeCreds({ accountSyncCounter: 7 })
    await until('the first to stop', () => a.sock.ended)
    expect(a.session.isRunning()).toBe(false)
    await expect(a.sock.config.auth.keys.set({ session: { '40712345678.0': new Uint8Array([1]) } })).rejects.toThrow(
      /no longer drives/,
    )
    a.t.fireHeld() // its lease renewal finds nothing to do
    await a.session.stop()
    expect(await authRows(a.id)).toEqual(rows)
    expect(a.rec.statuses).toHaveLength(reported)
    expect(b.session.isRunning()).toBe(true)
    await b.session.stop()
  })

  it('a renewal that finds the number taken closes the socket at once and reports nothing', async () => {
    const { id, session, rec, sock, t } = await paired()
    const rows = await authRows(id)
    const reported = rec.statuses.length
    await ctx.container.db.transaction().execute((trx) => ctx.container.channels.sessions.seize(trx, id))
    t.fireHeld()
    await until('the socket to close', () => sock.ended)
    expect(session.isRunning()).toBe(false)
    expect(rec.statuses).toHaveLength(reported)
    expect(await authRows(id)).toEqual(rows)
  })

  it("drives Baileys' own socket: a connection refused at the edge is retried with its reason", async () => {
    // A loopback port nobody listens on: Baileys' real socket, over our auth state, fails to connect.
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise((resolve) => server.close(resolve))
    const id = await newNumber()
    const rec = recorder()
    const session = createQrSession({
      channelId: id,
      owner: 'p_real',
      sessions: ctx.container.channels.sessions,
      auth: ctx.container.channels.auth,
      socketFactory: (config) => makeWASocket({ ...config, waWebSocketUrl: `ws://127.0.0.1:${port}/ws/chat` }),
      leaseMs: LEASE_MS,
      hooks: rec.hooks,
    })
    expect(await session.start()).toBe(true)
    await until('the retry', () => rec.statuses.some((s) => s.reason?.includes('ECONNREFUSED')))
    expect(rec.statuses[0]).toEqual({ status: 'connecting', reason: null })
    expect(rec.last()?.reason).toMatch(/^WebSocket Error \(connect ECONNREFUSED .+\) \(408\); retrying in \d+ s\.$/)
    expect(rec.qrs).toEqual([])
    await session.stop()
    expect(await leaseIsFree(id)).toBe(true)
  })

  it('the stand-in refuses to load in production', async () => {
    vi.resetModules()
    vi.stubEnv('NODE_ENV', 'production')
    try {
      await expect(import('../fakes/wa-web-standin.ts')).rejects.toThrow(/never loads in production/)
    } finally {
      vi.unstubAllEnvs()
      // The failed evaluation stays in the module registry: the next file this worker runs would import the error.
      vi.resetModules()
    }
  })
})
