import { useMutation } from '@tanstack/react-query'
import type { UserDto } from '../../../contracts/identity.ts'
import { api, errorMessage } from '../lib/api.ts'
import { Alert } from '../ui/Alert.tsx'
import { Button } from '../ui/Button.tsx'

/** For a signed-in person who has not verified their email yet: free credits wait for it. */
export function VerifyEmailBanner({ user }: { user: UserDto }) {
  const resend = useMutation({
    mutationFn: () => api<{ accepted: true }>('/api/auth/verify-email/resend', { method: 'POST', body: {} }),
    meta: { success: 'A new verification link is on its way.' },
  })
  if (user.emailVerified) return null
  return (
    <Alert tone="warning" title="Check your inbox" className="mb-6">
      <p>
        We sent a link to <strong>{user.email}</strong>. Open it to verify your email: your free credits arrive once it
        is verified.
      </p>
      <div className="mt-2 flex flex-wrap items-center gap-3">
        <Button
          variant="secondary"
          pending={resend.isPending}
          disabled={resend.isSuccess}
          onClick={() => resend.mutate()}
        >
          {resend.isSuccess ? 'Sent again' : 'Send the link again'}
        </Button>
        {resend.isError && (
          <span role="alert" className="text-sm text-red-800">
            {errorMessage(resend.error)}
          </span>
        )}
      </div>
    </Alert>
  )
}
