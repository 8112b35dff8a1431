import { MutationCache } from '@tanstack/react-query'
import { notifyError } from './error-toast.ts'
import type { ToastLink } from '../ui/Toast.tsx'

/**
 * What a mutation tells the user, declared where it is made: `meta: { success: 'Client added' }`.
 * Failures need nothing: every failed mutation becomes an error toast with the error code's human message (and the
 * way out of a 402), unless the mutation has its own `onError` — then that handler owns the feedback and must toast
 * (custom links, field errors beside the toast) — or it says `errorToast: false` (its failure is not the user's action,
 * e.g. a background estimate).
 */
export type MutationToasts = {
  /** The success toast; leave it out where the mutation's own `onSuccess` toasts or the page it opens is the answer. */
  success?: string
  errorToast?: false
}

declare module '@tanstack/react-query' {
  interface Register {
    mutationMeta: MutationToasts
  }
}

type Notify = (message: string, tone?: 'success' | 'error', link?: ToastLink) => void

/** The query client's mutation cache: one place turns every mutation's outcome into a toast. */
export const createToastingMutationCache = (notify: Notify) =>
  new MutationCache({
    onSuccess: (_data, _variables, _context, mutation) => {
      const message = mutation.meta?.success
      if (message) notify(message, 'success')
    },
    onError: (error, _variables, _context, mutation) => {
      if (mutation.options.onError || mutation.meta?.errorToast === false) return
      notifyError(notify, error)
    },
  })
