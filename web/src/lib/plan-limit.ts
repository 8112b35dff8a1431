import { BILLING_PATH } from '../../../contracts/app-paths.ts'
import { ApiError } from './api.ts'
import { safeNext } from './navigation.ts'

/** Where the plans are shown to a signed-in member. */
export { BILLING_PATH }

export type PlanLimitReached = {
  limit: string | null
  max: number | null
  used: number | null
  plan: string | null
  upgradeUrl: string
}

const str = (v: unknown) => (typeof v === 'string' ? v : null)
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** The details of a 402 `plan.limit_reached`, or null for any other error. */
export const planLimitReached = (error: unknown): PlanLimitReached | null => {
  if (!(error instanceof ApiError) || error.code !== 'plan.limit_reached') return null
  const d = (error.details && typeof error.details === 'object' ? error.details : {}) as Record<string, unknown>
  return {
    limit: str(d.limit),
    max: num(d.max),
    used: num(d.used),
    plan: str(d.plan),
    upgradeUrl: safeNext(str(d.upgradeUrl)) ?? BILLING_PATH,
  }
}
