import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { StripeEventsTable } from './subscriptions.tables.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { Selectable } from 'kysely'
import type { StripeDrift } from './stripe-drift.service.ts'
import type { StripeWebhooks } from './stripe-webhooks.service.ts'

const Status = z.enum(['pending', 'processed', 'ignored', 'dead'])
const StripeEventDto = z.object({
  id: z.string(),
  type: z.string(),
  status: Status,
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  receivedAt: z.string(),
  processedAt: z.string().nullable(),
  workspaceId: z
    .string()
    .nullable()
    .meta({ description: 'A refund or chargeback: the workspace whose credits it took back' }),
  unrecoveredCredits: z.number().int().nullable().meta({
    description:
      'Micro-credits a refund or chargeback could not take back (already spent): follow up with the workspace',
  }),
})
const toDto = (r: Selectable<StripeEventsTable>): z.infer<typeof StripeEventDto> => ({
  id: r.id,
  type: r.type,
  status: r.status,
  attempts: r.attempts,
  lastError: r.lastError,
  receivedAt: r.receivedAt.toISOString(),
  processedAt: r.processedAt?.toISOString() ?? null,
  workspaceId: r.workspaceId,
  unrecoveredCredits: r.unrecoveredCredits === null ? null : Number(r.unrecoveredCredits),
})

const DriftRepairDto = z.object({
  eventsRecovered: z.number().int(),
  subscriptionsChecked: z.number().int(),
  subscriptionsRepaired: z.number().int(),
  failed: z.number().int(),
})

/** Operator API (X-Internal-Token): stored Stripe events, the dead ones above all, their replay, and drift repair on demand. */
export const subscriptionsOperatorRoutes =
  ({
    operator,
    webhooks,
    drift,
  }: {
    operator: OperatorGuard
    webhooks: StripeWebhooks
    drift: Pick<StripeDrift, 'run'>
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    // Checked before the body is validated: without the token nothing about the request is answered but 401.
    const op = { config: { public: true }, preValidation: async (req: FastifyRequest) => operator(req) }
    const tags = ['operator']

    app.get(
      '/api/operator/stripe/events',
      {
        ...op,
        schema: {
          tags,
          summary: 'Stored Stripe events, newest first (`status=dead`: the ones that failed every attempt)',
          querystring: z.strictObject({
            status: Status.optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: z.object({ items: z.array(StripeEventDto) }), ...errorResponses(400, 401, 503) },
        },
      },
      async (req) => ({ items: (await webhooks.list(req.query)).map(toDto) }),
    )

    app.post(
      '/api/operator/stripe/events/replay',
      {
        ...op,
        schema: {
          tags,
          summary: 'Process a stored Stripe event again (attempts reset); its effects are idempotent',
          body: z.strictObject({ eventId: z.string().min(1).max(255) }),
          response: { 202: StripeEventDto, ...errorResponses(400, 401, 404, 503) },
        },
      },
      async (req, reply) => reply.code(202).send(toDto(await webhooks.replay(req.body.eventId))),
    )

    app.post(
      '/api/operator/stripe/repair',
      {
        ...op,
        schema: {
          tags,
          summary:
            'Run drift repair now (what the hourly job does): recover events whose delivery failed, repair subscriptions that differ from Stripe',
          body: z.strictObject({}).meta({ description: 'Send `{}`' }),
          response: { 200: DriftRepairDto, ...errorResponses(400, 401, 409, 502, 503) },
        },
      },
      async () => drift.run(),
    )
  }
