import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam } from '../../../../contracts/common.ts'
import {
  FlowRunDto,
  FlowRunPage,
  FlowRunTrace,
  ManualRunStart,
  RunStarted,
  RunsQuery,
} from '../../../../contracts/flows.ts'
import type { Role } from '../../../platform/db/columns.ts'
import { errorResponses, requestMeta } from '../../../platform/http/route-helpers.ts'
import { lastEventId, type RunStreams } from '../../../platform/runs/run-stream.ts'
import type { ScopeResolver } from '../../tenancy/tenancy.module.ts'
import type { DefinitionsService } from '../definitions.service.ts'
import { flowsErrors } from '../flows.errors.ts'
import type { RunsService } from './runs.service.ts'
import { traceMarkdown } from './trace-markdown.ts'

const Markdown = z.string().meta({ description: 'text/markdown' })
const EventStream = z.string().meta({
  description:
    'text/event-stream: `run`, `step-started`, `step-log`, `step-completed`, `step-failed`, `step-retrying`, ' +
    '`step-waiting`, `respond`, `done`; `id:` is the sequence number for Last-Event-ID',
})

/** Runs: start by hand, list (per flow, per client), the trace, its export, live events, cancel. */
export const runRoutes =
  ({
    runs,
    definitions,
    scope,
    streams,
  }: {
    runs: RunsService
    definitions: DefinitionsService
    scope: ScopeResolver
    streams: RunStreams
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const flowScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await definitions.flowOf(id), flowsErrors.not_found)
    const runScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await runs.clientOf(id), flowsErrors.run_not_found)

    app.post(
      '/api/flows/:id/runs',
      {
        schema: {
          tags: ['flows'],
          summary: 'Run the published version by hand (members), or test the draft (`draft: true`, admins)',
          params: IdParam,
          body: ManualRunStart,
          response: { 202: RunStarted, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply
          .code(202)
          .send(await runs.startManual(await flowScope(req, req.params.id, 'member'), req.params.id, req.body)),
    )

    app.get(
      '/api/flows/:id/runs',
      {
        schema: {
          tags: ['flows'],
          summary: "A flow's runs, newest first",
          params: IdParam,
          querystring: RunsQuery.omit({ flowId: true }),
          response: { 200: FlowRunPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => runs.list(await flowScope(req, req.params.id, 'viewer'), { ...req.query, flowId: req.params.id }),
    )

    app.get(
      '/api/flows/runs',
      {
        schema: {
          tags: ['flows'],
          summary: "The client's flow runs, newest first, filtered by status, trigger or flow (X-Client-ID)",
          querystring: RunsQuery,
          response: { 200: FlowRunPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => runs.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.get(
      '/api/flows/runs/:id',
      {
        schema: {
          tags: ['flows'],
          summary: "A run's whole trace: every step's input, output, error, attempts, duration and credits",
          params: IdParam,
          response: { 200: FlowRunTrace, ...errorResponses(401, 404) },
        },
      },
      async (req) => runs.trace(await runScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.get(
      '/api/flows/runs/:id/export',
      {
        schema: {
          tags: ['flows'],
          summary: 'The trace as a JSON file',
          params: IdParam,
          response: { 200: FlowRunTrace, ...errorResponses(401, 404) },
        },
      },
      async (req, reply) => {
        const trace = await runs.trace(await runScope(req, req.params.id, 'viewer'), req.params.id)
        return reply.header('content-disposition', `attachment; filename="${req.params.id}.json"`).send(trace)
      },
    )

    app.get(
      '/api/flows/runs/:id/trace.md',
      {
        schema: {
          tags: ['flows'],
          summary:
            "The trace as a Markdown file: the flow and version, the run's status and times, each step's status, " +
            "duration, input and output (truncated) and errors, a Boardroom step's turns, decisions and action items",
          params: IdParam,
          response: { 200: Markdown, ...errorResponses(401, 404) },
        },
      },
      async (req, reply) => {
        const trace = await runs.trace(await runScope(req, req.params.id, 'viewer'), req.params.id)
        return reply
          .headers({
            'content-type': 'text/markdown; charset=utf-8',
            'content-disposition': `attachment; filename="${req.params.id}.md"`,
            'cache-control': 'no-store',
          })
          .send(traceMarkdown(trace))
      },
    )

    app.get(
      '/api/flows/runs/:id/events',
      {
        schema: {
          tags: ['flows'],
          summary: "A run's step events as they happen, from Last-Event-ID (or ?after=)",
          params: IdParam,
          querystring: z.strictObject({ after: z.coerce.number().int().min(0).optional() }),
          response: { 200: EventStream, ...errorResponses(401, 404, 429) },
        },
      },
      async (req, reply) => {
        const s = await runScope(req, req.params.id, 'viewer')
        await streams.serve(req, reply, s.userId, async () => ({
          runId: req.params.id,
          afterSeq: lastEventId(req, req.query.after),
        }))
      },
    )

    app.post(
      '/api/flows/runs/:id/cancel',
      {
        schema: {
          tags: ['flows'],
          summary: 'Stop a run: steps done stay done, open steps are cancelled (members)',
          params: IdParam,
          response: { 200: FlowRunDto, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (req) => runs.cancel(await runScope(req, req.params.id, 'member'), req.params.id, requestMeta(req)),
    )
  }
