import type { FastifyRequest } from 'fastify'
import { safeEqual } from '../crypto/tokens.ts'
import { operatorErrors } from './http.errors.ts'

/**
 * Operator routes (`/api/operator/*` and the billing module's `/api/billing/*` reports; not `/api/billing/checkout`,
 * `/topup`, `/portal`, which are for workspace admins) want the INTERNAL_TOKEN in `X-Internal-Token`; they are
 * declared `public` for user auth and checked here instead. Without INTERNAL_TOKEN set they are off (503).
 */
export const operatorGuard = (internalToken: string | undefined) => (req: FastifyRequest) => {
  if (!internalToken) throw operatorErrors.disabled()
  const sent = req.headers['x-internal-token']
  if (typeof sent !== 'string' || !safeEqual(sent, internalToken)) throw operatorErrors.token_required()
}
export type OperatorGuard = ReturnType<typeof operatorGuard>
