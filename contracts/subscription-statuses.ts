/**
 * Stripe subscription statuses in which a workspace already pays (or is being asked to): a plan change goes through
 * the customer portal, never a second Checkout. Plain data, shared by the server and the web app (no zod).
 */
export const SUBSCRIBED_STATUSES: readonly string[] = ['active', 'trialing', 'past_due', 'incomplete', 'unpaid']
export const isSubscribed = (status: string | null | undefined) =>
  Boolean(status && SUBSCRIBED_STATUSES.includes(status))
