import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Bus } from '../../../platform/realtime/bus.ts'
import type { AuditService } from '../../audit/audit.module.ts'
import type { AuthStore } from '../auth-store.ts'
import type { ChannelStatus } from '../driver.ts'
import type { ChannelRef, Receivers } from '../receivers.ts'
import type { LocalDriver, Sender } from '../sender.ts'
import type { ChannelsTables } from '../channels.tables.ts'
import type { Sessions } from '../sessions.ts'
import { createQrSession, type QrSession } from './session.ts'
import type { QrSocketFactory } from './socket.ts'

/** What the API asks of whichever process drives a QR number, over the bus (ADR 0005 §3, "As built"). */
export type QrCommand =
  | { type: 'wake' }
  | { type: 'pair'; channelId: string; phone: string }
  | { type: 'logout'; channelId: string }
  | { type: 'backfill'; channelId: string }
export const QR_TOPIC = 'channels:qr'

/** Numbers one process starts per tick: several processes ticking at different times share the numbers out. */
const STARTS_PER_TICK = 4
/** Chats a backfill asks the phone about (the latest active first). */
const BACKFILL_CHATS = 20
/**
 * The watchdog: a number that stopped as `failed` (replaced again and again) is started again by itself this many
 * times, after 5, 10 then 20 minutes; then it waits for a person (`regenerate-qr`). Connecting resets the count.
 */
export const AUTO_RESTARTS = 3
const RESTART_AFTER_MS = 5 * 60_000

/** A status that ends the wait for a QR: the number is paired, or stopped with a reason someone must act on. */
const endsWait = (status: ChannelStatus, reason: string | null) =>
  status === 'connected' ||
  status === 'logged_out' ||
  status === 'failed' ||
  ((status === 'pending_qr' || status === 'needs_qr') && reason !== null)

export type QrSupervisorDeps = {
  db: Kysely<ChannelsTables>
  sessions: Sessions
  auth: AuthStore
  sender: Sender
  receivers: Receivers
  bus: Bus
  audit: AuditService
  /** Baileys' `makeWASocket` in production (loaded on the first start), a stand-in in tests. */
  socketFactory: () => Promise<QrSocketFactory>
  leaseMs: number
  /** This process's name in the leases: unique per process. */
  owner?: string
  log?: (message: string, err?: unknown) => void
  /** Told after the commit when a connected number stops (alerts); not awaited. */
  onDisconnected?: (d: {
    workspaceId: string
    clientId: string
    channelId: string
    status: ChannelStatus
    reason: string | null
  }) => void
}

/**
 * Runs QR numbers in this process (ADR 0005 §3, scale-out): every tick (a third of the lease) it starts the numbers
 * that should run and that nobody holds — paired numbers (connecting, connected) always, unpaired ones while someone
 * waits for their QR — a few per tick, so the processes of a deployment share them out. A process that dies stops
 * renewing its leases; another takes its numbers when they lapse and reconnects them from the stored creds, without a
 * new QR. Each session hands what it receives to the inbox's receivers, its statuses and QRs to the number's rows (as
 * fenced writes: a process that lost the number writes nothing), and its sends to the sender while it is connected.
 */
