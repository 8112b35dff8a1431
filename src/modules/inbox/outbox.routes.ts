import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import { DeadMessageDto, DeadMessagePage, ReplayBody } from '../../../contracts/inbox.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { Outbox } from './outbox.ts'

/** Operator API (X-Internal-Token): the outbox's dead letters and their replay. */
export const outboxRoutes =
  ({ outbox, operator }: { outbox: Outbox; operator: OperatorGuard }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const op = { config: { public: true }, preValidation: async (req: FastifyRequest) => operator(req) }

    app.get(
      '/api/operator/outbox/dead',
      {
        ...op,
        schema: {
          tags: ['operator'],
          summary:
            'WhatsApp messages the outbox set aside after their last attempt (failed, with their error), newest first',
          querystring: PageQuery,
          response: { 200: DeadMessagePage, ...errorResponses(400, 401, 503) },
        },
      },
      async (req) => outbox.dead(req.query),
    )

    app.post(
      '/api/operator/outbox/dead/:id/replay',
      {
        ...op,
        schema: {
          tags: ['operator'],
          summary:
            'Queue a dead letter again with fresh attempts (audited). Replaying it again answers it as it is; a message ' +
            'that never died is refused (409)',
          params: IdParam,
          body: ReplayBody,
          response: { 200: DeadMessageDto, ...errorResponses(400, 401, 404, 409, 503) },
        },
      },
      async (req) => outbox.replay(req.params.id, req.body.reason, requestMeta(req)),
    )
  }
