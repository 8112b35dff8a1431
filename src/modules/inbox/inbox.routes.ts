import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import {
  InboxMessageDto,
  InboxMessagePage,
  InboxNoteDto,
  InboxNotePage,
  NoteCreate,
  SendMessage,
  SuggestedReplyDto,
  SuggestRequest,
  ThreadAutoReplyBody,
  ThreadDto,
  ThreadListQuery,
  ThreadPage,
  ThreadUpdate,
} from '../../../contracts/inbox.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { inboxErrors } from './inbox.errors.ts'
import { messageDto, type InboxService } from './inbox.service.ts'
import type { AutoReplier } from './auto-reply.ts'
import type { InboxLive } from './live.ts'
import type { Outbox } from './outbox.ts'
import type { Suggester } from './suggest.ts'
import type { Triage } from './triage.ts'
import type { RunStreams } from '../../platform/runs/run-stream.ts'

export const inboxRoutes =
  ({
    inbox,
    outbox,
    triage,
    suggester,
    autoReply,
    live,
    streams,
    scope,
  }: {
    inbox: InboxService
    outbox: Outbox
    triage: Triage
    suggester: Suggester
    autoReply: Pick<AutoReplier, 'takeOver' | 'setPaused'>
    live: InboxLive
    streams: RunStreams
    scope: ScopeResolver
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const threadScope = async (req: Parameters<ScopeResolver['owner']>[0], id: string, role: 'viewer' | 'member') =>
      scope.owner(req, role, await inbox.clientOfThread(id), inboxErrors.thread_not_found)

    app.get(
      '/api/inbox/threads',
      {
        schema: {
          tags: ['inbox'],
          summary:
            "The client's WhatsApp conversations, latest activity first (X-Client-ID), optionally narrowed: `q` " +
            "(contact name, phone or WhatsApp id, or a message's text), `assigned` (me, none or a user id), " +
            '`unread=true`, `label`, `channelId`',
          querystring: ThreadListQuery,
          response: { 200: ThreadPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => inbox.threads(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.get(
      '/api/inbox/events',
      {
        schema: {
          tags: ['inbox'],
          summary:
            "The client's inbox, live (X-Client-ID): text/event-stream of `ready`, then `change` ({ threadIds } or " +
            '{ all: true }: read those threads again) as messages and statuses arrive, and `resync` (read everything)',
          response: {
            200: z.string().meta({ description: 'text/event-stream: `ready`, `change`, `resync`' }),
            ...errorResponses(400, 401, 404, 429),
          },
        },
      },
      async (req, reply) => {
        const s = await scope.clientFromHeader(req, 'viewer')
        await streams.live(reply, s.userId, (send, resync) =>
          live.subscribe(s.clientId, (change) => send('change', change), resync),
        )
      },
    )

    app.get(
      '/api/inbox/threads/:id',
      {
        schema: {
          tags: ['inbox'],
          summary: 'One conversation, as the list shows it (a link to a thread outside the loaded list)',
          params: IdParam,
          response: { 200: ThreadDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => inbox.getThread(await threadScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.get(
      '/api/inbox/threads/:id/messages',
      {
        schema: {
          tags: ['inbox'],
          summary: "A conversation's messages, newest first",
          params: IdParam,
          querystring: PageQuery,
          response: { 200: InboxMessagePage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => inbox.messages(await threadScope(req, req.params.id, 'viewer'), req.params.id, req.query),
    )

    app.post(
      '/api/inbox/threads/:id/messages',
      {
        schema: {
          tags: ['inbox'],
          summary:
            "Send a text in a conversation: queued and sent by the outbox (members; the plan's inbox messages a month). " +
            'Sending again with the same clientMessageId answers the same message (200). A person writing takes the ' +
            "conversation over: its number's auto-reply pauses here",
          params: IdParam,
          body: SendMessage,
          response: { 200: InboxMessageDto, 201: InboxMessageDto, ...errorResponses(400, 401, 402, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        const s = await threadScope(req, req.params.id, 'member')
        const { message, created } = await outbox.send(s, req.params.id, req.body, {
          within: (trx) => autoReply.takeOver(trx, req.params.id),
        })
        return reply.code(created ? 201 : 200).send(messageDto(message))
      },
    )

    app.post(
      '/api/inbox/threads/:id/read',
      {
        schema: {
          tags: ['inbox'],
          summary: 'Mark a conversation read (members)',
          params: IdParam,
          response: { 204: z.null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        await inbox.markRead(await threadScope(req, req.params.id, 'member'), req.params.id)
        return reply.code(204).send(null)
      },
    )

    app.patch(
      '/api/inbox/threads/:id',
      {
        schema: {
          tags: ['inbox'],
          summary:
            'Assign a conversation (to a member of the workspace, or null) and set its labels (trimmed, 1–32 ' +
            'characters, at most 20; they replace the ones it had) (members)',
          params: IdParam,
          body: ThreadUpdate,
          response: { 200: ThreadDto, ...errorResponses(400, 401, 403, 404, 422) },
        },
      },
      async (req) =>
        triage.update(await threadScope(req, req.params.id, 'member'), req.params.id, req.body, requestMeta(req)),
    )

    app.get(
      '/api/inbox/threads/:id/notes',
      {
        schema: {
          tags: ['inbox'],
          summary: "A conversation's internal notes, newest first (never sent to the contact)",
          params: IdParam,
          querystring: PageQuery,
          response: { 200: InboxNotePage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => triage.notes(await threadScope(req, req.params.id, 'viewer'), req.params.id, req.query),
    )

    app.post(
      '/api/inbox/threads/:id/notes',
      {
        schema: {
          tags: ['inbox'],
          summary: 'Add an internal note to a conversation (members): kept for good, never sent to the contact',
          params: IdParam,
          body: NoteCreate,
          response: { 201: InboxNoteDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await triage.addNote(await threadScope(req, req.params.id, 'member'), req.params.id, req.body.body)),
    )

    app.post(
      '/api/inbox/threads/:id/suggest',
      {
        schema: {
          tags: ['inbox'],
          summary:
            "A reply drafted by an agent of the client (the customer-support agent by default) from the conversation's " +
            'latest messages (members; metered like chat). Nothing is sent or stored: the composer shows the text',
          params: IdParam,
          body: SuggestRequest,
          response: { 200: SuggestedReplyDto, ...errorResponses(400, 401, 402, 403, 404, 409, 429, 502, 503, 504) },
        },
      },
      async (req) =>
        suggester.suggest(await threadScope(req, req.params.id, 'member'), req.params.id, req.body, {
          requestId: req.id,
          tokenId: req.auth?.via === 'token' ? req.auth.tokenId : null,
        }),
    )

    app.post(
      '/api/inbox/threads/:id/auto-reply',
      {
        schema: {
          tags: ['inbox'],
          summary:
            "Pause or resume the number's auto-reply in this conversation (members; audited). A person sending a " +
            'message pauses it by itself',
          params: IdParam,
          body: ThreadAutoReplyBody,
          response: { 200: ThreadDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const s = await threadScope(req, req.params.id, 'member')
        await autoReply.setPaused(s, req.params.id, req.body.paused, requestMeta(req))
        return inbox.getThread(s, req.params.id)
      },
    )
  }
