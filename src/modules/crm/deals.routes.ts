import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam } from '../../../contracts/common.ts'
import {
  DealCreate,
  DealDto,
  DealHistory,
  DealListQuery,
  DealPage,
  DealPatch,
  PipelineCreate,
  PipelineDto,
  PipelinePatch,
  StageAdd,
} from '../../../contracts/crm.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { crmErrors } from './crm.errors.ts'
import type { Deals } from './deals.ts'
import type { Pipelines } from './pipelines.ts'

const tags = ['crm']

export const dealRoutes =
  ({ pipelines, deals, scope }: { pipelines: Pipelines; deals: Deals; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const pipelineScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await pipelines.clientOf(id), crmErrors.pipeline_not_found)
    const dealScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await deals.clientOf(id), crmErrors.deal_not_found)

    app.get(
      '/api/crm/pipelines',
      {
        schema: {
          tags,
          summary:
            "The client's pipelines with their stages, the default first (X-Client-ID). The default pipeline (New, " +
            'Qualified, Proposal, Won, Lost) is created on first use',
          response: { 200: z.object({ items: z.array(PipelineDto) }), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => pipelines.list(await scope.clientFromHeader(req, 'viewer')),
    )

    app.post(
      '/api/crm/pipelines',
      {
        schema: {
          tags,
          summary: 'Create a pipeline with its stages (admins; X-Client-ID). Audited',
          body: PipelineCreate,
          response: { 201: PipelineDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await pipelines.create(await scope.clientFromHeader(req, 'admin'), req.body, requestMeta(req))),
    )

    app.get(
      '/api/crm/pipelines/:id',
      {
        schema: {
          tags,
          summary: 'One pipeline with its stages in board order',
          params: IdParam,
          response: { 200: PipelineDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => pipelines.get(await pipelineScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.patch(
      '/api/crm/pipelines/:id',
      {
        schema: {
          tags,
          summary: 'Rename a pipeline (admins)',
          params: IdParam,
          body: PipelinePatch,
          response: { 200: PipelineDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => pipelines.rename(await pipelineScope(req, req.params.id, 'admin'), req.params.id, req.body.name),
    )

    app.post(
      '/api/crm/pipelines/:id/stages',
      {
        schema: {
          tags,
          summary: 'Add a stage to a pipeline at `position` (default: last; admins)',
          params: IdParam,
          body: StageAdd,
          response: { 201: PipelineDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await pipelines.addStage(await pipelineScope(req, req.params.id, 'admin'), req.params.id, req.body)),
    )

    app.get(
      '/api/crm/deals',
      {
        schema: {
          tags,
          summary: "The client's deals, newest first (X-Client-ID): filters pipelineId, stageId, contactId, status",
          querystring: DealListQuery,
          response: { 200: DealPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => deals.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.post(
      '/api/crm/deals',
      {
        schema: {
          tags,
          summary:
            "Create a deal for a live contact (members; X-Client-ID): in the client's default pipeline and its first " +
            'stage unless named; value in minor units with an ISO currency',
          body: DealCreate,
          response: { 201: DealDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await deals.create(await scope.clientFromHeader(req, 'member'), req.body)),
    )

    app.get(
      '/api/crm/deals/:id',
      {
        schema: { tags, summary: 'One deal', params: IdParam, response: { 200: DealDto, ...errorResponses(401, 404) } },
      },
      async (req) => deals.get(await dealScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.patch(
      '/api/crm/deals/:id',
      {
        schema: {
          tags,
          summary:
            'Change a deal (members): title, value, currency, kanban position, or its stage (within its pipeline; a lost ' +
            'stage needs lostReason). Every stage change is kept in its history',
          params: IdParam,
          body: DealPatch,
          response: { 200: DealDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => deals.update(await dealScope(req, req.params.id, 'member'), req.params.id, req.body),
    )

    app.get(
      '/api/crm/deals/:id/history',
      {
        schema: {
          tags,
          summary: 'The stages a deal entered, newest first (append-only)',
          params: IdParam,
          response: { 200: DealHistory, ...errorResponses(401, 404) },
        },
      },
      async (req) => deals.history(await dealScope(req, req.params.id, 'viewer'), req.params.id),
    )
  }
