import { sql, type Kysely } from 'kysely'
import type { DeadMessageDto, SendMessage } from '../../../contracts/inbox.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { Bus } from '../../platform/realtime/bus.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { MessageContent } from '../channels/driver.ts'
import type { SendLimits } from '../channels/limits.ts'
import type { Sender } from '../channels/sender.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import { createBreaker } from './breaker.ts'
import { createDispatcher, OUTBOX_DEFAULTS, WAKE_CHANNEL, type Outcome, type OutboxSettings } from './dispatcher.ts'
import { inboxErrors } from './inbox.errors.ts'
import { previewOf, WINDOW_MS } from './inbox.service.ts'
import type { InboxTables, MessageRow } from './inbox.tables.ts'
import type { InboxLive } from './live.ts'
import type { Pacer } from './pacer.ts'

/** Outbound messages sent from Camarad this calendar month (UTC): what the plan's inbox messages a month count. */
export const sentThisMonth = async (h: Handle, workspaceId: string) => {
  const now = new Date()
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
  return Number(
    (
      await own<InboxTables>(h)
        .selectFrom('inboxMessages')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('workspaceId', '=', workspaceId)
        .where('sentBy', 'is not', null)
        .where('createdAt', '>=', start)
        .executeTakeFirstOrThrow()
    ).n,
  )
}

/**
 * The outbox (ADR 0005 §2 and "Outbox"): a message row, due now, and a wake-up for the dispatchers in one
 * transaction, so a message is either queued and will be sent, or not there at all. The dispatchers (one per process
 * that works jobs) claim due messages, pace them per number and act on each outcome (`dispatcher.ts`); dead letters
 * are listed for the operators and replayed on their word.
 */
