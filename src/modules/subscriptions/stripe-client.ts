import Stripe from 'stripe'

/** Stripe's tolerance for a webhook signature's timestamp, in seconds (its own default). */
export const SIGNATURE_TOLERANCE_SECONDS = 300

/**
 * The one place a Stripe client is built. `STRIPE_API_BASE` points it elsewhere (tests: the loopback fake);
 * without a secret key the client still verifies webhook signatures, which need no API call.
 */
export const createStripeClient = (secretKey: string | undefined, apiBase: string | undefined) => {
  if (!apiBase) return new Stripe(secretKey ?? 'sk_unconfigured', { maxNetworkRetries: 2 })
  const url = new URL(apiBase)
  const protocol = url.protocol === 'http:' ? 'http' : 'https'
  return new Stripe(secretKey ?? 'sk_unconfigured', {
    host: url.hostname,
    port: Number(url.port || (protocol === 'http' ? 80 : 443)),
    protocol,
    maxNetworkRetries: 2,
  })
}
export type StripeClient = ReturnType<typeof createStripeClient>
export type StripeEvent = Stripe.Event

/**
 * Verifies a webhook on its exact bytes against every configured secret (a comma-separated list, so a secret can
 * be rotated without dropping deliveries). Undefined when no secret accepts it.
 */
export const verifyWebhook = (
  stripe: StripeClient,
  secrets: string[],
  rawBody: Buffer,
  header: string | undefined,
  nowMs?: number,
): StripeEvent | undefined => {
  if (!header) return undefined
  for (const secret of secrets) {
    try {
      return stripe.webhooks.constructEvent(rawBody, header, secret, SIGNATURE_TOLERANCE_SECONDS, undefined, nowMs)
    } catch {
      /* try the next secret */
    }
  }
  return undefined
}

export const webhookSecrets = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
