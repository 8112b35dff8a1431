import { z } from 'zod'

/** A workspace's billing account as Stripe last reported it: whether it can pay here, and its subscription. */
export const BillingAccountDto = z
  .object({
    billingEnabled: z
      .boolean()
      .meta({ description: 'Stripe is configured on this server (else the operator assigns plans)' }),
    topupEnabled: z
      .boolean()
      .meta({ description: 'Credits can be bought once through Checkout (a top-up price is configured)' }),
    hasCustomer: z
      .boolean()
      .meta({ description: 'The workspace has a Stripe customer: invoices and the customer portal exist' }),
    subscription: z
      .object({
        status: z.string().meta({
          description:
            "Stripe's status: `active`, `trialing`, `past_due` (a grace period: the plan is kept), `canceled`, …",
        }),
        plan: z.string().nullable(),
        currentPeriodEnd: z.string().nullable(),
      })
      .nullable(),
    unrecoveredCredits: z.number().int().meta({
      description:
        'Micro-credits that refunded or charged-back payments had bought but were already spent, so could not be taken back (0: none)',
    }),
  })
  .meta({ id: 'BillingAccount' })
export type BillingAccountDto = z.infer<typeof BillingAccountDto>

export const InvoiceDto = z
  .object({
    id: z.string(),
    number: z.string().nullable(),
    status: z.string().nullable().meta({ description: '`paid`, `open`, `void`, `uncollectible`, `draft`' }),
    amountDueCents: z.number().int(),
    amountPaidCents: z.number().int(),
    currency: z.string(),
    createdAt: z.string(),
    hostedInvoiceUrl: z.string().nullable(),
    pdfUrl: z.string().nullable(),
  })
  .meta({ id: 'Invoice' })
export type InvoiceDto = z.infer<typeof InvoiceDto>

export const InvoicesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(12),
  cursor: z.string().min(1).max(255).optional().meta({ description: 'The `nextCursor` of the previous page' }),
})
export const InvoicesDto = z
  .object({ items: z.array(InvoiceDto), nextCursor: z.string().nullable() })
  .meta({ id: 'Invoices' })
export type InvoicesDto = z.infer<typeof InvoicesDto>

export const CheckoutDto = z
  .object({
    id: z.string().meta({ description: "Stripe's Checkout session id" }),
    mode: z
      .enum(['subscription', 'payment'])
      .meta({ description: '`subscription`: a plan; `payment`: a one-off credit top-up' }),
    plan: z.string().nullable(),
    credits: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'Whole credits: bought (top-up) or granted each month (plan)' }),
    status: z.enum(['open', 'confirming', 'applied', 'expired']).meta({
      description:
        '`open`: not paid yet; `confirming`: Stripe took the payment, its webhook has not been applied yet; ' +
        '`applied`: the plan and its credits (or the top-up) are in the workspace; `expired`: the session ended ' +
        'unpaid',
    }),
    createdAt: z.string(),
  })
  .meta({ id: 'Checkout' })
export type CheckoutDto = z.infer<typeof CheckoutDto>
