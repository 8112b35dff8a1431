import { createHash } from 'node:crypto'
import type { FeatureGate } from '../features/features.module.ts'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import { own, type Handle } from '../../platform/db/database.ts'
import { AppError } from '../../platform/http/errors.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import { defineJob, type Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { AutoReplySetting } from '../channels/auto-reply.ts'
import { inboxErrors } from './inbox.errors.ts'
import type { InboundEvent } from './inbox.service.ts'
import type { InboxTables } from './inbox.tables.ts'
import type { Outbox } from './outbox.ts'
import type { Suggester } from './suggest.ts'
import type { MemberCheck } from './triage.ts'

/** The channels module's public face for a number's auto-reply (the inbox never reads the channels table). */
export type AutoReplyDirectory = { of(channelId: string, h?: Handle): Promise<AutoReplySetting | undefined> }

/** A backstop for the reply started after the commit: it finds the reply queued, or drafts it if that process died. */
const BACKSTOP_MS = 60_000

const Reply = z.object({
  workspaceId: z.string(),
  clientId: z.string(),
  channelId: z.string(),
  threadId: z.string(),
  messageId: z.string(),
})
type Reply = z.infer<typeof Reply>

/** `auto_` + 40 characters of the inbound message id's sha256: one reply per message, whoever retries. */
export const autoReplyIdOf = (messageId: string) =>
  `auto_${createHash('sha256').update(`auto-reply:${messageId}`).digest('base64url').slice(0, 40)}`

/** Thrown inside the queueing transaction when a person took the thread over while the reply was being drafted. */
class TakenOver extends Error {}

export type AutoReplyOutcome = 'off' | 'paused' | 'queued' | 'replied_before' | 'superseded' | 'skipped'

/**
 * Auto-reply (issue 13 §7). A number whose setting is on answers each message a contact writes (not our echo, not
 * history) with a reply drafted by its agent through the suggester — metered like a suggestion, request id
 * `suggest:auto:<message id>` — and queued through the outbox under a `clientMessageId` derived from the message id,
 * so a retried job or a second process queues nothing twice. A job is enqueued in the transaction that stores the
 * message (its backstop) and the reply is started in this process after the commit.
 *
 * Sent as the number's creator: the outbox, the plan's message count and the ledger need a real user, and the creator
 * is the admin who connected the number. If they left the workspace, nothing is sent (audited) until an admin adds
 * the number again or turns auto-reply off.
 *
 * Human takeover: a person sending in a thread pauses auto-reply there (in the transaction that queues their message,
 * under the thread's row lock); the auto reply checks the pause under the same lock right before it is queued, so a
 * reply drafted while a person took over is dropped. Members pause and resume it explicitly.
 */
