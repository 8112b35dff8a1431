import type { Kysely } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import { AppError } from '../../platform/http/errors.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { Sender } from '../channels/sender.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import type { ChannelsDirectory } from './dashboard.ts'
import { inboxErrors } from './inbox.errors.ts'
import { previewOf, WINDOW_MS } from './inbox.service.ts'
import type { InboxTables, MessageStatus } from './inbox.tables.ts'
import type { InboxLive } from './live.ts'
import { sentThisMonth } from './outbox.ts'

/** What a broadcast sends: a text, or a Cloud template (`components` as Meta takes them). */
export type BroadcastContent =
  { type: 'text'; text: string } | { type: 'template'; name: string; language: string; components?: unknown[] }

/** One message of a broadcast: to a WhatsApp address (phone digits or a LID), under the caller's stable id. */
export type BroadcastItem = { waId: string; name: string | null; content: BroadcastContent; clientMessageId: string }

export type BroadcastOutcome =
  | { status: 'queued'; messageId: string; created: boolean }
  | { status: 'skipped'; reason: 'plan_limit' | 'window_closed' }

const MAX_PAGES = 20

/**
 * Messages queued for a sender that is not a thread's composer (a CRM campaign): to addresses that may never have
 * written to the number, so the contact and its thread are made when the first message is queued. Everything runs in
 * the caller's transaction (the caller records which message each of its recipients got in the same commit), and each
 * message is found again by its `clientMessageId` in its thread — queueing the same item twice answers the first
 * message. The plan's inbox messages a month count these like any send from Camarad; items past the limit are
 * answered `plan_limit`, not queued. The outbox's dispatchers pace them per number like every other message.
 */
export const createBroadcast = ({
  sender,
  channels,
  entitlements,
  live,
  announce,
  now = Date.now,
}: {
  sender: Pick<Sender, 'canSend'>
  channels: ChannelsDirectory
  entitlements: Entitlements
  live: InboxLive
  announce: (h: Handle, channelId: string) => Promise<() => void>
  now?: () => number
}) => {
  /** The number's kind, when it is one of the scope's client's numbers. */
  const kindOf = async (scope: ClientScope, channelId: string) => {
    let cursor: string | undefined
    for (let page = 0; page < MAX_PAGES; page++) {
      const p = await channels.list(scope, { limit: 100, cursor })
      const found = p.items.find((c) => c.id === channelId)
      if (found) return found.kind
      if (!p.nextCursor) return undefined
      cursor = p.nextCursor
    }
    return undefined
  }

  /** Throws 402 `plan.limit_reached` unless `count` more messages fit in the plan's month (read under its lock). */
  const checkPlan = (h: Handle, workspaceId: string, count: number) =>
    entitlements.check(h, workspaceId, 'messagesPerMonth', count, (e) => sentThisMonth(e, workspaceId))

  /** How many of `count` more messages fit in the plan's month (under the workspace's plan lock). */
  const room = async (h: Handle, workspaceId: string, count: number) => {
    try {
      await checkPlan(h, workspaceId, count)
      return count
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'plan.limit_reached') throw err
      const d = err.details as { max: number; used: number }
      return Math.max(0, Math.min(count, d.max - d.used))
    }
  }

  return {
    checkPlan,

    /**
     * Opens a number for a broadcast, outside any transaction: 404 unless it is the client's, 409 while it cannot
     * send (logged out, not paired). `queue` then runs in the caller's transaction.
     */
    async open(scope: ClientScope, channelId: string) {
      const kind = await kindOf(scope, channelId)
      if (!kind) throw inboxErrors.number_not_found()
      if (!(await sender.canSend(channelId))) throw inboxErrors.channel_cannot_send()
      return {
        kind,
        /** Queues the items in order; answers each one's outcome and what to run after the commit (wake-ups). */
        async queue(h: Handle, items: BroadcastItem[]) {
          const trx = own<InboxTables>(h)
          const at = new Date(now())
          const outcomes: BroadcastOutcome[] = []
          const fresh: { index: number; item: BroadcastItem }[] = []
          for (const [index, item] of items.entries()) {
            if (item.content.type === 'template' && kind !== 'cloud') throw inboxErrors.template_needs_cloud()
            const thread = await threadOf(trx, scope.clientId, channelId, item.waId)
            const again = thread
              ? await trx
                  .selectFrom('inboxMessages')
                  .select('id')
                  .where('threadId', '=', thread.id)
                  .where('clientMessageId', '=', item.clientMessageId)
                  .executeTakeFirst()
              : undefined
            if (again) outcomes[index] = { status: 'queued', messageId: again.id, created: false }
            else if (
              item.content.type === 'text' &&
              kind === 'cloud' &&
              (!thread?.lastInboundAt || thread.lastInboundAt.getTime() + WINDOW_MS < at.getTime())
            )
              outcomes[index] = { status: 'skipped', reason: 'window_closed' }
            else fresh.push({ index, item })
          }
          const fits = fresh.length ? await room(trx, scope.workspaceId, fresh.length) : 0
          const threads = new Set<string>()
          for (const [n, { index, item }] of fresh.entries()) {
            if (n >= fits) {
              outcomes[index] = { status: 'skipped', reason: 'plan_limit' }
              continue
            }
            const threadId = await ensureThread(trx, scope, channelId, item, at)
            const row = await trx
              .insertInto('inboxMessages')
              .values({
                id: newId('im'),
                workspaceId: scope.workspaceId,
                clientId: scope.clientId,
                threadId,
                channelId,
                direction: 'out',
                chatId: item.waId,
                fromMe: false,
                type: item.content.type,
                content: JSON.stringify(item.content),
                status: 'queued',
                statusAt: at,
                sentBy: scope.userId,
                clientMessageId: item.clientMessageId,
                nextAttemptAt: at,
                at,
              })
              .returning('id')
              .executeTakeFirstOrThrow()
            await trx
              .updateTable('inboxThreads')
              .set({ lastMessageAt: at, lastPreview: previewOf(item.content) })
              .where('id', '=', threadId)
              .execute()
            threads.add(threadId)
            outcomes[index] = { status: 'queued', messageId: row.id, created: true }
          }
          const told = threads.size ? await announce(trx, channelId) : () => undefined
          return {
            outcomes,
            after: () => {
              told()
              if (threads.size) live.publish(scope.clientId, [...threads])
            },
          }
        },
      }
    },
  }
}
export type Broadcast = ReturnType<typeof createBroadcast>

