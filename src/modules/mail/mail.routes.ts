import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { page } from '../../../contracts/common.ts'
import { OutboxEmailDto, OutboxQuery } from '../../../contracts/mail.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { MailService } from './mail.service.ts'

export const mailRoutes =
  ({ mail, operator }: { mail: MailService; operator: OperatorGuard }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const op = { config: { public: true }, preValidation: async (req: FastifyRequest) => operator(req) }

    app.get(
      '/api/operator/emails',
      {
        ...op,
        schema: {
          tags: ['operator'],
          summary: 'Emails the server sent or stored (without SMTP_URL), newest first',
          querystring: OutboxQuery,
          response: { 200: page(OutboxEmailDto), ...errorResponses(400, 401, 503) },
        },
      },
      async (req) => mail.list(req.query),
    )
  }
