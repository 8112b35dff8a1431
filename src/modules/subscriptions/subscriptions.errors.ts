import { AppError, badRequest, conflict, notFound } from '../../platform/http/errors.ts'

export const signatureInvalid = () =>
  badRequest(
    'stripe.signature_invalid',
    'The Stripe-Signature header does not match this body with any configured webhook secret, or it is too old.',
  )
export const webhookNotConfigured = () =>
  new AppError(
    409,
    'billing.not_configured',
    'Stripe webhooks are not configured on this server: set STRIPE_WEBHOOK_SECRET.',
  )
export const billingNotConfigured = () =>
  conflict('billing.not_configured', 'Billing is not configured on this server: set STRIPE_SECRET_KEY.')
export const stripeEventNotFound = () => notFound('stripe.event_not_found', 'No stored Stripe event has this id.')
export const planNotPurchasable = (plan: string) =>
  badRequest(
    'billing.plan_not_purchasable',
    `The plan "${plan}" cannot be bought through Checkout (unknown, free, or without a Stripe price).`,
  )
export const noCustomer = () =>
  conflict('billing.no_customer', 'This workspace has no Stripe customer yet: subscribe first.')
export const stripeUnavailable = () =>
  new AppError(502, 'billing.stripe_unavailable', 'Stripe could not be reached. Try again.')
export const alreadySubscribed = () =>
  conflict(
    'billing.already_subscribed',
    'This workspace already has a subscription: change or cancel the plan in the customer portal.',
  )
export const checkoutNotFound = () =>
  notFound('billing.checkout_not_found', 'This workspace opened no Checkout session with this id.')
