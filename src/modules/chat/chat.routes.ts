import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  ConversationCreate,
  ConversationDto,
  ConversationListQuery,
  ConversationPatch,
  MessageDto,
  SendMessage,
} from '../../../contracts/chat.ts'
import { IdParam, page } from '../../../contracts/common.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { chatErrors } from './chat.errors.ts'
import type { ChatService } from './chat.service.ts'
import { lastEventId, type RunStreams } from '../../platform/runs/run-stream.ts'
import { EstimateDto, EstimateRequest } from '../../../contracts/credits.ts'
import type { CreditsService } from '../credits/credits.module.ts'

const EventStream = z.string().meta({
  description:
    'text/event-stream: `run`, `delta`, `usage`, `error`, `done` events; `id:` is the sequence number for Last-Event-ID',
})

export const chatRoutes =
  ({
    chat,
    scope,
    credits,
    streams,
  }: {
    chat: ChatService
    scope: ScopeResolver
    credits: CreditsService
    streams: RunStreams
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    const conversationScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await chat.clientOf(id), chatErrors.conversation_not_found)

    app.post(
      '/api/chat/conversations',
      {
        schema: {
          tags: ['chat'],
          summary: 'Start a conversation with an agent (X-Client-ID; members)',
          body: ConversationCreate,
          response: { 201: ConversationDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await chat.create(await scope.clientFromHeader(req, 'member'), req.body)),
    )

    app.get(
      '/api/chat/conversations',
      {
        schema: {
          tags: ['chat'],
          summary: "The client's conversations, most recent first (X-Client-ID)",
          querystring: ConversationListQuery,
          response: { 200: page(ConversationDto), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => chat.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.get(
      '/api/chat/conversations/:id',
      {
        schema: {
          tags: ['chat'],
          summary: 'A conversation',
          params: IdParam,
          response: { 200: ConversationDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => chat.get(await conversationScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.patch(
      '/api/chat/conversations/:id',
      {
        schema: {
          tags: ['chat'],
          summary: 'Rename, pin or archive a conversation (members)',
          params: IdParam,
          body: ConversationPatch,
          response: { 200: ConversationDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => chat.update(await conversationScope(req, req.params.id, 'member'), req.params.id, req.body),
    )

    app.get(
      '/api/chat/conversations/:id/messages',
      {
        schema: {
          tags: ['chat'],
          summary: 'Messages of a conversation, oldest first',
          params: IdParam,
          response: { 200: z.object({ items: z.array(MessageDto) }), ...errorResponses(401, 404) },
        },
      },
      async (req) => ({
        items: await chat.messages(await conversationScope(req, req.params.id, 'viewer'), req.params.id),
      }),
    )

    app.post(
      '/api/chat/conversations/:id/messages',
      {
        schema: {
          tags: ['chat'],
          summary: 'Ask; the answer streams back as Server-Sent Events and is saved even if you disconnect (members)',
          params: IdParam,
          body: SendMessage,
          response: { 200: EventStream, ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (req, reply) => {
        const s = await conversationScope(req, req.params.id, 'member')
        // The stream slot is taken before the answer starts: over the cap nothing is sent or charged.
        await streams.serve(req, reply, s.userId, async () => {
          const { runId } = await chat.send(s, req.params.id, req.body, {
            requestId: req.id,
            tokenId: req.auth?.via === 'token' ? req.auth.tokenId : null,
          })
          return { runId, afterSeq: 0 }
        })
      },
    )

    app.post(
      '/api/credits/estimate',
      {
        schema: {
          tags: ['credits'],
          summary: 'What sending a draft would hold, before it is sent (X-Client-ID)',
          body: EstimateRequest,
          response: { 200: EstimateDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const s = await scope.clientFromHeader(req, 'viewer')
        const est = await chat.estimate(s, req.body)
        const balance = await credits.balance(s, '')
        return {
          modelId: est.modelId,
          offline: est.offline,
          billedBy: est.billedBy,
          inputTokens: est.inputTokens,
          maxOutputTokens: est.maxOutputTokens,
          estimate: Number(est.credits),
          available: balance.available,
          sufficient: est.credits <= BigInt(balance.available),
          caps: balance.caps,
        }
      },
    )

    app.get(
      '/api/chat/conversations/:id/stream',
      {
        schema: {
          tags: ['chat'],
          summary: 'Resume the latest answer from Last-Event-ID (or ?after=), replaying what was missed',
          params: IdParam,
          querystring: z.strictObject({ after: z.coerce.number().int().min(0).optional() }),
          response: { 200: EventStream, ...errorResponses(401, 404, 429) },
        },
      },
      async (req, reply) => {
        const s = await conversationScope(req, req.params.id, 'viewer')
        await streams.serve(req, reply, s.userId, async () => {
          const run = await chat.latestRun(s, req.params.id)
          if (!run) throw chatErrors.no_run()
          return { runId: run.id, afterSeq: lastEventId(req, req.query.after) }
        })
      },
    )

    app.post(
      '/api/chat/conversations/:id/cancel',
      {
        schema: {
          tags: ['chat'],
          summary: 'Stop the answer being written; what was written is kept (members)',
          params: IdParam,
          response: { 200: z.object({ cancelled: z.boolean() }), ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => chat.cancel(await conversationScope(req, req.params.id, 'member'), req.params.id),
    )
  }
