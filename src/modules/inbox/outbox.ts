import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import type { SendMessage } from '../../../contracts/inbox.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { defineJob, type Queue } from '../../platform/queue/queue.ts'
import { SendFailure } from '../channels/driver.ts'
import type { Sender } from '../channels/sender.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import { inboxErrors } from './inbox.errors.ts'
import { previewOf, WINDOW_MS } from './inbox.service.ts'
import type { InboxLive } from './live.ts'
import type { InboxTables } from './inbox.tables.ts'

/** Attempts before a message that keeps failing transiently is marked failed (the operators see it; replay later). */
export const MAX_SEND_ATTEMPTS = 8

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
 * The outbox (ADR 0005 §2): a message row and its send job in one transaction, so a message is either queued and
 * will be sent, or not there at all. The job sends it through the number's driver with the message id as Camarad's
 * id (the Cloud API echoes it in statuses), stores the provider id and moves the status forward; a transient failure
 * is retried by the queue with backoff, a permanent one (or one that needs a template) ends the message as failed
 * with its error.
 */
export const createOutbox = ({
  db,
  queue,
  sender,
  entitlements,
  live,
  log = (m: string, err?: unknown) => console.error(`[inbox] ${m}`, err ?? ''),
}: {
  db: Kysely<InboxTables>
  queue: Queue
  sender: Sender
  entitlements: Entitlements
  live: InboxLive
  log?: (m: string, err?: unknown) => void
}) => {
  const sendJob = defineJob({
    name: 'inbox.send-message',
    payload: z.object({ messageId: z.string().min(3).max(64) }),
    retryLimit: MAX_SEND_ATTEMPTS,
    retryDelaySeconds: 5,
    handler: async ({ messageId }) => {
      await deliver(messageId)
    },
  })

  const fail = async (id: string, error: { code: string; message: string }) => {
    const row = await db
      .updateTable('inboxMessages')
      .set({ status: 'failed', statusAt: new Date(), error: JSON.stringify(error) })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .returning(['clientId', 'threadId'])
      .executeTakeFirst()
    if (row) live.publish(row.clientId, [row.threadId])
  }

  /** Sends one queued message; throws on a transient failure so the queue retries it. */
  const deliver = async (id: string) => {
    const m = await db
      .updateTable('inboxMessages')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .where('providerMessageId', 'is', null)
      .returning(['id', 'clientId', 'threadId', 'channelId', 'chatId', 'content', 'replyTo', 'attempts'])
      .executeTakeFirst()
    // Sent already (a status webhook may have named it first), failed, or not a queued message: nothing to do.
    if (!m) return
    const content = m.content
    if (content.type !== 'text') return fail(id, { code: 'inbox.unsupported', message: 'Only text is sent for now.' })
    try {
      const { providerMessageId } = await sender.send(
        m.channelId,
        { to: m.chatId, content: { type: 'text', text: content.text }, replyTo: m.replyTo },
        id,
      )
      await db
        .updateTable('inboxMessages')
        .set({
          providerMessageId,
          status: sql<'sent'>`case when status = 'queued' then 'sent' else status end`,
          statusAt: new Date(),
        })
        .where('id', '=', id)
        .execute()
      live.publish(m.clientId, [m.threadId])
    } catch (err) {
      if (!(err instanceof SendFailure)) {
        log(`send ${id}`, err)
        if (m.attempts >= MAX_SEND_ATTEMPTS) await fail(id, { code: 'inbox.send_failed', message: String(err) })
        throw err
      }
      const transient = err.kind === 'retry_later' || err.kind === 'pace_recipient'
      if (transient && m.attempts < MAX_SEND_ATTEMPTS) throw err
      await fail(id, { code: err.code, message: err.message })
    }
  }

  return {
    jobs: [sendJob],
    deliver,

    /**
     * Queues a text to a thread's contact: 201 with the queued message, or the same message again when the composer
     * retries with its `clientMessageId`. Refused: a number that cannot send (409), the 24-hour window closed (409,
     * a template is needed), the plan's inbox messages a month (402).
     */
    async send(scope: ClientScope, threadId: string, body: SendMessage) {
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
      if (!thread.lastInboundAt || thread.lastInboundAt.getTime() + WINDOW_MS < Date.now())
        throw inboxErrors.window_closed()
      const at = new Date()
      const content = { type: 'text' as const, text: body.text }
      const message = await db.transaction().execute(async (trx) => {
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
            type: 'text',
            content: JSON.stringify(content),
            status: 'queued',
            statusAt: at,
            sentBy: scope.userId,
            clientMessageId: body.clientMessageId ?? null,
            at,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        await trx
          .updateTable('inboxThreads')
          .set({ lastMessageAt: at, lastPreview: previewOf(content) })
          .where('id', '=', threadId)
          .execute()
        await queue.enqueue(trx, sendJob, { messageId: row.id })
        return row
      })
      live.publish(scope.clientId, [threadId])
      return { message, created: true }
    },
  }
}
export type Outbox = ReturnType<typeof createOutbox>
