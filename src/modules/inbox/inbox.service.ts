import { sql, type Kysely } from 'kysely'
import type { InboxMessageDto, ThreadDto } from '../../../contracts/inbox.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { InboundMessage, MediaSource, MessageContent, StatusUpdate } from '../channels/driver.ts'
import type { ChannelRef } from '../channels/receivers.ts'
import { inboxErrors } from './inbox.errors.ts'
import type { InboxTables, MediaState, MessageRow, ThreadRow } from './inbox.tables.ts'
import { withThreadFilters, type ThreadFilters } from './thread-filters.ts'

/** The Cloud API accepts free-form replies for this long after the contact's last message; then only templates. */
export const WINDOW_MS = 24 * 3_600_000

/** One line of a thread's list: what the last message says, without markup. */
export const previewOf = (c: MessageContent): string => {
  switch (c.type) {
    case 'text':
      return c.text.slice(0, 160)
    case 'media':
      return `[${c.media}]${c.caption ? ` ${c.caption.slice(0, 140)}` : ''}`
    case 'location':
      return `[location]${c.name ? ` ${c.name.slice(0, 140)}` : ''}`
    case 'reaction':
      return `[reaction] ${c.emoji}`
    case 'template':
      return `[template] ${c.name.slice(0, 140)}`
    case 'unsupported':
      return `[${c.kind.slice(0, 60)}]`
  }
}

/** The words of a message, when it has some (a text, a caption, a place's name). */
export const textOf = (c: MessageContent): string | null =>
  c.type === 'text'
    ? c.text
    : c.type === 'media'
      ? (c.caption ?? null)
      : c.type === 'location'
        ? (c.name ?? null)
        : null

/**
 * A message a contact wrote, as the inbox tells its inbound subscribers (flows) in the transaction that stored it:
 * never our own echo, never history. `firstFromContact`: the contact had not written to any of the client's numbers.
 */
export type InboundEvent = {
  workspaceId: string
  clientId: string
  channelId: string
  threadId: string
  message: { id: string; type: MessageContent['type']; text: string | null; at: string }
  contact: { id: string; waId: string; name: string | null; phone: string | null }
  firstFromContact: boolean
}

/**
 * Where the rank of a delivery status is compared in SQL: an update applies only when it moves the message forward
 * (queued < sent < delivered < read). `failed` ends a message that was not delivered yet; nothing moves a failed one.
 */
const RANK = sql<number>`case status when 'queued' then 0 when 'sent' then 1 when 'delivered' then 2 when 'read' then 3 else 9 end`
const rankOf = (status: StatusUpdate['status']) => ({ sent: 1, delivered: 2, read: 3, failed: 2 })[status]

const threadDto = (t: ThreadRow, contact: { id: string; waId: string; name: string | null; phone: string | null }) =>
  ({
    id: t.id,
    channelId: t.channelId,
    contact: { id: contact.id, waId: contact.waId, name: contact.name, phone: contact.phone },
    lastMessageAt: t.lastMessageAt.toISOString(),
    lastPreview: t.lastPreview,
    unread: t.unread,
    assignedTo: t.assignedTo,
    labels: t.labels,
    autoReplyPaused: t.autoReplyPausedAt !== null,
    windowOpenUntil:
      t.lastInboundAt && t.lastInboundAt.getTime() + WINDOW_MS > Date.now()
        ? new Date(t.lastInboundAt.getTime() + WINDOW_MS).toISOString()
        : null,
  }) satisfies ThreadDto

/** A media message's file as the thread shows it: where to read it, and whether it is there. */
type MediaView = { state: MediaState; mime: string; bytes: bigint | null }
const mediaDto = (id: string, f: MediaView | undefined) =>
  f
    ? {
        state: f.state,
        mime: f.mime,
        bytes: f.bytes === null ? null : Number(f.bytes),
        url: `/api/inbox/messages/${id}/media`,
      }
    : null

export const messageDto = (m: MessageRow, media?: MediaView): InboxMessageDto => ({
  id: m.id,
  threadId: m.threadId,
  direction: m.direction,
  fromMe: m.fromMe,
  type: m.type,
  content: m.content as unknown as Record<string, unknown>,
  replyTo: m.replyTo,
  status: m.status,
  statusAt: m.statusAt.toISOString(),
  error: m.error,
  media: mediaDto(m.id, media),
  at: m.at.toISOString(),
})

