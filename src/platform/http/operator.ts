import type { FastifyRequest } from 'fastify'
import { safeEqual } from '../crypto/tokens.ts'
import { AppError, unauthorized } from './errors.ts'

/**
 * Operator routes (`/api/operator/*` and the billing module's `/api/billing/*` reports; not `/api/billing/checkout`,
 * `/topup`, `/portal`, which are for workspace admins) want the INTERNAL_TOKEN in `X-Internal-Token`; they are
 * declared `public` for user auth and checked here instead. Without INTERNAL_TOKEN set they are off (503).
 */
export const operatorGuard = (internalToken: string | undefined) => (req: FastifyRequest) => {
  if (!internalToken)
    throw new AppError(503, 'operator.disabled', 'The operator API is off: set INTERNAL_TOKEN to use it.')
  const sent = req.headers['x-internal-token']
  if (typeof sent !== 'string' || !safeEqual(sent, internalToken))
    throw unauthorized('operator.token_required', 'Send the operator token in X-Internal-Token.')
}
export type OperatorGuard = ReturnType<typeof operatorGuard>
