import { useMutation } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage, isApiError } from '../../lib/api.ts'
import { canManage } from '../../lib/roles.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { startCheckout } from './api.ts'
import type { PlanDto } from './api.ts'
import { PlanCard } from './PlanCard.tsx'

type Props = { plans: PlanDto[]; current: PlanDto; billingEnabled: boolean; selected: string | null }

const isSafeRedirect = (url: string) => url.startsWith('https://') || (url.startsWith('/') && !url.startsWith('//'))

/**
 * The catalog beside the current plan. Without billing there is nothing to press (the operator assigns plans);
 * with it, a button starts Checkout, and a server without the checkout route says "Coming soon" instead.
 */
export function ChangePlan({ plans, current, billingEnabled, selected }: Props) {
  const { workspace, role } = useWorkspace()
  const admin = canManage(role)
  const [unavailable, setUnavailable] = useState(false)
  const checkout = useMutation({
    mutationFn: (plan: string) => startCheckout(workspace.id, plan),
    onSuccess: ({ url }) => {
      if (isSafeRedirect(url)) window.location.assign(url)
    },
    onError: (e) => {
      // No checkout route on this server yet: a 404, or the 400 the app's body check gives an unmatched POST first.
      if (isApiError(e, 'route.not_found') || isApiError(e, 'request.unexpected_body')) setUnavailable(true)
    },
  })
  const selectedRef = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (selected) selectedRef.current?.scrollIntoView({ block: 'center' })
  }, [selected])
  const rank = (p: PlanDto) => p.priceMonthlyCents
  const action = (p: PlanDto) => {
    if (p.id === current.id) return <p className="text-center text-sm font-medium text-slate-600">Your current plan</p>
    if (!billingEnabled || !admin) return null
    const verb = rank(p) > rank(current) ? 'Upgrade to' : 'Switch to'
    return (
      <>
        <Button className="w-full" variant={rank(p) > rank(current) ? 'primary' : 'secondary'} disabled={unavailable}
          aria-describedby={unavailable ? `checkout-soon-${p.id}` : undefined}
          pending={checkout.isPending && checkout.variables === p.id} onClick={() => checkout.mutate(p.id)}>
          {verb} {p.name}
        </Button>
        {unavailable && <p id={`checkout-soon-${p.id}`} className="mt-2 text-center text-sm font-medium text-slate-600">Coming soon</p>}
      </>
    )
  }
  return (
    <section aria-labelledby="change-plan-title" className="space-y-4">
      <h2 id="change-plan-title" className="text-lg font-semibold text-slate-900">Plans</h2>
      {!billingEnabled && (
        <Alert tone="info" title="Billing is not set up on this server: your operator assigns plans">
          <p>To move this workspace to another plan, ask the person who runs this Camarad.</p>
        </Alert>
      )}
      {billingEnabled && !admin && <p className="text-sm text-slate-600">Only owners and admins can change the plan.</p>}
      {unavailable && (
        <Alert tone="info" title="Coming soon">
          <p>Online checkout is not available on this server yet. Nothing was charged and the plan is unchanged.</p>
        </Alert>
      )}
      {checkout.isError && !unavailable && <Alert tone="error" title="Checkout could not start">{errorMessage(checkout.error)}</Alert>}
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        {plans.map((p) => (
          <div key={p.id} ref={p.id === selected ? selectedRef : undefined} className="flex">
            <PlanCard plan={p} level={3} emphasis={p.id === selected || (!selected && p.id === current.id)}
              badge={p.id === current.id ? 'Current plan' : p.id === selected ? 'Selected' : ''}>
              {action(p)}
            </PlanCard>
          </div>
        ))}
      </div>
    </section>
  )
}
