import { defineErrors } from '../../platform/http/errors.ts'

const NOT_CONFIGURED = {
  STRIPE_SECRET_KEY: 'Billing is not configured on this server: set STRIPE_SECRET_KEY.',
  STRIPE_WEBHOOK_SECRET: 'Stripe webhooks are not configured on this server: set STRIPE_WEBHOOK_SECRET.',
}

/** Subscriptions, Checkout and the customer portal; the codes keep the `billing.` prefix the API has always had. */
export const subscriptionsErrors = defineErrors('billing', {
  not_configured: {
    status: 409,
    when: 'Stripe is not configured on this server (no STRIPE_SECRET_KEY, no top-up price, or no STRIPE_WEBHOOK_SECRET for webhooks).',
    message: (p: { missing: keyof typeof NOT_CONFIGURED }) => NOT_CONFIGURED[p.missing],
  },
  plan_not_purchasable: {
    status: 400,
    when: 'The plan asked for at Checkout is unknown, free, or has no Stripe price.',
    message: (p: { plan: string }) =>
      `The plan "${p.plan}" cannot be bought through Checkout (unknown, free, or without a Stripe price).`,
  },
  no_customer: { status: 409, message: 'This workspace has no Stripe customer yet: subscribe first.' },
  stripe_unavailable: { status: 502, message: 'Stripe could not be reached. Try again.' },
  already_subscribed: {
    status: 409,
    message: 'This workspace already has a subscription: change or cancel the plan in the customer portal.',
  },
  checkout_not_found: { status: 404, message: 'This workspace opened no Checkout session with this id.' },
})

export const stripeErrors = defineErrors('stripe', {
  signature_invalid: {
    status: 400,
    message:
      'The Stripe-Signature header does not match this body with any configured webhook secret, or it is too old.',
  },
  event_not_found: { status: 404, message: 'No stored Stripe event has this id.' },
})