const threadOf = (trx: Kysely<InboxTables>, clientId: string, channelId: string, waId: string) =>
  trx
    .selectFrom('inboxThreads')
    .innerJoin('inboxContacts', 'inboxContacts.id', 'inboxThreads.contactId')
    .select(['inboxThreads.id', 'inboxThreads.lastInboundAt'])
    .where('inboxContacts.clientId', '=', clientId)
    .where('inboxContacts.waId', '=', waId)
    .where('inboxThreads.channelId', '=', channelId)
    .executeTakeFirst()

/** The thread of the number and the address, made (with the contact) when it has none. */
const ensureThread = async (
  trx: Kysely<InboxTables>,
  scope: ClientScope,
  channelId: string,
  item: BroadcastItem,
  at: Date,
) => {
  const contact = await trx
    .insertInto('inboxContacts')
    .values({
      id: newId('ic'),
      workspaceId: scope.workspaceId,
      clientId: scope.clientId,
      waId: item.waId,
      lid: item.waId.endsWith('@lid') ? item.waId : null,
      phone: item.waId.endsWith('@lid') ? null : item.waId,
      name: item.name,
    })
    .onConflict((oc) =>
      oc.columns(['clientId', 'waId']).doUpdateSet((eb) => ({
        name: eb.fn.coalesce(eb.ref('inboxContacts.name'), eb.ref('excluded.name')),
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow()
  const thread = await trx
    .insertInto('inboxThreads')
    .values({
      id: newId('th'),
      workspaceId: scope.workspaceId,
      clientId: scope.clientId,
      channelId,
      contactId: contact.id,
      lastMessageAt: at,
    })
    .onConflict((oc) =>
      oc.columns(['channelId', 'contactId']).doUpdateSet((eb) => ({ channelId: eb.ref('excluded.channelId') })),
    )
    .returning('id')
    .executeTakeFirstOrThrow()
  return thread.id
}

/** Delivery statuses of a client's outbound messages by id (campaign statistics read them at read time). */
export const messageStatuses = async (h: Handle, clientId: string, ids: string[]) => {
  const found = new Map<string, { status: MessageStatus; error: { code: string; message: string } | null }>()
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000)
    if (!chunk.length) continue
    for (const r of await own<InboxTables>(h)
      .selectFrom('inboxMessages')
      .select(['id', 'status', 'error'])
      .where('clientId', '=', clientId)
      .where('direction', '=', 'out')
      .where('id', 'in', chunk)
      .execute())
      found.set(r.id, { status: r.status, error: r.error })
  }
  return found
}
export type MessageStatuses = typeof messageStatuses
