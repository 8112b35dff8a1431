import { createHash } from 'node:crypto'
import type { BaileysEventMap, proto, SignalDataSet, SignalKeyStore, WAMessage, WAMessageKey } from 'baileys'
import type { AuthStore, OpenedAuth } from '../auth-store.ts'
import { SendFailure, type ChannelStatus, type InboundMessage, type Outgoing, type StatusUpdate } from '../driver.ts'
import type { Sessions } from '../sessions.ts'
import { inboundOf, phoneOf, receiptStatusesOf, statusesOf } from './normalise.ts'
import { socketConfig, type Baileys, type QrSocket, type QrSocketFactory } from './socket.ts'

/** What the session tells whoever runs it. Hooks are called one at a time, in the order of the socket's events. */
export type QrSessionHooks = {
  /** The number's status changed (`phone`: its digits, once connected). */
  onStatus(status: ChannelStatus, reason: string | null, phone?: string | null): void | Promise<void>
  /** A QR to show (a new one every 20 s or so), or null once it is no longer valid. */
  onQr(qr: string | null): void | Promise<void>
  /** Messages received (or sent from the phone): store them, idempotently by number and provider id. */
  onInbound(messages: InboundMessage[]): Promise<void>
  onStatusUpdates(updates: StatusUpdate[]): Promise<void>
  /** A message this number sent, for WhatsApp's retry requests ("waiting for this message"). */
  getMessage?(key: WAMessageKey): Promise<proto.IMessage | undefined>
}

/** Timers the session schedules on (its lease renewal, reconnect backoff): injectable for tests. */
export type QrTimers = { set(run: () => void, ms: number): unknown; clear(handle: unknown): void }
const realTimers: QrTimers = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

export type QrSessionDeps = {
  channelId: string
  /** This process's name in the lease (unique per process). */
  owner: string
  sessions: Sessions
  auth: AuthStore
  socketFactory: QrSocketFactory
  leaseMs: number
  hooks: QrSessionHooks
  /** Whether the number was paired before (its row has a phone): a QR then means it needs scanning again. */
  pairedBefore?: boolean
  log?: (message: string, err?: unknown) => void
  now?: () => Date
  random?: () => number
  timers?: QrTimers
}

/** Why a session stops or waits, in words for the number's `statusReason` (a retry's gets its delay appended). */
const REASONS = {
  loggedOut: 'WhatsApp logged this number out (from the phone, or after a long time offline). Scan a new QR code.',
  replaced: 'Another connection replaced this one three times in a row. Close other sessions, then connect again.',
  qrExpired: 'The QR code expired before it was scanned.',
  loggedOutHere: 'Logged out from Camarad.',
  keysNotStored: 'The session keys could not be stored',
}
const BACKOFF_FIRST_MS = 1000
const BACKOFF_MAX_MS = 60_000
/** 440s in a row before giving up; a connection that stayed open this long starts the count again. */
const REPLACED_LIMIT = 3
const STABLE_MS = 5 * 60_000
/** Tries to hand a batch over before it is logged and dropped (Baileys has acknowledged it by then). */
const HAND_OVER_TRIES = 3

/**
 * The WhatsApp message id a QR number sends Camarad's message `ourId` under: derived, so a retry of the same message
 * goes out under the same id (WhatsApp's clients keep one message per id) and its echo and receipts name it. The
 * shape of Baileys' own ids (`3EB0` and hex).
 */
export const qrMessageId = (ourId: string) =>
  `3EB0${createHash('sha256').update(ourId).digest('hex').slice(0, 36).toUpperCase()}`
/** A chat id as the drivers name it (digits, or `…@lid`) as Baileys' JID. */
const jidOf = (waId: string) => (waId.includes('@') ? waId : `${waId}@s.whatsapp.net`)

