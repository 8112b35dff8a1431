import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam } from '../../../contracts/common.ts'
import { OperatorPlanPut, OperatorPlanResultDto, PlansDto, WorkspacePlanDto } from '../../../contracts/plans.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { PlansService } from './plans.service.ts'

/** The public catalog, a workspace's plan and usage, and the operator's plan assignment (self-hosted mode). */
export const plansRoutes =
  ({ plans, scope, operator }: { plans: PlansService; scope: ScopeResolver; operator: OperatorGuard }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const tags = ['plans']

    app.get(
      '/api/plans',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'The plans catalog (public): prices in EUR, monthly credits, model tiers, limits',
          response: { 200: PlansDto, ...errorResponses(429) },
        },
      },
      async () => plans.catalog(),
    )

    app.get(
      '/api/workspaces/:id/plan',
      {
        schema: {
          tags,
          summary: "The workspace's plan and its usage against each limit",
          params: IdParam,
          response: { 200: WorkspacePlanDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => plans.describe((await scope.workspace(req, 'viewer', req.params.id)).workspaceId),
    )

    // Operator API: X-Internal-Token, checked before the body is validated.
    const op = { config: { public: true }, preValidation: async (req: FastifyRequest) => operator(req) }
    app.put(
      '/api/operator/workspaces/:id/plan',
      {
        ...op,
        schema: {
          tags: ['operator'],
          summary:
            "Assign a workspace's plan and grant its monthly credits once for this month (self-hosted mode; 409 while Stripe manages billing)",
          params: IdParam,
          body: OperatorPlanPut,
          response: { 200: OperatorPlanResultDto, ...errorResponses(400, 401, 404, 409, 503) },
        },
      },
      async (req) => plans.assign(req.params.id, req.body),
    )
  }
