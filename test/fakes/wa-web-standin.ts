import { randomBytes } from 'node:crypto'
import {
  Browsers,
  buildPairingQRData,
  bytesToCrockford,
  Curve,
  getNextPreKeys,
  makeEventBuffer,
  proto,
  type AnyMessageContent,
  type AuthenticationCreds,
  type MessageUserReceiptUpdate,
  type WAMessage,
  type WAMessageUpdate,
} from 'baileys'
import type { QrSocket, QrSocketConfig, QrSocketFactory } from '../../src/modules/channels/qr/socket.ts'

// A stand-in for WhatsApp Web at the network edge (ADR 0005 §6): what Baileys' `makeWASocket` would give the QR
// driver, driven by scripts that replay what WhatsApp's servers make a real socket do. It uses Baileys' own event
// emitter and uses the auth state it was given as Baileys does: it merges `creds.update` into the creds before anyone
// else hears it, writes pre-keys and Signal sessions through `keys.set` and reads them back through `keys.get`, and a
// message whose keys cannot be stored is not acknowledged nor emitted.

if (process.env.NODE_ENV === 'production')
  throw new Error('The WhatsApp Web stand-in is for tests; it never loads in production.')

/** Baileys closes a socket with a Boom: its `output.statusCode` is the reason (DisconnectReason). */
const boom = (statusCode: number, message: string) =>
  Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, message } } })
/** The message Baileys' socket closes with for each reason the scripts use. */
const CLOSE_MESSAGES: Record<number, string> = {
  401: 'Connection Failure',
  408: 'Connection was lost',
  428: 'Connection Terminated',
  440: 'Stream Errored (conflict)',
  500: 'Stream Errored (bad-session)',
  503: 'Stream Errored (service unavailable)',
  515: 'Stream Errored (restart required)',
}

/** A WAMessage as the fixtures hold it: plain around a `proto.Message` in its JSON form. */
export type WAMessageJson = Omit<WAMessage, 'message'> & { message?: Record<string, unknown> | null }
/** Turns a fixture into what Baileys emits: the message decoded into a `proto.Message` (bytes, 64-bit Longs). */
export const toWAMessage = (json: WAMessageJson): WAMessage => ({
  ...json,
  key: { ...json.key },
  message: json.message ? proto.Message.fromObject(json.message) : json.message,
})

/** What WhatsApp's side remembers per account: the pre-keys it was given (each one used once). */
export type Server = { preKeys: Map<string, number[]>; paired: Map<string, string> }
const PRE_KEYS = 10

export type StandinSocket = QrSocket & {
  config: QrSocketConfig
  ev: ReturnType<typeof makeEventBuffer>
  qrs: string[]
  ended: boolean
  endedWith: Error | undefined
  loggedOut: boolean
  /** Settles once the login script has run: open (with its key writes) or closed. */
  settled: Promise<void>
  /** The phone scans the QR: pair-success (creds merged, `creds.update`), then the server's 515 restart. */
  scan(account: { phone: string; lid: string; name?: string }): void
  /** The QRs ran out without a scan (Baileys closes with 408 after its refs). */
  expireQrs(): void
  /** Messages arrive: decrypted with the stored sessions (pre-keys for new senders), acknowledged, then emitted. */
  receive(messages: WAMessage[], type?: 'notify' | 'append'): Promise<{ acked: string[]; refused: unknown[] }>
  /** Something changed the creds (a push name, a routing hint): merged and announced as Baileys does. */
  changeCreds(update: Partial<AuthenticationCreds>): void
  receipts(updates: WAMessageUpdate[]): void
  userReceipts(updates: MessageUserReceiptUpdate[]): void
  close(statusCode: number): Promise<void>
  /** What this socket sent (`sendMessage`), in order: the WhatsApp message id it went under, the chat, the content. */
  sent: { id: string; jid: string; content: AnyMessageContent }[]
  /** On-demand history requests (`fetchMessageHistory`): the chat and how many messages. */
  historyRequests: { jid: string; count: number }[]
  /** The phone answers a history request (or the recent chats after pairing): `messaging-history.set`. */
  history(messages: WAMessage[]): void
}

/**
 * `server`: what WhatsApp remembers, when it outlives this process (the e2e stand-in keeps it in a file: a restarted
 * Camarad finds its number still paired); `changed` is told after every change of it.
 */