const noop = () => undefined
// Baileys' event names, as templates: the table-ownership scan reads a quoted 'name.column' as naming a table, and
// the chat module owns a table called messages.
const MESSAGES_UPSERT = `messages.upsert` as const
const MESSAGES_UPDATE = `messages.update` as const
const HISTORY_SET = `messaging-history.set` as const
/** Sends whose echo or receipts may come back before the outbox stored their id: remembered this long. */
const OWN_SENDS_KEPT = 1000
const isStale = (err: unknown) => (err as { code?: unknown } | null)?.code === 'channels.stale_owner'
const statusCodeOf = (err: unknown) => (err as { output?: { statusCode?: unknown } } | undefined)?.output?.statusCode

/**
 * One QR number driven through Baileys in this process (ADR 0005 §3–6). It holds the number's fenced lease while it
 * runs and renews it; every write of the auth state holds the fence, and a lost lease or a refused write closes the
 * socket at once. It reconnects by close reason (515 at once, 401 wipe, 440 three times, else backoff), normalises
 * what the socket receives and hands it over through `hooks`, one event at a time in the socket's order.
 */
export const createQrSession = (deps: QrSessionDeps) => {
  const { channelId, owner, sessions, auth, socketFactory, leaseMs, hooks } = deps
  const now = deps.now ?? (() => new Date())
  const random = deps.random ?? Math.random
  const timers = deps.timers ?? realTimers
  const log = deps.log ?? ((m: string, err?: unknown) => console.error(`[channels:qr] ${channelId}: ${m}`, err ?? ''))

  let lib: Baileys | null = null
  /** `lost`: another process holds the number now; this one never writes again. */
  let phase: 'idle' | 'running' | 'stopped' | 'lost' = 'idle'
  let fence = 0n
  let leaseUntil = 0
  let opened: OpenedAuth | null = null
  let sock: QrSocket | null = null
  /** Moves on with every socket: events and writes of a socket this session has let go are ignored or refused. */
  let generation = 0
  let pairedBefore = deps.pairedBefore ?? false
  let failures = 0
  let replaced = 0
  let openedAt = 0
  let qrShown = false
  let credsDirty = false
  let shown = ''
  let renewTimer: unknown = null
  let retryTimer: unknown = null
  let queue: Promise<void> = Promise.resolve()
  let open = false
  /** Ids this session sent under → Camarad's ids (the newest OWN_SENDS_KEPT): echoes and receipts carry them. */
  const ownSends = new Map<string, string>()
  const withOurIds = <T extends { providerMessageId: string }>(items: T[]) =>
    items.map((i) => (ownSends.has(i.providerMessageId) ? { ...i, ourId: ownSends.get(i.providerMessageId) } : i))

  /**
   * Runs `work` after everything queued before it. Baileys emits without awaiting its listeners, and order matters:
   * creds are stored before a 515 reopens the socket, messages are handed over in the order they came.
   */
  const enqueue = (work: () => Promise<void>) => {
    const run = queue.then(work)
    queue = run.catch((err) => (isStale(err) ? lose() : log('a socket event failed', err)))
    return run
  }
  const onEvent = (gen: number, work: () => Promise<void>) => {
    enqueue(async () => {
      if (gen === generation && phase === 'running') await work()
    }).catch(noop)
  }
  const sleep = (ms: number) => new Promise<void>((resolve) => timers.set(resolve, ms))
  const backoffMs = (attempt: number) => {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, attempt - 1))
    return Math.round(ceiling / 2 + (random() * ceiling) / 2)
  }

  const notify = async (status: ChannelStatus, reason: string | null, phone?: string | null) => {
    const key = JSON.stringify([status, reason, phone])
    if (key === shown) return
    shown = key
    await Promise.resolve(hooks.onStatus(status, reason, phone)).catch((err) => log('onStatus failed', err))
  }
  const showQr = (qr: string | null) => Promise.resolve(hooks.onQr(qr)).catch((err: unknown) => log('onQr failed', err))

  const dropSocket = () => {
    generation++
    open = false
    const s = sock
    sock = null
    s?.end(undefined).catch(noop)
  }
  const clearTimers = () => {
    timers.clear(renewTimer)
    timers.clear(retryTimer)
    renewTimer = retryTimer = null
  }
  /** Another process holds the number now: close the socket at once, write nothing more, report nothing (theirs). */
  const lose = () => {
    if (phase !== 'running') return
    phase = 'lost'
    clearTimers()
    dropSocket()
  }
  const release = () =>
    sessions.release(channelId, owner, fence).catch((err: unknown) => log('could not release the lease', err))
  /** Stops for good with a status of its own (a 401, three 440s, a logout, an expired QR). */
  const finish = async (status: ChannelStatus, reason: string) => {
    phase = 'stopped'
    clearTimers()
    dropSocket()
    // Freed before it is reported: whoever hears the status may start the number again at once.
    await release()
    await showQr(null)
    await notify(status, reason)
  }

  /** A write of the auth state: refused here once the socket that asked is let go; a refused fence loses the number. */
  const guarded = async <T>(gen: number | null, write: () => Promise<T>) => {
    if (phase !== 'running' || (gen !== null && gen !== generation))
      throw new Error('This QR session no longer drives the number; the write was not made.')
    try {
      return await write()
    } catch (err) {
      if (isStale(err)) lose()
      else {
        // What Baileys holds in memory may now be ahead of the database: start over from what is stored.
        log('an auth state write failed', err)
        reconnectLater(REASONS.keysNotStored)
      }
      throw err
    }
  }
  const keysFor = (gen: number): SignalKeyStore => ({
    get: (type, ids) => opened!.state.keys.get(type, ids),
    set: (data: SignalDataSet) => guarded(gen, () => Promise.resolve(opened!.state.keys.set(data))),
  })
  const saveCreds = async (gen: number) => {
    credsDirty = true
    await guarded(gen, () => opened!.saveCreds())
    credsDirty = false
  }

  const reconnectLater = (reason: string, code?: unknown) => {
    if (phase !== 'running' || retryTimer) return
    dropSocket()
    const ms = backoffMs(++failures)
    retryTimer = timers.set(() => {
      retryTimer = null
      enqueue(async () => {
        if (phase !== 'running') return
        if (credsDirty) await saveCreds(generation)
        reconnect()
      }).catch(noop)
    }, ms)
    const said = code === undefined ? reason : `${reason} (${String(code)})`
    enqueue(() => notify('connecting', `${said}; retrying in ${Math.ceil(ms / 1000)} s.`)).catch(noop)
  }

  const connect = () => {
    const gen = ++generation
    const s = socketFactory(
      socketConfig(lib!, {
        creds: opened!.state.creds,
        keys: keysFor(gen),
        getMessage: async (key: WAMessageKey) => (await hooks.getMessage?.(key)) ?? undefined,
      }),
    )
    sock = s
    s.ev.on('connection.update', (u) => onEvent(gen, () => connectionUpdated(s, u)))
    // Baileys has merged the update into the creds already: one save not yet begun covers every update before it.
    let saveQueued = false
    s.ev.on('creds.update', () => {
      if (saveQueued) return
      saveQueued = true
      onEvent(gen, async () => {
        saveQueued = false
        await saveCreds(gen)
      })
    })
    s.ev.on(MESSAGES_UPSERT, ({ messages, type }) => {
      if (type === 'notify' || type === 'append') onEvent(gen, () => received(s, messages))
    })
    s.ev.on(HISTORY_SET, ({ messages }) => onEvent(gen, () => received(s, messages, true)))
    s.ev.on(MESSAGES_UPDATE, (u) => onEvent(gen, () => delivered(withOurIds(statusesOf(u, now())))))
    s.ev.on('message-receipt.update', (u) => onEvent(gen, () => delivered(withOurIds(receiptStatusesOf(u, now())))))
  }

  /** A new socket after a close: one Baileys cannot even build is retried like a failed connection. */
  const reconnect = () => {
    try {
      connect()
    } catch (err) {
      log('could not open a socket', err)
      reconnectLater('Could not open a socket')
    }
  }

  const connectionUpdated = async (s: QrSocket, u: Partial<BaileysEventMap['connection.update']>) => {
    if (typeof u.qr === 'string') {
      qrShown = true
      await notify(pairedBefore ? 'needs_qr' : 'pending_qr', null)
      await showQr(u.qr)
    }
    // A socket reconnecting after a failure keeps the failure's reason until it opens.
    if (u.connection === 'connecting' && !shown.startsWith('["connecting"')) await notify('connecting', null)
    if (u.connection === 'open') {
      open = true
      failures = 0
      openedAt = now().getTime()
      pairedBefore = true
      if (qrShown) await showQr(null)
      qrShown = false
      await notify('connected', null, phoneOf(s.user?.id))
    }
    if (u.connection === 'close') await closed(u.lastDisconnect?.error)
  }

  const closed = async (error: unknown) => {
    const { DisconnectReason } = lib!
    const code = statusCodeOf(error)
    sock = null
    open = false
    if (code === DisconnectReason.restartRequired) return reconnect()
    if (code === DisconnectReason.loggedOut) {
      await guarded(null, () => opened!.wipe())
      pairedBefore = true
      return finish('needs_qr', REASONS.loggedOut)
    }
    if (code === DisconnectReason.connectionReplaced) {
      replaced = openedAt && now().getTime() - openedAt >= STABLE_MS ? 1 : replaced + 1
      if (replaced >= REPLACED_LIMIT) return finish('failed', REASONS.replaced)
    } else replaced = 0
    openedAt = 0
    // Nobody scanned the QRs of this socket: show none again until someone asks for one.
    if (code === DisconnectReason.timedOut && qrShown && !opened!.state.creds.account)
      return finish(pairedBefore ? 'needs_qr' : 'pending_qr', REASONS.qrExpired)
    const said = error instanceof Error && error.message ? error.message : 'Connection lost'
    reconnectLater(said, code)
  }

  const handOver = async (what: string, work: () => Promise<void>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work()
      } catch (err) {
        if (attempt >= HAND_OVER_TRIES || phase !== 'running') return log(`could not hand ${what} over`, err)
        await sleep(backoffMs(attempt))
      }
    }
  }
  const received = async (s: QrSocket, messages: WAMessage[], history = false) => {
    const at = now()
    const batch = withOurIds(messages.flatMap((m) => inboundOf(m, [s.user?.id, s.user?.lid], at) ?? [])).map((m) =>
      history ? { ...m, history } : m,
    )
    if (batch.length) await handOver(`${batch.length} message(s)`, () => hooks.onInbound(batch))
  }
  const delivered = async (updates: StatusUpdate[]) => {
    if (updates.length) await handOver(`${updates.length} status(es)`, () => hooks.onStatusUpdates(updates))
  }

  const scheduleRenew = () => {
    const held = fence
    renewTimer = timers.set(
      async () => {
        renewTimer = null
        if (phase !== 'running' || fence !== held) return
        const at = now().getTime()
        try {
          if (!(await sessions.renew(channelId, owner, held, leaseMs))) return lose()
          leaseUntil = at + leaseMs
        } catch (err) {
          log('could not renew the lease', err)
          // Past its end the lease may already be another process's: stop before two sockets fight over the number.
          if (now().getTime() >= leaseUntil) return lose()
        }
        if (phase === 'running' && fence === held) scheduleRenew()
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    )
  }

  let starting: Promise<boolean> | null = null
  const start = async () => {
    if (phase === 'running') return true
    lib ??= await import('baileys')
    await queue
    const taken = await sessions.acquire(channelId, owner, leaseMs)
    if (taken === null) return false
    fence = taken
    leaseUntil = now().getTime() + leaseMs
    try {
      opened = await auth.open(channelId, fence)
    } catch (err) {
      await release()
      throw err
    }
    if (opened.state.creds.account) pairedBefore = true
    phase = 'running'
    failures = replaced = openedAt = 0
    qrShown = credsDirty = false
    shown = ''
    scheduleRenew()
    try {
      await enqueue(async () => connect())
    } catch (err) {
      phase = 'stopped'
      clearTimers()
      await release()
      throw err
    }
    return true
  }

  return {
    /**
     * Takes the number's lease and connects: false when another process drives it. An unpaired number shows QRs
     * through `onQr`; a paired one reconnects from its stored creds.
     */
    start: () => (starting ??= start().finally(() => (starting = null))),

    /** Closes the socket and gives the lease up (another process may take the number at once). */
    async stop() {
      await starting?.catch(noop)
      if (phase === 'running') {
        phase = 'stopped'
        clearTimers()
        dropSocket()
        await queue
        await release()
      }
      await queue
    },

    /**
     * Logs the number out of WhatsApp (it leaves the phone's linked devices), wipes its keys and stops with
     * `logged_out`. False when this process does not drive the number.
     */
    logout: async () => {
      let done = false
      await enqueue(async () => {
        if (phase !== 'running') return
        const s = sock
        generation++ // the close that follows is this logout's, not a 401 to act on
        sock = null
        clearTimers()
        await s?.logout().catch((err: unknown) => {
          log('WhatsApp did not confirm the logout', err)
          return s.end(undefined)
        })
        try {
          await opened!.wipe()
        } catch (err) {
          if (isStale(err)) return lose()
          // The keys stay until the channels service's logout deletes them; WhatsApp refuses them anyway (401).
          log('could not wipe the auth state', err)
        }
        await finish('logged_out', REASONS.loggedOutHere)
        done = true
      })
      return done
    },

    /** An 8-character code to type on the phone (Linked devices → Link with phone number), instead of a QR. */
    async requestPairingCode(phoneDigits: string) {
      if (!/^\d{6,15}$/.test(phoneDigits)) throw new RangeError('A phone number is 6 to 15 digits, country code first.')
      if (phase !== 'running' || !sock) throw new Error('This QR session is not connecting the number.')
      return sock.requestPairingCode(phoneDigits)
    },

    /** Lets the number go without releasing its lease, as a process that dies does (tests): the socket closes. */
    abandon: () => lose(),

    /** Whether this session drives the number (false once stopped, or once another process took it). */
    isRunning: () => phase === 'running',

    /** The fence this session holds the number with (its writes of the number's state go through it). */
    fence: () => fence,

    /**
     * Sends Camarad's message `ourId` under its derived WhatsApp id (`qrMessageId`): answers that id once the message
     * left. A number that is not connected now is a `retry_later`; what WhatsApp Web cannot carry (templates) is
     * `permanent`.
     */
    async send(outgoing: Outgoing, ourId: string): Promise<{ providerMessageId: string }> {
      const s = sock
      if (phase !== 'running' || !s || !open)
        throw new SendFailure('retry_later', 'channels.not_connected', 'The number is not connected right now.', 5000)
      const c = outgoing.content
      if (c.type === 'template')
        throw new SendFailure('permanent', 'channels.templates_cloud_only', 'Templates are sent by Cloud API numbers.')
      const jid = jidOf(outgoing.to)
      const id = qrMessageId(ourId)
      ownSends.set(id, ourId)
      if (ownSends.size > OWN_SENDS_KEPT) ownSends.delete(ownSends.keys().next().value!)
      const content =
        c.type === 'text'
          ? { text: c.text }
          : { react: { text: c.emoji, key: { remoteJid: jid, id: c.targetProviderId, fromMe: false } } }
      try {
        await s.sendMessage(jid, content, { messageId: id })
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        throw new SendFailure('retry_later', 'channels.send_failed', `WhatsApp did not take the message: ${message}`)
      }
      return { providerMessageId: id }
    },

    /**
     * Asks the phone for older messages of each chat, before the oldest one stored (on-demand history sync): they
     * arrive later as a history batch, stored without counting as unread. False when not connected.
     */
    async backfill(chats: { chatId: string; oldest: { providerMessageId: string; fromMe: boolean; at: Date } }[]) {
      const s = sock
      if (phase !== 'running' || !s || !open) return false
      for (const c of chats) {
        const key = { remoteJid: jidOf(c.chatId), id: c.oldest.providerMessageId, fromMe: c.oldest.fromMe }
        await s.fetchMessageHistory(50, key, Math.floor(c.oldest.at.getTime() / 1000))
      }
      return true
    },
  }
}
export type QrSession = ReturnType<typeof createQrSession>
