import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef } from 'react'
import { Link, useSearchParams } from 'react-router'
import { refreshSession, useAuthStatus } from '../app/session.ts'
import { api, errorMessage, isApiError } from '../lib/api.ts'
import { useTitle } from '../lib/use-title.ts'
import { Alert } from '../ui/Alert.tsx'
import { Spinner } from '../ui/Spinner.tsx'
import { AuthCard } from './auth-shared.tsx'

/** The page the verification email links to: uses the link's token once, then says what happened. */
export function VerifyEmailPage() {
  useTitle('Verify your email')
  const qc = useQueryClient()
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const status = useAuthStatus()
  const verify = useMutation({
    mutationFn: () =>
      api<{ verified: true }>('/api/auth/verify-email', { method: 'POST', body: { token }, redirectOn401: false }),
    onSuccess: () => refreshSession(qc, { keepData: true }),
  })
  // Once per page load: the token is single-use, so a second request would report the first one's success as a failure.
  const sent = useRef(false)
  useEffect(() => {
    if (sent.current || !token) return
    sent.current = true
    verify.mutate()
  }, [token, verify])

  const signedIn = status.data?.authenticated === true
  const onward = signedIn ? (
    <Link to="/app" className="font-medium text-indigo-700 hover:underline">
      Go to your workspace
    </Link>
  ) : (
    <Link to="/login" className="font-medium text-indigo-700 hover:underline">
      Log in
    </Link>
  )
  return (
    <AuthCard title="Verify your email">
      {!token && (
        <Alert tone="error">
          This link has no token. Open the link from the email again, or ask for a new one from the app.
        </Alert>
      )}
      {token && (verify.isPending || verify.isIdle) && <Spinner label="Verifying your email…" />}
      {verify.isSuccess && (
        <Alert tone="success" title="Your email is verified">
          <p>Thank you. Your welcome credits go to the first workspace you own. {onward}</p>
        </Alert>
      )}
      {verify.isError && (
        <Alert tone="error" title="This link did not work">
          <p>
            {isApiError(verify.error, 'auth.link_invalid') || isApiError(verify.error, 'request.invalid')
              ? 'It is incomplete, was used already or expired. Sign in and ask for a new verification email.'
              : errorMessage(verify.error)}{' '}
            {onward}
          </p>
        </Alert>
      )}
    </AuthCard>
  )
}
