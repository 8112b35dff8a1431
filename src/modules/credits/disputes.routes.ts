import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam, page } from '../../../contracts/common.ts'
import {
  DisputeCreate,
  DisputeDto,
  DisputeNoteCreate,
  DisputeResolve,
  DisputesQuery,
  DisputeWithdraw,
  OperatorDisputesQuery,
} from '../../../contracts/credits.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { creditsErrors } from './credits.errors.ts'
import type { DisputesService } from './disputes.service.ts'

type Deps = { disputes: DisputesService; scope: ScopeResolver; operator: OperatorGuard }

/** Disputes: members file them, workspace admins add notes or withdraw them, the operator approves or rejects. */
export const disputesRoutes =
  ({ disputes, scope, operator }: Deps) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const tags = ['credits']
    const disputeScope = async (req: FastifyRequest, id: string, role: 'viewer' | 'admin') => {
      const workspaceId = await disputes.workspaceOf(id)
      if (!workspaceId) throw creditsErrors.dispute_not_found()
      return scope.workspace(req, role, workspaceId)
    }

    app.get(
      '/api/credits/disputes',
      {
        schema: {
          tags,
          summary: 'Disputes (admins: all; others: their own)',
          querystring: DisputesQuery,
          response: { 200: page(DisputeDto), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => disputes.list(await scope.workspaceOrClient(req, 'viewer'), req.query),
    )

    app.post(
      '/api/credits/disputes',
      {
        schema: {
          tags,
          summary: 'Dispute a debit (members: their own; admins: any); once per debit; the operator decides',
          body: DisputeCreate,
          response: { 201: DisputeDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await disputes.open(await scope.workspaceOrClient(req, 'member'), req.body, requestMeta(req).ip)),
    )

    app.get(
      '/api/credits/disputes/:id',
      {
        schema: {
          tags,
          summary: 'A dispute',
          params: IdParam,
          response: { 200: DisputeDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => disputes.get(await disputeScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.post(
      '/api/credits/disputes/:id/notes',
      {
        schema: {
          tags,
          summary: 'Add a note for the operator to an open dispute (admins)',
          params: IdParam,
          body: DisputeNoteCreate,
          response: { 201: DisputeDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(
            await disputes.addNote(
              await disputeScope(req, req.params.id, 'admin'),
              req.params.id,
              req.body.note,
              requestMeta(req).ip,
            ),
          ),
    )

    app.post(
      '/api/credits/disputes/:id/withdraw',
      {
        schema: {
          tags,
          summary: 'Withdraw an open dispute (admins); the debit cannot be disputed again',
          params: IdParam,
          body: DisputeWithdraw,
          response: { 200: DisputeDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) =>
        disputes.withdraw(
          await disputeScope(req, req.params.id, 'admin'),
          req.params.id,
          req.body.note,
          requestMeta(req).ip,
        ),
    )

    // Operator API: X-Internal-Token, checked before the body is validated.
    const op = { config: { public: true }, preValidation: async (req: FastifyRequest) => operator(req) }
    const opTags = ['operator']

    app.get(
      '/api/operator/disputes',
      {
        ...op,
        schema: {
          tags: opTags,
          summary: 'Disputes of every workspace: open ones first (oldest waiting first), then the rest newest first',
          querystring: OperatorDisputesQuery,
          response: { 200: z.object({ items: z.array(DisputeDto) }), ...errorResponses(400, 401, 503) },
        },
      },
      async (req) => ({ items: await disputes.operatorQueue(req.query) }),
    )

    app.post(
      '/api/operator/disputes/:id/approve',
      {
        ...op,
        schema: {
          tags: opTags,
          summary: 'Approve a dispute: the debit is refunded once (a refund entry keyed by the dispute id)',
          params: IdParam,
          body: DisputeResolve,
          response: { 200: DisputeDto, ...errorResponses(400, 401, 404, 409, 503) },
        },
      },
      async (req) => disputes.decide(req.params.id, 'approved', req.body.note, req.id),
    )

    app.post(
      '/api/operator/disputes/:id/reject',
      {
        ...op,
        schema: {
          tags: opTags,
          summary: 'Reject a dispute with a note the workspace reads',
          params: IdParam,
          body: DisputeResolve,
          response: { 200: DisputeDto, ...errorResponses(400, 401, 404, 409, 503) },
        },
      },
      async (req) => disputes.decide(req.params.id, 'rejected', req.body.note, req.id),
    )
  }
