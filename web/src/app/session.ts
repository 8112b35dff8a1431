import { useMutation, useQuery } from '@tanstack/react-query'
import type { QueryClient } from '@tanstack/react-query'
import type { AuthStatus } from '../../../contracts/identity.ts'
import { api } from '../lib/api.ts'

export const authStatusKey = ['auth', 'status'] as const

const fetchAuthStatus = ({ signal }: { signal: AbortSignal }) =>
  api<AuthStatus>('/api/auth/status', { signal, redirectOn401: false })

export const useAuthStatus = () => useQuery({ queryKey: authStatusKey, queryFn: fetchAuthStatus, staleTime: 30_000 })

/** Forget everything cached for the previous session and mark the user signed out. */
export const markSignedOut = (qc: QueryClient) => {
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== authStatusKey[0] })
  qc.setQueryData<AuthStatus>(authStatusKey, (old) => ({
    authenticated: false,
    user: null,
    workspaces: [],
    via: null,
    googleEnabled: old?.googleEnabled ?? false,
  }))
}

/** After login, signup, onboarding or joining a workspace: drop stale data and reload the status. */
export const refreshSession = async (qc: QueryClient, { keepData = false } = {}) => {
  if (!keepData) qc.removeQueries({ predicate: (q) => q.queryKey[0] !== authStatusKey[0] })
  return qc.fetchQuery({ queryKey: authStatusKey, queryFn: fetchAuthStatus, staleTime: 0 })
}

/** Signs out, then reloads on the home page so nothing of the session stays in memory. */
export const useSignOut = () =>
  useMutation({
    mutationFn: () => api<void>('/api/auth/logout', { method: 'POST', redirectOn401: false }),
    onSuccess: () => window.location.assign('/'),
  })

/** Where to go once signed in: the safe `next` path, else the app (or onboarding without a workspace). */
export const homeFor = (status: AuthStatus, next: string | null) =>
  next ?? (status.workspaces.length ? '/app' : '/onboarding')
