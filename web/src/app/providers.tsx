import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { ReactNode } from 'react'
import { useNavigate } from 'react-router'
import { ApiError, setUnauthorizedHandler } from '../lib/api.ts'
import { loginPath } from '../lib/navigation.ts'
import { createToastingMutationCache } from '../lib/mutation-toasts.ts'
import { ToastProvider, useToast } from '../ui/Toast.tsx'
import { markSignedOut } from './session.ts'

type Notify = ReturnType<typeof useToast>['notify']

const makeQueryClient = (notify: Notify) =>
  new QueryClient({
    mutationCache: createToastingMutationCache(notify),
    defaultOptions: {
      queries: {
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
        refetchOnWindowFocus: false,
      },
    },
  })

const AUTH_PAGES = ['/login', '/signup', '/verify-email', '/forgot-password', '/reset-password']

/** Any 401 from the API sends the user to /login?next=<current path>. */
function UnauthorizedRedirect({ client }: { client: QueryClient }) {
  const navigate = useNavigate()
  useEffect(() => {
    setUnauthorizedHandler(() => {
      const { pathname, search } = window.location
      if (AUTH_PAGES.includes(pathname)) return
      markSignedOut(client)
      navigate(loginPath(pathname + search), { replace: true })
    })
    return () => setUnauthorizedHandler(null)
  }, [client, navigate])
  return null
}

/** The query client lives under the toasts: its mutation cache reports every mutation's outcome there. */
function QueryProvider({ children }: { children: ReactNode }) {
  // `notify` is stable for the provider's life.
  const { notify } = useToast()
  const [client] = useState(() => makeQueryClient(notify))
  return (
    <QueryClientProvider client={client}>
      <UnauthorizedRedirect client={client} />
      {children}
    </QueryClientProvider>
  )
}

export function Providers({ children }: { children: ReactNode }) {
  return (
    <ToastProvider>
      <QueryProvider>{children}</QueryProvider>
    </ToastProvider>
  )
}