export const createQrSupervisor = (deps: QrSupervisorDeps) => {
  const { db, sessions, sender, receivers, bus, leaseMs } = deps
  const owner = deps.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  const log = deps.log ?? ((m: string, err?: unknown) => console.error(`[channels:qr] ${m}`, err ?? ''))
  const running = new Map<string, { session: QrSession; driver: LocalDriver }>()
  let factory: QrSocketFactory | null = null
  let timer: ReturnType<typeof setInterval> | null = null
  let unsubscribe: (() => void) | null = null
  let ticking: Promise<void> | null = null
  let again = false
  let stopped = true

  /**
   * The number's status as this session sees it: a fenced write, refused once another process holds the number. A
   * connected number that stops (WhatsApp logged it out, it failed) is an alert: an audit event for the workspace.
   */
  const setStatus = async (id: string, fence: bigint, status: ChannelStatus, reason: string | null, phone?: string) => {
    let stopped: { workspaceId: string; clientId: string } | undefined
    const written = await sessions.fenced(id, fence, async (trx) => {
      const at = new Date()
      const before = await trx
        .selectFrom('channels')
        .select(['status', 'workspaceId', 'clientId'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
      if (before.status === 'connected' && (status === 'needs_qr' || status === 'failed')) {
        stopped = { workspaceId: before.workspaceId, clientId: before.clientId }
        await deps.audit.record(trx, {
          action: 'channel.disconnected',
          workspaceId: before.workspaceId,
          targetType: 'channel',
          targetId: id,
          metadata: { clientId: before.clientId, status, reason },
        })
      }
      // Only the API logs a number out (this session did it on its request): the API's logout writes that status.
      if (status !== 'logged_out')
        await trx
          .updateTable('channels')
          .set((eb) => ({
            status,
            statusReason: reason,
            phone: phone ?? eb.ref('phone'),
            lastSeenAt: status === 'connected' ? at : eb.ref('lastSeenAt'),
            updatedAt: at,
          }))
          .where('id', '=', id)
          .where('status', '<>', 'logged_out')
          .execute()
      if (endsWait(status, reason))
        await trx
          .updateTable('channelSessions')
          .set(status === 'connected' ? { wantedUntil: null, restarts: 0 } : { wantedUntil: null })
          .where('channelId', '=', id)
          .execute()
    })
    if (stopped) deps.onDisconnected?.({ ...stopped, channelId: id, status, reason })
    return written
  }

  const start = async (row: {
    id: string
    workspaceId: string
    clientId: string
    status: string
    phone: string | null
  }) => {
    const ref: ChannelRef = { id: row.id, workspaceId: row.workspaceId, clientId: row.clientId }
    factory ??= await deps.socketFactory()
    // eslint-disable-next-line prefer-const -- the hooks below close over the session they belong to
    let session: QrSession
    const driver: LocalDriver = { send: (outgoing, ourId) => session.send(outgoing, ourId) }
    session = createQrSession({
      channelId: row.id,
      owner,
      sessions,
      auth: deps.auth,
      socketFactory: factory,
      leaseMs,
      pairedBefore: row.phone !== null || row.status === 'needs_qr',
      log: (m, err) => log(`${row.id}: ${m}`, err),
      hooks: {
        onStatus: async (status, reason, phone) => {
          if (status === 'connected') sender.attach(row.id, driver)
          else sender.detach(row.id, driver)
          await setStatus(row.id, session.fence(), status, reason, phone ?? undefined)
        },
        onQr: async (qr) => {
          await sessions.fenced(row.id, session.fence(), (trx) =>
            trx
              .updateTable('channelSessions')
              .set({ qr, qrAt: qr ? new Date() : null, ...(qr ? {} : { pairingCode: null }) })
              .where('channelId', '=', row.id)
              .execute(),
          )
        },
        onInbound: async (messages) => {
          const told = await db.transaction().execute(async (trx) => {
            const after = await receivers.inbound(trx, ref, messages)
            await trx.updateTable('channels').set({ lastSeenAt: new Date() }).where('id', '=', row.id).execute()
            return after
          })
          told()
        },
        onStatusUpdates: async (updates) => {
          const told = await db.transaction().execute((trx) => receivers.statuses(trx, ref, updates))
          told()
        },
        getMessage: async (key) => {
          const content = key.id ? await receivers.sentContent(row.id, key.id) : undefined
          return content?.type === 'text' ? { conversation: content.text } : undefined
        },
      },
    })
    running.set(row.id, { session, driver })
    try {
      if (!(await session.start())) running.delete(row.id)
    } catch (err) {
      running.delete(row.id)
      log(`${row.id}: could not start`, err)
    }
  }

  /** Forgets sessions that stopped or lost their number; starts a few of those that should run and nobody holds. */
  const tick = async () => {
    for (const [id, r] of running)
      if (!r.session.isRunning()) {
        running.delete(id)
        sender.detach(id, r.driver)
      }
    const at = new Date()
    const due = await db
      .selectFrom('channels')
      .innerJoin('channelSessions', 'channelSessions.channelId', 'channels.id')
      .select(['channels.id', 'channels.workspaceId', 'channels.clientId', 'channels.status', 'channels.phone'])
      .where('channels.kind', '=', 'qr')
      .where('channels.status', '<>', 'logged_out')
      .where((eb) =>
        eb.or([
          eb('channels.status', 'in', ['connecting', 'connected']),
          eb('channelSessions.wantedUntil', '>', at),
          // The watchdog's restarts of a failed number, further apart each time.
          eb.and([
            eb('channels.status', '=', 'failed'),
            eb('channelSessions.restarts', '<', AUTO_RESTARTS),
            eb(
              'channels.updatedAt',
              '<',
              sql<Date>`${at}::timestamptz - ${RESTART_AFTER_MS} * power(2, ${eb.ref('channelSessions.restarts')}) * interval '1 millisecond'`,
            ),
          ]),
        ]),
      )
      .where((eb) =>
        eb.or([
          eb('channelSessions.owner', 'is', null),
          eb('channelSessions.leaseUntil', 'is', null),
          eb('channelSessions.leaseUntil', '<', at),
        ]),
      )
      .limit(100)
      .execute()
    const free = due.filter((r) => !running.has(r.id)).sort(() => Math.random() - 0.5)
    for (const row of free.slice(0, STARTS_PER_TICK)) {
      if (stopped) return
      if (row.status === 'failed')
        await db
          .updateTable('channelSessions')
          .set((eb) => ({ restarts: eb('restarts', '+', 1) }))
          .where('channelId', '=', row.id)
          .execute()
      await start(row)
    }
  }
  /** One tick at a time; a wake-up during a tick runs one more after it. */
  const runTick = () => {
    if (stopped) return Promise.resolve()
    if (ticking) {
      again = true
      return ticking
    }
    ticking = tick()
      .catch((err: unknown) => log('a tick failed', err))
      .finally(() => {
        ticking = null
        if (again && !stopped) {
          again = false
          void runTick()
        }
      })
    return ticking
  }

  const command = async (c: QrCommand) => {
    if (c.type === 'wake') return runTick()
    const r = running.get(c.channelId)
    if (!r?.session.isRunning()) return
    if (c.type === 'logout') return void (await r.session.logout())
    if (c.type === 'pair') {
      const code = await r.session.requestPairingCode(c.phone)
      await sessions.fenced(c.channelId, r.session.fence(), (trx) =>
        trx.updateTable('channelSessions').set({ pairingCode: code }).where('channelId', '=', c.channelId).execute(),
      )
      return
    }
    await r.session.backfill(await receivers.oldestPerChat(c.channelId, BACKFILL_CHATS))
  }

  return {
    owner,
    /** Starts supervising: listens for the API's commands, then ticks every third of the lease. */
    async start() {
      if (!stopped) return
      stopped = false
      unsubscribe = await bus.subscribe(QR_TOPIC, (message) => {
        let c: QrCommand
        try {
          c = JSON.parse(message) as QrCommand
        } catch {
          return
        }
        command(c).catch((err: unknown) => log(`${c.type} failed`, err))
      })
      await runTick()
      timer = setInterval(() => void runTick(), Math.max(250, Math.floor(leaseMs / 3)))
      timer.unref()
    },
    /** Runs one tick now (tests; a wake-up). */
    tick: runTick,
    /** Stops every session this process drives and gives their leases up: another process takes them at once. */
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      unsubscribe?.()
      await ticking
      await Promise.all([...running.values()].map((r) => r.session.stop().catch(() => undefined)))
      for (const [id, r] of running) sender.detach(id, r.driver)
      running.clear()
    },
    /**
     * Stops driving without giving anything up, as a process that dies would (tests): sockets closed, leases left to
     * lapse.
     */
    async abandon() {
      stopped = true
      if (timer) clearInterval(timer)
      unsubscribe?.()
      await ticking
      for (const [id, r] of running) {
        sender.detach(id, r.driver)
        r.session.abandon()
      }
      running.clear()
    },
    /** The numbers this process drives now. */
    driven: () => [...running.entries()].filter(([, r]) => r.session.isRunning()).map(([id]) => id),
  }
}
export type QrSupervisor = ReturnType<typeof createQrSupervisor>

/** Publishes a command for whichever process drives the number (or every supervisor, for a wake-up). */
export const qrCommand = (bus: Bus, c: QrCommand) => bus.publish(QR_TOPIC, JSON.stringify(c))