export const createAutoReplier = ({
  db,
  queue,
  settings,
  suggester,
  outbox,
  audit,
  memberOf,
  features,
  log = (m: string, err?: unknown) => console.error(`[inbox] ${m}`, err ?? ''),
}: {
  db: Kysely<InboxTables>
  queue: Queue
  settings: AutoReplyDirectory
  suggester: Pick<Suggester, 'suggest'>
  outbox: Pick<Outbox, 'send'>
  audit: AuditService
  memberOf: MemberCheck
  /** The operator may switch auto-reply off for a workspace: its numbers then reply no more (each skip audited). */
  features: Pick<FeatureGate, 'enabled'>
  log?: (m: string, err?: unknown) => void
}) => {
  const job = defineJob({
    name: 'inbox.auto-reply',
    payload: Reply,
    retryLimit: 3,
    retryDelaySeconds: 15,
    handler: async (r) => {
      await reply(r)
    },
  })
  const inflight = new Set<Promise<unknown>>()

  const pausedAt = async (trx: Kysely<InboxTables>, threadId: string, lock = false) => {
    const q = trx.selectFrom('inboxThreads').select('autoReplyPausedAt').where('id', '=', threadId)
    return (await (lock ? q.forUpdate() : q).executeTakeFirst())?.autoReplyPausedAt ?? null
  }

  /** Something a person should look at: the message stays unread and the audit log says why no reply went out. */
  const skipped = (r: Reply, reason: string) =>
    audit.record(db, {
      action: 'inbox.auto_reply_skipped',
      workspaceId: r.workspaceId,
      actorUserId: null,
      targetType: 'inbox_thread',
      targetId: r.threadId,
      metadata: { clientId: r.clientId, channelId: r.channelId, messageId: r.messageId, reason },
    })

  /**
   * The reply's text: the draft kept for this message, or a new one (metered once under the message's request id),
   * kept before it is queued so a retry after a failed queueing sends it rather than nothing. Undefined: another run
   * is drafting it now (its request id is taken and nothing is kept yet); null: skipped (audited).
   */
  async function draftFor(r: Reply, agentId: string | null, scope: ClientScope) {
    const kept = async () =>
      (
        await db
          .selectFrom('inboxAutoReplyDrafts')
          .select('text')
          .where('messageId', '=', r.messageId)
          .executeTakeFirst()
      )?.text
    const before = await kept()
    if (before !== undefined) return before
    try {
      const draft = await suggester.suggest(scope, r.threadId, agentId ? { agentId } : {}, {
        requestId: `auto:${r.messageId}`,
        tokenId: null,
      })
      await db
        .insertInto('inboxAutoReplyDrafts')
        .values({ messageId: r.messageId, text: draft.text })
        .onConflict((oc) => oc.doNothing())
        .execute()
      return (await kept()) ?? draft.text
    } catch (err) {
      // A draft already made under this message's request id (its credits spent) is not made again: its text is kept
      // once that run finishes, and that run queues it.
      if (err instanceof AppError && err.code === 'request.not_replayable') return (await kept()) ?? undefined
      if (err instanceof AppError && err.status < 500) {
        await skipped(r, err.code)
        return null
      }
      throw err
    }
  }

  /** Drafts and queues the reply to one inbound message, at most once whatever runs it again. */
  async function reply(r: Reply): Promise<AutoReplyOutcome> {
    const setting = await settings.of(r.channelId)
    if (!setting?.enabled || setting.clientId !== r.clientId) return 'off'
    if (await pausedAt(db, r.threadId)) return 'paused'
    const clientMessageId = autoReplyIdOf(r.messageId)
    const before = await db
      .selectFrom('inboxMessages')
      .select('id')
      .where('threadId', '=', r.threadId)
      .where('clientMessageId', '=', clientMessageId)
      .executeTakeFirst()
    if (before) return 'replied_before'
    // A later message of the contact has its own reply coming, which reads this one too: one answer, not two.
    const later = await db
      .selectFrom('inboxMessages as later')
      .innerJoin('inboxMessages as m', 'm.threadId', 'later.threadId')
      .select('later.id')
      .where('m.id', '=', r.messageId)
      .where('later.direction', '=', 'in')
      .where('later.at', '>', (eb) => eb.ref('m.at'))
      .limit(1)
      .executeTakeFirst()
    if (later) return 'superseded'
    if (!(await features.enabled(r.workspaceId, 'auto_reply'))) {
      await skipped(r, 'features.disabled')
      return 'skipped'
    }
    if (!(await memberOf(db, r.workspaceId, setting.createdBy))) {
      await skipped(r, 'sender_not_member')
      return 'skipped'
    }
    const scope: ClientScope = {
      userId: setting.createdBy,
      workspaceId: r.workspaceId,
      clientId: r.clientId,
      role: 'member',
    }
    const text = await draftFor(r, setting.agentId, scope)
    if (text === undefined) return 'replied_before'
    if (text === null) return 'skipped'
    if (!text) {
      await skipped(r, 'empty_draft')
      return 'skipped'
    }
    try {
      await outbox.send(
        scope,
        r.threadId,
        { text: text.slice(0, 4096), clientMessageId },
        {
          within: async (trx) => {
            if (await pausedAt(trx, r.threadId, true)) throw new TakenOver()
          },
        },
      )
      return 'queued'
    } catch (err) {
      if (err instanceof TakenOver) return 'paused'
      if (err instanceof AppError && err.status < 500) {
        await skipped(r, err.code)
        return 'skipped'
      }
      throw err
    }
  }

  return {
    jobs: [job],
    reply,
    /**
     * The inbox's inbound subscriber: in the storing transaction, one job per message on a number whose auto-reply is
     * on and whose thread is not paused; after the commit, the replies start here.
     */
    async received(h: Handle, events: InboundEvent[]): Promise<() => void> {
      const trx = own<InboxTables>(h)
      const due: Reply[] = []
      const seen = new Map<string, AutoReplySetting | undefined>()
      for (const e of events) {
        if (!seen.has(e.channelId)) seen.set(e.channelId, await settings.of(e.channelId, h))
        if (!seen.get(e.channelId)?.enabled) continue
        if (await pausedAt(trx, e.threadId)) continue
        const r = {
          workspaceId: e.workspaceId,
          clientId: e.clientId,
          channelId: e.channelId,
          threadId: e.threadId,
          messageId: e.message.id,
        }
        await queue.enqueue(h, job, r, {
          startAfter: new Date(Date.now() + BACKSTOP_MS),
          singletonKey: `auto-reply:${e.message.id}`,
        })
        due.push(r)
      }
      return () => {
        for (const r of due) {
          const started = reply(r)
            .catch((err: unknown) => log(`auto-reply to ${r.messageId}`, err))
            .finally(() => inflight.delete(started))
          inflight.add(started)
        }
      }
    },

    /** A person sent by hand: in their message's transaction, the thread's auto-reply pauses (if its number has one). */
    async takeOver(trx: Kysely<InboxTables>, threadId: string) {
      const thread = await trx
        .selectFrom('inboxThreads')
        .select('channelId')
        .where('id', '=', threadId)
        .forUpdate()
        .executeTakeFirst()
      if (!thread || !(await settings.of(thread.channelId, trx))?.enabled) return
      await trx
        .updateTable('inboxThreads')
        .set({ autoReplyPausedAt: new Date() })
        .where('id', '=', threadId)
        .where('autoReplyPausedAt', 'is', null)
        .execute()
    },

    /** Pauses or resumes auto-reply on a thread (members; audited when it changes). */
    async setPaused(scope: ClientScope, threadId: string, paused: boolean, meta: RequestMeta) {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('inboxThreads')
          .set({ autoReplyPausedAt: paused ? new Date() : null })
          .where('workspaceId', '=', scope.workspaceId)
          .where('clientId', '=', scope.clientId)
          .where('id', '=', threadId)
          .where('autoReplyPausedAt', paused ? 'is' : 'is not', null)
          .returning('id')
          .executeTakeFirst()
        if (!row) {
          const exists = await trx
            .selectFrom('inboxThreads')
            .select('id')
            .where('workspaceId', '=', scope.workspaceId)
            .where('clientId', '=', scope.clientId)
            .where('id', '=', threadId)
            .executeTakeFirst()
          if (!exists) throw inboxErrors.thread_not_found()
          return
        }
        await audit.record(trx, {
          action: paused ? 'inbox.auto_reply_paused' : 'inbox.auto_reply_resumed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          ip: meta.ip,
          targetType: 'inbox_thread',
          targetId: threadId,
          metadata: { clientId: scope.clientId },
        })
      })
    },

    /** Resolves once the replies this process started after a commit are done (shutdown, tests). */
    idle: async () => {
      while (inflight.size) await Promise.allSettled([...inflight])
    },
  }
}
export type AutoReplier = ReturnType<typeof createAutoReplier>
