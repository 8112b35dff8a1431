import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import {
  FlowCreate,
  FlowDraftUpdate,
  FlowDto,
  FlowExport,
  FlowPage,
  FlowState,
  GraphCheck,
  GraphCheckResult,
  NodeTypeDto,
  SchedulePreview,
  SchedulePreviewQuery,
} from '../../../contracts/flows.ts'
import { previewSchedule } from '../../platform/queue/queue.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { DefinitionsService } from './definitions.service.ts'
import { flowsErrors } from './flows.errors.ts'

const FlowListQuery = PageQuery.extend({
  state: FlowState.optional().meta({ description: 'Only flows in this state; archived flows are listed only so' }),
})

/** Flow definitions: the list and the draft, versions by publishing, the lifecycle, JSON export and import. */
export const definitionRoutes =
  ({ definitions, scope }: { definitions: DefinitionsService; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    /** The flow's own client decides access: an unknown flow, or one of another client, is "not found". */
    const flowScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await definitions.flowOf(id), flowsErrors.not_found)

    app.get(
      '/api/flows',
      {
        schema: {
          tags: ['flows'],
          summary: "The client's flows, newest first (X-Client-ID)",
          querystring: FlowListQuery,
          response: { 200: FlowPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => definitions.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.post(
      '/api/flows',
      {
        schema: {
          tags: ['flows'],
          summary: 'Create a flow; without a graph it starts with a manual trigger (X-Client-ID; admins)',
          body: FlowCreate,
          response: { 201: FlowDto, ...errorResponses(400, 401, 402, 403, 404) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await definitions.create(await scope.clientFromHeader(req, 'admin'), req.body, requestMeta(req))),
    )

    app.post(
      '/api/flows/import',
      {
        schema: {
          tags: ['flows'],
          summary: 'Create a flow from an export (X-Client-ID; admins)',
          body: FlowExport,
          response: { 201: FlowDto, ...errorResponses(400, 401, 402, 403, 404) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await definitions.import(await scope.clientFromHeader(req, 'admin'), req.body, requestMeta(req))),
    )

    app.post(
      '/api/flows/validate',
      {
        schema: {
          tags: ['flows'],
          summary: 'Every issue of a graph, as publishing would find them (X-Client-ID or X-Workspace-ID)',
          body: GraphCheck,
          response: { 200: GraphCheckResult, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => {
        await scope.workspaceOrClient(req, 'viewer')
        return definitions.validate(req.body.graph)
      },
    )

    app.get(
      '/api/flows/node-types',
      {
        schema: {
          tags: ['flows'],
          summary: 'The node types a flow may use: config JSON Schema, ports, effect (X-Client-ID or X-Workspace-ID)',
          response: { 200: z.array(NodeTypeDto), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => {
        await scope.workspaceOrClient(req, 'viewer')
        return definitions.nodeTypes()
      },
    )

    app.get(
      '/api/flows/schedule-preview',
      {
        schema: {
          tags: ['flows'],
          summary:
            "A schedule's next occurrences in its time zone, as the scheduler fires them (X-Client-ID or X-Workspace-ID)",
          querystring: SchedulePreviewQuery,
          response: { 200: SchedulePreview, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => {
        await scope.workspaceOrClient(req, 'viewer')
        try {
          const next = previewSchedule(req.query.cron, { tz: req.query.timezone, count: req.query.count })
          return { next: next.map((d) => d.toISOString()) }
        } catch (err) {
          throw flowsErrors.schedule_invalid({ message: err instanceof Error ? err.message : String(err) })
        }
      },
    )

    app.get(
      '/api/flows/:id',
      {
        schema: {
          tags: ['flows'],
          summary: 'A flow with its draft and published version',
          params: IdParam,
          response: { 200: FlowDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => definitions.get(await flowScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.put(
      '/api/flows/:id',
      {
        schema: {
          tags: ['flows'],
          summary: 'Save the draft from the revision it was read at (admins; 409 flows.stale_draft when stale)',
          params: IdParam,
          body: FlowDraftUpdate,
          response: { 200: FlowDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => definitions.update(await flowScope(req, req.params.id, 'admin'), req.params.id, req.body),
    )

    app.post(
      '/api/flows/:id/publish',
      {
        schema: {
          tags: ['flows'],
          summary: 'Freeze the draft into a new immutable version (admins; 400 flows.invalid_graph with the issues)',
          params: IdParam,
          response: { 200: FlowDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => definitions.publish(await flowScope(req, req.params.id, 'admin'), req.params.id, requestMeta(req)),
    )

    const lifecycle = [
      ['pause', 'Stop the triggers of a flow (admins)'],
      ['resume', 'Start the triggers of a paused flow again (admins)'],
      ['archive', 'Archive a flow: it frees a plan slot and runs no more (admins)'],
      ['restore', 'Bring an archived flow back, paused (admins; takes a plan slot)'],
    ] as const
    for (const [action, summary] of lifecycle)
      app.post(
        `/api/flows/:id/${action}`,
        {
          schema: {
            tags: ['flows'],
            summary,
            params: IdParam,
            response: { 200: FlowDto, ...errorResponses(401, 402, 403, 404, 409) },
          },
        },
        async (req) =>
          definitions[action](await flowScope(req, req.params.id, 'admin'), req.params.id, requestMeta(req)),
      )

    app.get(
      '/api/flows/:id/export',
      {
        schema: {
          tags: ['flows'],
          summary: 'The draft as JSON, to import into another client or server',
          params: IdParam,
          response: { 200: FlowExport, ...errorResponses(401, 404) },
        },
      },
      async (req) => definitions.export(await flowScope(req, req.params.id, 'viewer'), req.params.id),
    )
  }
