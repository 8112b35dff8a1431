import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { StripeWebhooks } from './stripe-webhooks.service.ts'

const RawBody = z.custom<Buffer>((value) => Buffer.isBuffer(value), { message: 'Expected a JSON body.' })

/**
 * `POST /api/webhooks/stripe`, in its own encapsulated plugin: JSON is kept as the exact bytes Stripe signed
 * (only for this route), and the caller is Stripe itself, so the route is public and carries no cookie (no CSRF check).
 * It is exempt from the global per-IP rate limit: Stripe delivers (and retries) bursts from a few shared addresses, and
 * a 429 would only delay the events; each request is bounded by the signature check instead.
 */
export const stripeWebhookRoutes = (webhooks: StripeWebhooks) => async (base: FastifyInstance) => {
  base.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body)
  })
  const app = base.withTypeProvider<ZodTypeProvider>()
  app.post(
    '/api/webhooks/stripe',
    {
      config: { public: true, rateLimit: false, webhook: 'stripe' },
      schema: {
        tags: ['webhooks'],
        summary:
          'Stripe webhook: verified on its raw bytes (Stripe-Signature, 300 s tolerance), stored once by event id, processed by a job',
        body: RawBody,
        response: { 200: z.object({ received: z.literal(true) }), ...errorResponses(400, 409, 413) },
      },
    },
    async (req) => {
      const header = req.headers['stripe-signature']
      await webhooks.receive(req.body, typeof header === 'string' ? header : undefined)
      return { received: true as const }
    },
  )
}
