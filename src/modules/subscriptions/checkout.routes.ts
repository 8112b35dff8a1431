import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import { BillingAccountDto, CheckoutDto, InvoicesDto, InvoicesQuery } from '../../../contracts/subscriptions.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Checkout } from './checkout.service.ts'

const UrlDto = z.object({ url: z.string() })

/**
 * Billing for a workspace (X-Workspace-ID): members read the account; admins open Stripe Checkout or the customer
 * portal (the answer is where to redirect) and read invoices.
 */
export const checkoutRoutes =
  ({ checkout, scope }: { checkout: Checkout; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const tags = ['billing']

    app.get(
      '/api/billing',
      {
        schema: {
          tags,
          summary:
            "The workspace's billing account: Stripe on this server, top-ups, its customer and subscription (members)",
          response: { 200: BillingAccountDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => checkout.account((await scope.workspace(req, 'viewer')).workspaceId),
    )

    app.get(
      '/api/billing/invoices',
      {
        schema: {
          tags,
          summary: "The workspace's Stripe invoices, newest first (admins)",
          querystring: InvoicesQuery,
          response: { 200: InvoicesDto, ...errorResponses(400, 401, 403, 404, 409, 502) },
        },
      },
      async (req) => checkout.invoices((await scope.workspace(req, 'admin')).workspaceId, req.query),
    )

    app.get(
      '/api/billing/checkouts/:id',
      {
        schema: {
          tags,
          summary:
            'Where a Checkout this workspace opened stands: open, confirming (paid, webhook not applied yet), applied, expired (members)',
          params: z.object({ id: z.string().min(1).max(255) }),
          response: { 200: CheckoutDto, ...errorResponses(400, 401, 403, 404, 409, 502) },
        },
      },
      async (req) => {
        const row = await checkout.findCheckout(req.params.id)
        await scope.workspace(req, 'viewer', row.workspaceId)
        return checkout.checkoutStatus(row)
      },
    )

    app.post(
      '/api/billing/checkout',
      {
        schema: {
          tags,
          summary:
            'A Stripe Checkout URL to subscribe to a paid plan (admins; 409 `billing.already_subscribed` when ' +
            'subscribed: change plans in the portal); the webhook applies the plan',
          body: z.strictObject({ plan: z.string().min(1).max(64) }),
          response: { 200: UrlDto, ...errorResponses(400, 401, 403, 404, 409, 502) },
        },
      },
      async (req) => checkout.subscribe({ ...(await scope.workspace(req, 'admin')), requestId: req.id }, req.body.plan),
    )

    app.post(
      '/api/billing/topup',
      {
        schema: {
          tags,
          summary: 'A Stripe Checkout URL to buy credits once (admins); granted when Stripe reports the payment',
          body: z.strictObject({ credits: z.number().int().min(1).max(100_000) }),
          response: { 200: UrlDto, ...errorResponses(400, 401, 403, 404, 409, 502) },
        },
      },
      async (req) => checkout.topup({ ...(await scope.workspace(req, 'admin')), requestId: req.id }, req.body.credits),
    )

    app.post(
      '/api/billing/portal',
      {
        schema: {
          tags,
          summary: "A Stripe customer portal URL for the workspace's subscription (admins)",
          body: z.strictObject({}).meta({ description: 'Send `{}`' }),
          response: { 200: UrlDto, ...errorResponses(400, 401, 403, 404, 409, 502) },
        },
      },
      async (req) => checkout.portal({ ...(await scope.workspace(req, 'admin')), requestId: req.id }),
    )
  }
