import { USAGE_PATH } from '../../../contracts/app-paths.ts'
import { ApiError, errorMessage } from './api.ts'
import { safeNext } from './navigation.ts'
import { planLimitReached } from './plan-limit.ts'
import type { ToastLink } from '../ui/Toast.tsx'

type Notify = (message: string, tone?: 'success' | 'error', link?: ToastLink) => void

/**
 * A failed action as an error toast, with the way out when there is one: a plan limit links to the plans, a 402 for
 * credits to usage and top-ups (or where the error's `upgradeUrl` points).
 */
export const notifyError = (notify: Notify, error: unknown) => {
  const limit = planLimitReached(error)
  if (limit) return notify(errorMessage(error), 'error', { to: limit.upgradeUrl, label: 'See plans' })
  if (error instanceof ApiError && error.status === 402) {
    const d = (error.details && typeof error.details === 'object' ? error.details : {}) as { upgradeUrl?: unknown }
    const to = (typeof d.upgradeUrl === 'string' && safeNext(d.upgradeUrl)) || USAGE_PATH
    return notify(errorMessage(error), 'error', { to, label: 'Get more credits' })
  }
  notify(errorMessage(error), 'error')
}
