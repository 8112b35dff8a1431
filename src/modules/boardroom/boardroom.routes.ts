import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { MeetingCreate, MeetingDto } from '../../../contracts/boardroom.ts'
import { IdParam, Timestamp } from '../../../contracts/common.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import { lastEventId, type RunStreams } from '../../platform/runs/run-stream.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { boardroomErrors } from './boardroom.errors.ts'
import type { BoardroomService } from './boardroom.service.ts'

const MeetingSummary = z.object({
  id: z.string(),
  topic: z.string(),
  agentIds: z.array(z.string()),
  status: z.enum(['running', 'completed', 'cancelled', 'failed']),
  createdAt: Timestamp,
})
const EventStream = z.string().meta({
  description: 'text/event-stream: `turn`, `delta`, `turn-end`, `done`; `id:` is the sequence number for Last-Event-ID',
})

export const boardroomRoutes =
  ({ boardroom, scope, streams }: { boardroom: BoardroomService; scope: ScopeResolver; streams: RunStreams }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const meetingScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await boardroom.clientOf(id), boardroomErrors.meeting_not_found)

    app.post(
      '/api/boardroom/meetings',
      {
        schema: {
          tags: ['boardroom'],
          summary: 'Start a meeting of 2–5 agents on a topic (X-Client-ID; members); follow it on /stream',
          body: MeetingCreate,
          response: { 201: MeetingDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await boardroom.start(await scope.clientFromHeader(req, 'member'), req.body, req.id)),
    )

    app.get(
      '/api/boardroom/meetings',
      {
        schema: {
          tags: ['boardroom'],
          summary: "The client's meetings, newest first (X-Client-ID)",
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(30) }),
          response: { 200: z.object({ items: z.array(MeetingSummary) }), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => ({ items: await boardroom.list(await scope.clientFromHeader(req, 'viewer'), req.query.limit) }),
    )

    app.get(
      '/api/boardroom/meetings/:id',
      {
        schema: {
          tags: ['boardroom'],
          summary: 'A meeting with its turns and summary',
          params: IdParam,
          response: { 200: MeetingDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => boardroom.get(await meetingScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.get(
      '/api/boardroom/meetings/:id/stream',
      {
        schema: {
          tags: ['boardroom'],
          summary: 'Follow a meeting live, from Last-Event-ID (or ?after=)',
          params: IdParam,
          querystring: z.strictObject({ after: z.coerce.number().int().min(0).optional() }),
          response: { 200: EventStream, ...errorResponses(401, 404, 429) },
        },
      },
      async (req, reply) => {
        const s = await meetingScope(req, req.params.id, 'viewer')
        // A meeting's run has the meeting's id.
        await streams.serve(req, reply, s.userId, async () => ({
          runId: req.params.id,
          afterSeq: lastEventId(req, req.query.after),
        }))
      },
    )

    app.post(
      '/api/boardroom/meetings/:id/cancel',
      {
        schema: {
          tags: ['boardroom'],
          summary: 'End a running meeting; what was said is kept (members)',
          params: IdParam,
          response: { 200: z.object({ cancelled: z.boolean() }), ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => boardroom.cancel(await meetingScope(req, req.params.id, 'member'), req.params.id),
    )
  }
