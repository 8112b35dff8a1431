import { safeEqual } from '../crypto/tokens.ts'

/** With INTERNAL_TOKEN set, /metrics wants it as `X-Internal-Token` or `Authorization: Bearer` (Prometheus `bearer_token`). */
export const metricsAllowed = (headers: Record<string, string | string[] | undefined>, internalToken?: string) => {
  if (!internalToken) return true
  const sent = headers['x-internal-token'] ?? headers.authorization?.toString().replace(/^Bearer\s+/i, '')
  return typeof sent === 'string' && safeEqual(sent, internalToken)
}
