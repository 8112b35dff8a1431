import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Checkout } from './checkout.service.ts'

const UrlDto = z.object({ url: z.string() })

/** Workspace admins (X-Workspace-ID) open Stripe Checkout or the customer portal; the answer is where to redirect. */
export const checkoutRoutes = ({ checkout, scope }: { checkout: Checkout; scope: ScopeResolver }) => async (base: FastifyInstance) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['billing']

  app.post('/api/billing/checkout', {
    schema: { tags, summary: 'A Stripe Checkout URL to subscribe to a paid plan (admins); the webhook applies the plan', body: z.strictObject({ plan: z.string().min(1).max(64) }), response: { 200: UrlDto, ...errorResponses(400, 401, 403, 404, 409, 502) } },
  }, async (req) => checkout.subscribe({ workspaceId: (await scope.workspace(req, 'admin')).workspaceId, requestId: req.id }, req.body.plan))

  app.post('/api/billing/topup', {
    schema: { tags, summary: 'A Stripe Checkout URL to buy credits once (admins); granted when Stripe reports the payment', body: z.strictObject({ credits: z.number().int().min(1).max(100_000) }), response: { 200: UrlDto, ...errorResponses(400, 401, 403, 404, 409, 502) } },
  }, async (req) => checkout.topup({ workspaceId: (await scope.workspace(req, 'admin')).workspaceId, requestId: req.id }, req.body.credits))

  app.post('/api/billing/portal', {
    schema: { tags, summary: "A Stripe customer portal URL for the workspace's subscription (admins)", body: z.strictObject({}).meta({ description: 'Send `{}`' }), response: { 200: UrlDto, ...errorResponses(400, 401, 403, 404, 409, 502) } },
  }, async (req) => checkout.portal({ workspaceId: (await scope.workspace(req, 'admin')).workspaceId, requestId: req.id }))
}