/**
 * The inbox: what the numbers receive, stored once (by provider id, whatever the provider redelivers), threads per
 * number and contact with their unread counts and 24-hour window, and delivery statuses that only move forward.
 */
export const createInboxService = ({ db }: { db: Kysely<InboxTables> }) => {
  /** The thread of a number and a contact, created on its first message; the contact is created or refreshed. */
  const threadFor = async (trx: Kysely<InboxTables>, channel: ChannelRef, m: InboundMessage) => {
    const party = m.party
    const contact = await trx
      .insertInto('inboxContacts')
      .values({
        id: newId('ic'),
        workspaceId: channel.workspaceId,
        clientId: channel.clientId,
        waId: party.waId,
        lid: party.lid ?? null,
        phone: party.phone ?? null,
        name: party.name ?? null,
      })
      .onConflict((oc) =>
        oc.columns(['clientId', 'waId']).doUpdateSet((eb) => ({
          // What the provider says now fills in what was unknown; a name the person changed is refreshed.
          lid: eb.fn.coalesce(eb.ref('excluded.lid'), eb.ref('inboxContacts.lid')),
          phone: eb.fn.coalesce(eb.ref('excluded.phone'), eb.ref('inboxContacts.phone')),
          name: m.fromMe
            ? eb.ref('inboxContacts.name')
            : eb.fn.coalesce(eb.ref('excluded.name'), eb.ref('inboxContacts.name')),
          updatedAt: new Date(),
        })),
      )
      .returning(['id', 'waId', 'name', 'phone'])
      .executeTakeFirstOrThrow()
    const thread = await trx
      .insertInto('inboxThreads')
      .values({
        id: newId('th'),
        workspaceId: channel.workspaceId,
        clientId: channel.clientId,
        channelId: channel.id,
        contactId: contact.id,
        lastMessageAt: m.at,
      })
      .onConflict((oc) =>
        oc.columns(['channelId', 'contactId']).doUpdateSet((eb) => ({ channelId: eb.ref('excluded.channelId') })),
      )
      .returning('id')
      .executeTakeFirstOrThrow()
    return { threadId: thread.id, contact }
  }

  /** Whether the contact wrote to the client before (any number, history included) besides message `except`. */
  const wroteBefore = async (trx: Kysely<InboxTables>, channel: ChannelRef, contactId: string, except: string) =>
    Boolean(
      await trx
        .selectFrom('inboxMessages')
        .select('id')
        .where('clientId', '=', channel.clientId)
        .where('direction', '=', 'in')
        .where('id', '<>', except)
        .where('threadId', 'in', (eb) => eb.selectFrom('inboxThreads').select('id').where('contactId', '=', contactId))
        .limit(1)
        .executeTakeFirst(),
    )

  return {
    /**
     * Stores what a number received, in the caller's transaction. A message already stored (same number, chat,
     * provider id and direction) changes nothing: providers redeliver, and a redelivery must not count as unread.
     * Answers the messages stored now, with their threads.
     */
    async receive(h: Handle, channel: ChannelRef, messages: InboundMessage[]) {
      const trx = own<InboxTables>(h)
      const stored: {
        messageId: string
        threadId: string
        event?: InboundEvent
        media?: { content: Extract<MessageContent, { type: 'media' }>; source: MediaSource | null }
      }[] = []
      for (const m of messages) {
        if (m.fromMe && m.ourId) {
          // Our own send echoed back (a QR number): the outbox's row is that message; its provider id is filled in
          // here when the echo comes before the send's answer was stored.
          const ours = await trx
            .updateTable('inboxMessages')
            .set({
              providerMessageId: m.providerMessageId,
              // It left: a message still queued is sent (statuses only move forward).
              status: sql<'sent'>`case when status = 'queued' then 'sent' else status end`,
              statusAt: sql<Date>`case when status = 'queued' then ${m.at} else status_at end`,
            })
            .where('id', '=', m.ourId)
            .where('channelId', '=', channel.id)
            .where('direction', '=', 'out')
            .where((eb) =>
              eb.or([eb('providerMessageId', 'is', null), eb('providerMessageId', '=', m.providerMessageId)]),
            )
            .returning('id')
            .executeTakeFirst()
          if (ours) continue
        }
        const { threadId, contact } = await threadFor(trx, channel, m)
        const inserted = await trx
          .insertInto('inboxMessages')
          .values({
            id: newId('im'),
            workspaceId: channel.workspaceId,
            clientId: channel.clientId,
            threadId,
            channelId: channel.id,
            direction: m.fromMe ? 'out' : 'in',
            providerMessageId: m.providerMessageId,
            chatId: m.party.waId,
            fromMe: m.fromMe,
            type: m.content.type,
            content: JSON.stringify(m.content),
            replyTo: m.replyTo ?? null,
            status: m.fromMe ? 'sent' : 'received',
            statusAt: m.at,
            at: m.at,
          })
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .executeTakeFirst()
        if (!inserted) continue
        const inbound = !m.fromMe
        stored.push({
          messageId: inserted.id,
          threadId,
          ...(m.content.type === 'media' ? { media: { content: m.content, source: m.mediaSource ?? null } } : {}),
          // What the contact says now (not our echo, not history): told to the inbound subscribers (flows).
          ...(inbound && !m.history
            ? {
                event: {
                  workspaceId: channel.workspaceId,
                  clientId: channel.clientId,
                  channelId: channel.id,
                  threadId,
                  message: { id: inserted.id, type: m.content.type, text: textOf(m.content), at: m.at.toISOString() },
                  contact,
                  firstFromContact: !(await wroteBefore(trx, channel, contact.id, inserted.id)),
                },
              }
            : {}),
        })
        await trx
          .updateTable('inboxThreads')
          .set((eb) => ({
            // Messages may arrive out of order: the thread shows the latest one.
            lastPreview: sql<string>`case when ${eb.ref('lastMessageAt')} <= ${m.at} then ${previewOf(m.content)} else ${eb.ref('lastPreview')} end`,
            lastMessageAt: sql<Date>`greatest(${eb.ref('lastMessageAt')}, ${m.at})`,
            ...(inbound
              ? {
                  // History (a backfill, the phone's recent chats) was read on the phone already.
                  unread: m.history ? eb.ref('unread') : eb('unread', '+', 1),
                  lastInboundAt: sql<Date>`greatest(coalesce(${eb.ref('lastInboundAt')}, ${m.at}), ${m.at})`,
                }
              : {}),
          }))
          .where('id', '=', threadId)
          .execute()
      }
      return stored
    },

    /**
     * Applies delivery statuses in the caller's transaction; one that would move a message backwards changes nothing.
     * Answers the threads of the messages that moved.
     */
    async applyStatuses(h: Handle, channel: ChannelRef, updates: StatusUpdate[]) {
      const trx = own<InboxTables>(h)
      const moved: string[] = []
      for (const u of updates) {
        const rows = await trx
          .updateTable('inboxMessages')
          .set((eb) => ({
            status: u.status,
            statusAt: u.at,
            // Named by our id alone (the send's answer was lost): the provider's id is learnt here.
            providerMessageId: eb.fn.coalesce('providerMessageId', eb.val(u.providerMessageId)),
            ...(u.status === 'failed' && u.error ? { error: JSON.stringify(u.error) } : {}),
          }))
          .where('channelId', '=', channel.id)
          .where('direction', '=', 'out')
          .where((eb) =>
            eb.or([eb('providerMessageId', '=', u.providerMessageId), ...(u.ourId ? [eb('id', '=', u.ourId)] : [])]),
          )
          .where(RANK, '<', rankOf(u.status))
          .returning('threadId')
          .execute()
        moved.push(...rows.map((r) => r.threadId))
      }
      return moved
    },

    /** The client's threads, latest activity first, narrowed by `filters` (the cursor stays exact under them). */
    async threads(scope: ClientScope, q: PageRequest & ThreadFilters) {
      const page = await newestFirstPage(
        withThreadFilters(
          db
            .selectFrom('inboxThreads')
            .selectAll()
            .where('workspaceId', '=', scope.workspaceId)
            .where('clientId', '=', scope.clientId),
          scope,
          q,
        ),
        q,
        'lastMessageAt',
      )
      return { items: await withContacts(scope, page.items), nextCursor: page.nextCursor }
    },

    /** One thread of the client, as the list shows it (404 when it is not the client's). */
    async getThread(scope: ClientScope, id: string) {
      const row = await db
        .selectFrom('inboxThreads')
        .selectAll()
        .where('workspaceId', '=', scope.workspaceId)
        .where('clientId', '=', scope.clientId)
        .where('id', '=', id)
        .executeTakeFirst()
      if (!row) throw inboxErrors.thread_not_found()
      return (await withContacts(scope, [row]))[0]!
    },

    async messages(scope: ClientScope, threadId: string, q: PageRequest) {
      await thread(scope, threadId)
      const page = await newestFirstPage(
        db
          .selectFrom('inboxMessages')
          .selectAll()
          .where('workspaceId', '=', scope.workspaceId)
          .where('threadId', '=', threadId),
        q,
        'at',
      )
      const ids = page.items.filter((m) => m.type === 'media').map((m) => m.id)
      const files = new Map(
        (ids.length
          ? await db
              .selectFrom('inboxMedia')
              .select(['messageId', 'state', 'mime', 'bytes'])
              .where('clientId', '=', scope.clientId)
              .where('messageId', 'in', ids)
              .execute()
          : []
        ).map((f) => [f.messageId, f]),
      )
      return { items: page.items.map((m) => messageDto(m, files.get(m.id))), nextCursor: page.nextCursor }
    },

    async markRead(scope: ClientScope, threadId: string) {
      const r = await db
        .updateTable('inboxThreads')
        .set({ unread: 0 })
        .where('workspaceId', '=', scope.workspaceId)
        .where('clientId', '=', scope.clientId)
        .where('id', '=', threadId)
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) !== 1) throw inboxErrors.thread_not_found()
    },

    /** What a number sent under a provider id (a QR number's `getMessage`, for WhatsApp's retry requests). */
    sentContent: async (channelId: string, providerMessageId: string) =>
      (
        await db
          .selectFrom('inboxMessages')
          .select('content')
          .where('channelId', '=', channelId)
          .where('direction', '=', 'out')
          .where('providerMessageId', '=', providerMessageId)
          .executeTakeFirst()
      )?.content,

    /** The oldest stored message of each of a number's chats, the latest active chats first (a backfill's start). */
    async oldestPerChat(channelId: string, limit: number) {
      const rows = await db
        .selectFrom('inboxMessages')
        .select(['threadId', 'chatId', 'providerMessageId', 'direction', 'at'])
        .distinctOn('threadId')
        .where('channelId', '=', channelId)
        .where('providerMessageId', 'is not', null)
        .where('threadId', 'in', (eb) =>
          eb
            .selectFrom('inboxThreads')
            .select('id')
            .where('channelId', '=', channelId)
            .orderBy('lastMessageAt', 'desc')
            .limit(limit),
        )
        .orderBy('threadId')
        .orderBy('at', 'asc')
        .execute()
      return rows.map((r) => ({
        chatId: r.chatId,
        oldest: { providerMessageId: r.providerMessageId!, fromMe: r.direction === 'out', at: r.at },
      }))
    },

    clientOfThread: async (id: string) =>
      (await db.selectFrom('inboxThreads').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,
  }

  async function withContacts(scope: ClientScope, threads: ThreadRow[]) {
    const ids = [...new Set(threads.map((t) => t.contactId))]
    const contacts = new Map(
      (ids.length
        ? await db
            .selectFrom('inboxContacts')
            .select(['id', 'waId', 'name', 'phone'])
            .where('clientId', '=', scope.clientId)
            .where('id', 'in', ids)
            .execute()
        : []
      ).map((c) => [c.id, c]),
    )
    return threads.map((t) => threadDto(t, contacts.get(t.contactId)!))
  }

  async function thread(scope: ClientScope, id: string) {
    const row = await db
      .selectFrom('inboxThreads')
      .select('id')
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (!row) throw inboxErrors.thread_not_found()
  }
}
export type InboxService = ReturnType<typeof createInboxService>