export const createStandinFactory = ({
  server = { preKeys: new Map(), paired: new Map() },
  changed = () => undefined,
}: { server?: Server; changed?: () => void } = {}) => {
  const sockets: StandinSocket[] = []
  /** Close reasons the next logins are refused with, in order (then logins succeed). */
  const refusals: number[] = []

  const factory = ((config: QrSocketConfig) => {
    const { creds, keys } = config.auth
    const ev = makeEventBuffer(config.logger)
    // Baileys' socket merges every creds update into the creds it was given, before its user's listeners run.
    ev.on('creds.update', (update) => Object.assign(creds, update))
    let markSettled: () => void = () => undefined
    const account = () => creds.me?.id.split(':')[0]?.split('@')[0] ?? ''

    const end = async (error: Error | undefined) => {
      if (s.ended) return
      s.ended = true
      s.endedWith = error
      markSettled()
      ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } })
      ev.removeAllListeners('connection.update')
      ev.destroy()
    }
    const assertOpen = () => {
      if (s.ended) throw boom(428, 'Connection Closed')
    }
    const showQr = () => {
      const qr = buildPairingQRData(
        randomBytes(16).toString('base64'),
        Buffer.from(creds.noiseKey.public).toString('base64'),
        Buffer.from(creds.signedIdentityKey.public).toString('base64'),
        creds.advSecretKey,
        Browsers.macOS('Chrome'),
      )
      s.qrs.push(qr)
      ev.emit('connection.update', { qr })
    }
    /** The server accepts the login: pre-keys topped up (written, read back), our LID, open, own mappings stored. */
    const login = async () => {
      const refused = refusals.shift()
      if (refused !== undefined) return end(boom(refused, CLOSE_MESSAGES[refused] ?? 'Connection Failure'))
      // A device WhatsApp does not know (never paired, or removed from the phone) is logged out.
      const lid = server.paired.get(account())
      if (!lid) return end(boom(401, CLOSE_MESSAGES[401]!))
      const onServer = server.preKeys.get(account()) ?? []
      if (onServer.length < PRE_KEYS / 2) {
        const { update, preKeys } = await getNextPreKeys({ creds, keys }, PRE_KEYS)
        if (Object.keys(preKeys).length < PRE_KEYS) throw new Error('pre-keys written were not read back')
        server.preKeys.set(account(), [...onServer, ...Object.keys(preKeys).map(Number)])
        changed()
        ev.emit('creds.update', update)
      }
      assertOpen()
      ev.emit('creds.update', { me: { ...creds.me!, lid } })
      ev.emit('connection.update', { connection: 'open' })
      const lidUser = lid.split(':')[0]!
      await keys.set({ 'lid-mapping': { [account()]: lidUser, [`${lidUser}_reverse`]: account() } })
      await keys.set({ 'device-list': { [account()]: ['0'] } })
    }

    const s: StandinSocket = {
      config,
      ev,
      qrs: [],
      ended: false,
      endedWith: undefined,
      loggedOut: false,
      settled: new Promise<void>((resolve) => (markSettled = resolve)),
      get user() {
        return creds.me
      },
      end,
      async logout() {
        assertOpen()
        if (creds.me?.id) {
          s.loggedOut = true
          server.paired.delete(account())
          changed()
        }
        void end(boom(401, 'Intentional Logout'))
      },
      async requestPairingCode(phoneNumber: string) {
        assertOpen()
        const code = bytesToCrockford(randomBytes(5))
        creds.pairingCode = code
        creds.me = { id: `${phoneNumber}@s.whatsapp.net`, name: '~' }
        ev.emit('creds.update', creds)
        return code
      },
      scan({ phone, lid, name = 'Business' }) {
        assertOpen()
        const device = 12
        const me = { id: `${phone}:${device}@s.whatsapp.net`, name, lid: `${lid}:${device}@lid` }
        server.paired.set(phone, me.lid)
        changed()
        const identityKey = Curve.generateKeyPair().public
        ev.emit('creds.update', {
          account: {
            details: randomBytes(40),
            accountSignatureKey: identityKey,
            accountSignature: randomBytes(64),
            deviceSignature: randomBytes(64),
          },
          me,
          signalIdentities: [{ identifier: { name: me.lid, deviceId: 0 }, identifierKey: identityKey }],
          platform: 'android',
        })
        ev.emit('connection.update', { isNewLogin: true, qr: undefined })
        // The server restarts the stream right after pairing, before anything else happens.
        void end(boom(515, CLOSE_MESSAGES[515]!))
      },
      expireQrs() {
        void end(boom(408, 'QR refs attempts ended'))
      },
      async receive(messages, type = 'notify') {
        const acked: string[] = []
        const refused: unknown[] = []
        for (const m of messages) {
          try {
            await decrypt(m)
            acked.push(m.key.id!)
          } catch (err) {
            refused.push(err)
            continue
          }
          // Baileys acknowledges, then emits: the listeners are not awaited.
          ev.emit('messages.upsert', { messages: [m], type })
        }
        return { acked, refused }
      },
      changeCreds(update) {
        ev.emit('creds.update', update)
      },
      receipts(updates) {
        ev.emit('messages.update', updates)
      },
      userReceipts(updates) {
        ev.emit('message-receipt.update', updates)
      },
      sent: [],
      historyRequests: [],
      async sendMessage(jid, content, options) {
        assertOpen()
        if (!creds.me?.id) throw boom(428, 'Connection Closed')
        const id = options?.messageId ?? randomBytes(10).toString('hex').toUpperCase()
        // Signal's part of sending: the recipient's session moves on, stored before the message leaves.
        await keys.set({ session: { [`${jid.split('@')[0]}.0`]: randomBytes(64) } })
        s.sent.push({ id, jid, content })
        const text = 'text' in content ? String(content.text) : ''
        const message: WAMessage = {
          key: { remoteJid: jid, fromMe: true, id },
          message: proto.Message.fromObject({ extendedTextMessage: { text } }),
          messageTimestamp: Math.floor(Date.now() / 1000),
          status: proto.WebMessageInfo.Status.PENDING,
        }
        // Baileys emits our own message as an append once it left (emitOwnEvents).
        ev.emit('messages.upsert', { messages: [message], type: 'append' })
        return message
      },
      async fetchMessageHistory(count, oldestMsgKey) {
        assertOpen()
        s.historyRequests.push({ jid: oldestMsgKey.remoteJid ?? '', count })
        return randomBytes(8).toString('hex')
      },
      history(messages) {
        ev.emit('messaging-history.set', { chats: [], contacts: [], messages, isLatest: false, syncType: 6 })
      },
      close(statusCode) {
        // A 401 while connected is the phone removing this linked device: WhatsApp forgets it.
        if (statusCode === 401) {
          server.paired.delete(account())
          changed()
        }
        return end(boom(statusCode, CLOSE_MESSAGES[statusCode] ?? 'Connection Failure'))
      },
    }

    /**
     * libsignal's part of receiving: a new sender's first message uses up one of our pre-keys, and every message
     * moves the session's ratchet, stored before the message is acknowledged.
     */
    const decrypt = async (m: WAMessage) => {
      assertOpen()
      const sender = (m.key.fromMe ? creds.me?.id : m.key.participant || m.key.remoteJid) ?? ''
      const address = `${sender.split(':')[0]!.split('@')[0]}.0`
      const existing = (await keys.get('session', [address]))[address]
      const writes: Parameters<typeof keys.set>[0] = { session: { [address]: randomBytes(64) } }
      if (!existing) {
        const onServer = server.preKeys.get(account()) ?? []
        const id = onServer.shift()
        changed()
        const preKey = id === undefined ? undefined : (await keys.get('pre-key', [String(id)]))[String(id)]
        if (!preKey) throw new Error('Key used already or never filled')
        writes['pre-key'] = { [String(id)]: null }
      }
      await keys.set(writes)
    }

    sockets.push(s)
    // Baileys announces `connecting` on the next tick, then the server answers: a QR to pair, or the login.
    process.nextTick(() => {
      ev.emit('connection.update', { connection: 'connecting', receivedPendingNotifications: false, qr: undefined })
      if (!creds.account) {
        showQr()
        markSettled()
      } else
        login()
          .catch((err: unknown) => end(err instanceof Error ? err : boom(500, String(err))))
          .finally(markSettled)
    })
    return s
  }) satisfies QrSocketFactory

  return {
    factory,
    sockets,
    /** The next logins fail with these close reasons (WhatsApp unavailable, replaced, …), in order. */
    refuseLogins: (...codes: number[]) => void refusals.push(...codes),
  }
}
export type Standin = ReturnType<typeof createStandinFactory>