export const createOutbox = ({
  db,
  sender,
  limits,
  pacer,
  entitlements,
  live,
  bus,
  audit,
  settings = OUTBOX_DEFAULTS,
  observe,
  now = Date.now,
}: {
  db: Kysely<InboxTables>
  sender: Pick<Sender, 'send' | 'drivenHere' | 'canSend'>
  limits: { of(channelIds: string[]): Promise<Map<string, SendLimits>> }
  pacer: Pacer
  entitlements: Entitlements
  live: InboxLive
  bus: Bus
  audit: AuditService
  settings?: OutboxSettings
  /** Told each send attempt's outcome (/metrics). */
  observe?: (m: MessageRow, outcome: Outcome) => void
  now?: () => number
}) => {
  const dispatcher = createDispatcher({
    db,
    sender,
    limits,
    pacer,
    live,
    settings,
    now,
    observe,
    breaker: createBreaker(settings.breaker),
    // A number whose sends keep failing is paused: the workspace's audit log says so (the dashboard shows the pause).
    onTrip: (m, failure, untilMs) =>
      audit.record(db, {
        action: 'inbox.sends_paused',
        workspaceId: m.workspaceId,
        targetType: 'channel',
        targetId: m.channelId,
        metadata: {
          clientId: m.clientId,
          until: new Date(untilMs).toISOString(),
          lastError: failure ? { code: failure.code, message: failure.message } : null,
        },
      }),
  })

  /** Tells every dispatcher a number has due work: with the commit on PostgreSQL's bus, after it elsewhere. */
  const announce = async (h: Handle, channelId: string) => {
    const prepared = bus.prepare?.(WAKE_CHANNEL, channelId)
    if (!prepared) return () => void bus.publish(WAKE_CHANNEL, channelId).catch(() => undefined)
    await sql`select pg_notify(${prepared.name}, ${prepared.payload})`.execute(h)
    return prepared.local
  }

  return {
    dispatcher,
    /** Wakes the dispatchers for a number (in the queueing transaction: a broadcast queues through it). */
    announce,
    jobs: [],
    /** Sends one message now (tests and operators); see `dispatcher.deliver`. */
    deliver: (id: string) => dispatcher.deliver(id),

    /** Every process that works jobs sends: its dispatcher wakes on a queued message, else polls. */
    async start() {
      await bus.subscribe(WAKE_CHANNEL, () => dispatcher.wake())
      dispatcher.start()
    },
    stop: () => dispatcher.stop(),

    /**
     * Queues a text or a template to a thread's contact: 201 with the queued message, or the same message again when
     * the composer retries with its `clientMessageId`. Refused: a number that cannot send (409), a text once the
     * 24-hour window closed (409, a template is needed), a template on a QR number (409), the plan's inbox messages
     * a month (402).
     */
    async send(
      scope: ClientScope,
      threadId: string,
      body: SendMessage,
      /** Runs first in the queueing transaction: a human takeover pauses auto-reply; an auto reply checks the pause. */
      options: { within?: (trx: Kysely<InboxTables>) => Promise<void> } = {},
    ) {
      const thread = await db
        .selectFrom('inboxThreads')
        .innerJoin('inboxContacts', 'inboxContacts.id', 'inboxThreads.contactId')
        .select(['inboxThreads.id', 'inboxThreads.channelId', 'inboxThreads.lastInboundAt', 'inboxContacts.waId'])
        .where('inboxThreads.workspaceId', '=', scope.workspaceId)
        .where('inboxThreads.clientId', '=', scope.clientId)
        .where('inboxThreads.id', '=', threadId)
        .executeTakeFirst()
      if (!thread) throw inboxErrors.thread_not_found()
      if (body.clientMessageId) {
        const again = await db
          .selectFrom('inboxMessages')
          .selectAll()
          .where('threadId', '=', threadId)
          .where('clientMessageId', '=', body.clientMessageId)
          .executeTakeFirst()
        if (again) return { message: again, created: false }
      }
      if (!(await sender.canSend(thread.channelId))) throw inboxErrors.channel_cannot_send()
      let content: MessageContent
      if ('template' in body) {
        const l = (await limits.of([thread.channelId])).get(thread.channelId)
        if (l?.kind !== 'cloud') throw inboxErrors.template_needs_cloud()
        const t = body.template
        content = {
          type: 'template',
          name: t.name,
          language: t.language,
          ...(t.components ? { components: t.components } : {}),
        }
      } else {
        if (!thread.lastInboundAt || thread.lastInboundAt.getTime() + WINDOW_MS < now())
          throw inboxErrors.window_closed()
        content = { type: 'text', text: body.text }
      }
      const at = new Date(now())
      const { message, told } = await db.transaction().execute(async (trx) => {
        await options.within?.(trx)
        await entitlements.check(trx, scope.workspaceId, 'messagesPerMonth', 1, (h) =>
          sentThisMonth(h, scope.workspaceId),
        )
        const row = await trx
          .insertInto('inboxMessages')
          .values({
            id: newId('im'),
            workspaceId: scope.workspaceId,
            clientId: scope.clientId,
            threadId,
            channelId: thread.channelId,
            direction: 'out',
            chatId: thread.waId,
            fromMe: false,
            type: content.type,
            content: JSON.stringify(content),
            status: 'queued',
            statusAt: at,
            sentBy: scope.userId,
            clientMessageId: body.clientMessageId ?? null,
            nextAttemptAt: at,
            at,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        await trx
          .updateTable('inboxThreads')
          .set({ lastMessageAt: at, lastPreview: previewOf(content) })
          .where('id', '=', threadId)
          .execute()
        return { message: row, told: await announce(trx, thread.channelId) }
      })
      told()
      live.publish(scope.clientId, [threadId])
      return { message, created: true }
    },

    /** Dead letters, newest first (operators). */
    dead: async (q: PageRequest) => {
      const page = await newestFirstPage(
        db.selectFrom('inboxMessages').selectAll().where('deadAt', 'is not', null).where('direction', '=', 'out'),
        q,
      )
      return { items: page.items.map(deadDto), nextCursor: page.nextCursor }
    },

    /**
     * Queues a dead letter again with fresh attempts (operators). Idempotent: a message already replayed and not dead
     * again is answered as it is; one that never died is refused (409).
     */
    async replay(id: string, reason: string, meta: RequestMeta) {
      const at = new Date(now())
      const row = await db.transaction().execute(async (trx) => {
        const m = await trx
          .selectFrom('inboxMessages')
          .selectAll()
          .where('id', '=', id)
          .where('direction', '=', 'out')
          .forUpdate()
          .executeTakeFirst()
        if (!m) throw inboxErrors.message_not_found()
        if (!m.deadAt) {
          if (m.replayedAt) return { message: m, told: () => undefined }
          throw inboxErrors.not_dead()
        }
        const replayed = await trx
          .updateTable('inboxMessages')
          .set({
            status: 'queued',
            statusAt: at,
            error: null,
            attempts: 0,
            deadAt: null,
            replayedAt: at,
            nextAttemptAt: at,
            sendStartedAt: null,
            echoWaitUntil: null,
            claimedBy: null,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await audit.record(trx, {
          action: 'inbox.message_replayed',
          workspaceId: m.workspaceId,
          actorUserId: null,
          targetType: 'inbox_message',
          targetId: id,
          ip: meta.ip,
          metadata: {
            by: 'operator',
            clientId: m.clientId,
            error: m.error,
            attempts: m.attempts,
            requestId: meta.requestId,
          },
        })
        return { message: replayed, told: await announce(trx, m.channelId) }
      })
      row.told()
      live.publish(row.message.clientId, [row.message.threadId])
      return deadDto(row.message)
    },
  }
}
export type Outbox = ReturnType<typeof createOutbox>

const deadDto = (m: MessageRow): DeadMessageDto => ({
  id: m.id,
  workspaceId: m.workspaceId,
  clientId: m.clientId,
  threadId: m.threadId,
  channelId: m.channelId,
  type: m.type,
  attempts: m.attempts,
  error: m.error,
  status: m.status,
  deadAt: m.deadAt?.toISOString() ?? null,
  replayedAt: m.replayedAt?.toISOString() ?? null,
  createdAt: m.createdAt.toISOString(),
})
