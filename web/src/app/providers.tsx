import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import type { ReactNode } from 'react'
import { useNavigate } from 'react-router'
import { ApiError, setUnauthorizedHandler } from '../lib/api.ts'
import { loginPath } from '../lib/navigation.ts'
import { ToastProvider } from '../ui/Toast.tsx'
import { markSignedOut } from './session.ts'

const makeQueryClient = () =>
  new QueryClient({
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

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(makeQueryClient)
  return (
    <QueryClientProvider client={client}>
      <ToastProvider>
        <UnauthorizedRedirect client={client} />
        {children}
      </ToastProvider>
    </QueryClientProvider>
  )
}
