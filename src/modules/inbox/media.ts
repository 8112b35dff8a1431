import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import { own, type Handle } from '../../platform/db/database.ts'
import { defineJob, type Queue } from '../../platform/queue/queue.ts'
import { MediaFailure, type MediaKind, type MediaSource, type MessageContent } from '../channels/driver.ts'
import type { ChannelRef } from '../channels/receivers.ts'
import { inboxErrors } from './inbox.errors.ts'
import type { InboxTables, MediaState } from './inbox.tables.ts'
import type { InboxLive } from './live.ts'

const MiB = 1024 * 1024
/** What each kind may weigh (WhatsApp's own limits; documents lower, since they live in the database). */
export const MEDIA_CAPS: Record<MediaKind, number> = {
  image: 5 * MiB,
  sticker: 1 * MiB,
  audio: 16 * MiB,
  video: 16 * MiB,
  document: 32 * MiB,
}
/** Downloads tried per file before it is marked failed (network trouble, the provider's load). */
export const MEDIA_ATTEMPTS = 5

/** A type as `type/subtype` in lower case (parameters dropped), or `application/octet-stream` for anything odd. */
export const cleanMime = (mime: string | null | undefined) => {
  const m = /^\s*([a-z0-9][a-z0-9!#$&^_.+-]{0,63})\/([a-z0-9][a-z0-9!#$&^_.+-]{0,126})\s*(;.*)?$/i.exec(mime ?? '')
  return m ? `${m[1]}/${m[2]}`.toLowerCase() : 'application/octet-stream'
}

/** A media message as `receive` stored it, with the driver's reference to its file. */
export type ReceivedMedia = {
  messageId: string
  threadId: string
  content: Extract<MessageContent, { type: 'media' }>
  source: MediaSource | null
}

/**
 * Received media files, stored with their messages (ADR 0005, "Media"): a row per media message in the transaction
 * that stores the message (state `pending`, or `too_large` when the provider declared a size over the cap, or `failed`
 * when the message names no file), then a job per file fetches it through the channels' driver — the Cloud API with
 * the number's token, or WhatsApp's media servers for a QR number, decrypted and checked — and stores the bytes once
 * (a retry of a stored file changes nothing). The thread's followers are told when it lands.
 */
export const createMediaStore = ({
  db,
  queue,
  fetcher,
  live,
  maxBytes,
}: {
  db: Kysely<InboxTables>
  queue: Queue
  fetcher: {
    fetch(channelId: string, source: MediaSource, maxBytes: number): Promise<{ data: Buffer; mime: string | null }>
  }
  live: InboxLive
  maxBytes: number
}) => {
  const capOf = (kind: MediaKind) => Math.min(MEDIA_CAPS[kind] ?? MEDIA_CAPS.document, maxBytes)

  const fetchJob = defineJob({
    name: 'inbox.fetch-media',
    payload: z.object({ messageId: z.string().min(1).max(64) }),
    retryLimit: MEDIA_ATTEMPTS,
    retryDelaySeconds: 20,
    handler: async ({ messageId }) => {
      await fetchOne(messageId)
    },
  })

  const end = async (
    messageId: string,
    state: MediaState,
    error: { code: string; message: string },
    bytes?: number | null,
  ) => {
    await db
      .updateTable('inboxMedia')
      .set({ state, error: JSON.stringify(error), ...(bytes ? { bytes } : {}) })
      .where('messageId', '=', messageId)
      .where('state', '=', 'pending')
      .execute()
  }

  /** Fetches one pending file and stores it; throws (so the job retries) while a retry may still succeed. */
  const fetchOne = async (messageId: string) => {
    const row = await db
      .updateTable('inboxMedia')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('messageId', '=', messageId)
      .where('state', '=', 'pending')
      .returning(['channelId', 'clientId', 'source', 'mime', 'attempts'])
      .executeTakeFirst()
    if (!row) return
    const message = await db
      .selectFrom('inboxMessages')
      .select(['threadId', 'content'])
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow()
    const kind = message.content.type === 'media' ? message.content.media : 'document'
    try {
      const { data, mime } = await fetcher.fetch(row.channelId, row.source, capOf(kind))
      await db
        .updateTable('inboxMedia')
        .set({
          state: 'stored',
          data,
          bytes: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
          mime: mime ? cleanMime(mime) : row.mime,
          error: null,
          storedAt: new Date(),
        })
        .where('messageId', '=', messageId)
        .where('state', '=', 'pending')
        .execute()
    } catch (err) {
      const failure =
        err instanceof MediaFailure
          ? err
          : new MediaFailure('retry_later', 'inbox.media_error', err instanceof Error ? err.message : String(err))
      if (failure.kind === 'retry_later' && row.attempts < MEDIA_ATTEMPTS) throw failure
      await end(
        messageId,
        failure.kind === 'too_large' ? 'too_large' : 'failed',
        { code: failure.code, message: failure.message.slice(0, 500) },
        failure.bytes,
      )
    }
    live.publish(row.clientId, [message.threadId])
  }

  return {
    jobs: [fetchJob],
    fetchOne,

    /** In the transaction that stored the messages: a row per media message, and the job that fetches its file. */
    async track(h: Handle, channel: ChannelRef, received: ReceivedMedia[]) {
      const trx = own<InboxTables>(h)
      for (const m of received) {
        const declared = m.content.bytes ?? null
        const tooLarge = declared !== null && declared > capOf(m.content.media)
        const state: MediaState = !m.source ? 'failed' : tooLarge ? 'too_large' : 'pending'
        await trx
          .insertInto('inboxMedia')
          .values({
            messageId: m.messageId,
            workspaceId: channel.workspaceId,
            clientId: channel.clientId,
            channelId: channel.id,
            state,
            mime: cleanMime(m.content.mime),
            bytes: declared,
            source: JSON.stringify(m.source ?? {}),
            error:
              state === 'failed'
                ? JSON.stringify({ code: 'inbox.media_unavailable', message: 'The message names no file to fetch.' })
                : state === 'too_large'
                  ? JSON.stringify({
                      code: 'inbox.media_too_large',
                      message: 'The file is larger than Camarad stores.',
                    })
                  : null,
          })
          .onConflict((oc) => oc.doNothing())
          .execute()
        if (state === 'pending')
          await queue.enqueue(h, fetchJob, { messageId: m.messageId }, { singletonKey: m.messageId })
      }
    },

    /** The client a media file belongs to (for the route's scope), undefined when there is none. */
    clientOf: async (messageId: string) =>
      (await db.selectFrom('inboxMedia').select('clientId').where('messageId', '=', messageId).executeTakeFirst())
        ?.clientId,

    /** A stored file of the client: its bytes, type, hash and the message's file name (409 when not stored). */
    async file(clientId: string, messageId: string) {
      const row = await db
        .selectFrom('inboxMedia')
        .innerJoin('inboxMessages', 'inboxMessages.id', 'inboxMedia.messageId')
        .select([
          'inboxMedia.state',
          'inboxMedia.mime',
          'inboxMedia.data',
          'inboxMedia.sha256',
          'inboxMessages.content',
        ])
        .where('inboxMedia.clientId', '=', clientId)
        .where('inboxMedia.messageId', '=', messageId)
        .executeTakeFirst()
      if (!row) throw inboxErrors.media_not_found()
      if (row.state !== 'stored' || !row.data) throw inboxErrors.media_not_stored()
      const content = row.content
      return {
        data: Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength),
        mime: row.mime,
        sha256: row.sha256 ?? '',
        fileName: content.type === 'media' ? (content.fileName ?? null) : null,
        kind: content.type === 'media' ? content.media : 'document',
      }
    },
  }
}
export type MediaStore = ReturnType<typeof createMediaStore>
