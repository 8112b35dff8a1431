import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { Link } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { Alert } from '../../ui/Alert.tsx'
import { billingKeys, getCheckout, planKeys, type CheckoutDto, type PlanDto } from './api.ts'
import { formatCount } from '../../lib/format.ts'

/** How long the page keeps asking before it says the confirmation is late (Stripe usually answers in seconds). */
const PATIENCE_MS = 90_000

/**
 * The page Stripe sends the browser back to (`?checkout=success&session_id=…` or `?topup=…`): it asks where the
 * session stands every second until the webhook has applied it, then refreshes the plan and the balance. The
 * redirect itself proves nothing; the answer comes from Stripe and our ledger.
 */
export function CheckoutReturn({ sessionId, plans }: { sessionId: string; plans: PlanDto[] }) {
  const { workspace } = useWorkspace()
  const queryClient = useQueryClient()
  const [late, setLate] = useState(false)
  useEffect(() => {
    const timer = setTimeout(() => setLate(true), PATIENCE_MS)
    return () => clearTimeout(timer)
  }, [])
  const settled = (c: CheckoutDto | undefined) => c?.status === 'applied' || c?.status === 'expired'
  const query = useQuery({
    queryKey: billingKeys.checkout(workspace.id, sessionId),
    queryFn: ({ signal }) => getCheckout(workspace.id, sessionId, signal),
    refetchInterval: (q) => (settled(q.state.data) || late ? false : 1000),
    retry: 2,
  })
  const applied = query.data?.status === 'applied'
  useEffect(() => {
    if (!applied) return
    void queryClient.invalidateQueries({ queryKey: planKeys.workspace(workspace.id) })
    void queryClient.invalidateQueries({ queryKey: ['billing', workspace.id] })
    void queryClient.invalidateQueries({ queryKey: ['credits', workspace.id] })
  }, [applied, queryClient, workspace.id])

  if (query.isError)
    return (
      <Alert tone="error" title="We could not check this payment">
        {errorMessage(query.error)}
      </Alert>
    )
  const c = query.data
  if (!c || c.status === 'open' || c.status === 'confirming') {
    return (
      <Alert
        tone={late ? 'warning' : 'info'}
        title={late ? 'Stripe has not confirmed the payment yet' : 'Confirming your payment with Stripe…'}
      >
        {late ? (
          <p>
            It can take a few minutes. You can leave this page: the plan and credits are applied as soon as Stripe
            confirms, and nothing is charged twice.
          </p>
        ) : (
          <p className="flex items-center gap-2">
            <span
              aria-hidden="true"
              className="size-3.5 animate-spin rounded-full border-2 border-sky-700 border-t-transparent"
            />
            This usually takes a few seconds.
          </p>
        )}
      </Alert>
    )
  }
  if (c.status === 'expired')
    return (
      <Alert tone="warning" title="This checkout expired">
        Nothing was charged. Start again when you are ready.
      </Alert>
    )
  const credits = c.credits === null ? '' : `${formatCount(c.credits)} credits`
  const plan = plans.find((p) => p.id === c.plan)
  return (
    <Alert
      tone="success"
      title={c.mode === 'subscription' ? `You are on ${plan?.name ?? c.plan} now` : 'Credits added'}
    >
      <p>
        {c.mode === 'subscription'
          ? `${credits} for this month were added to your balance.`
          : `${credits} were added to your balance.`}{' '}
        <Link to="/app/settings/usage" className="font-medium underline">
          See the balance
        </Link>
      </p>
    </Alert>
  )
}
