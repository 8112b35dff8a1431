import { useEffect, useRef } from 'react'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { canManage } from '../../lib/roles.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { openPortal, startCheckout } from './api.ts'
import type { PlanDto } from './api.ts'
import { PlanCard } from './PlanCard.tsx'
import { useStripeRedirect } from './redirect.ts'

type Props = {
  plans: PlanDto[]
  current: PlanDto
  billingEnabled: boolean
  subscribed: boolean
  selected: string | null
}

/**
 * The catalog beside the current plan. Without billing there is nothing to press (the operator assigns plans).
 * With it, a workspace without a subscription subscribes through Checkout; one that pays changes or cancels its
 * plan in Stripe's portal, so it never ends up with two subscriptions.
 */
export function ChangePlan({ plans, current, billingEnabled, subscribed, selected }: Props) {
  const { workspace, role } = useWorkspace()
  const admin = canManage(role)
  const checkout = useStripeRedirect((plan: string) => startCheckout(workspace.id, plan))
  const portal = useStripeRedirect(() => openPortal(workspace.id))
  const selectedRef = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (selected) selectedRef.current?.scrollIntoView({ block: 'center' })
  }, [selected])
  const rank = (p: PlanDto) => p.priceMonthlyCents
  const action = (p: PlanDto) => {
    if (p.id === current.id) return <p className="text-center text-sm font-medium text-slate-600">Your current plan</p>
    if (!billingEnabled || !admin) return null
    if (rank(p) === 0 && !subscribed) return null
    const up = rank(p) > rank(current)
    const label = rank(p) === 0 ? `Cancel and move to ${p.name}` : `${up ? 'Upgrade to' : 'Switch to'} ${p.name}`
    return subscribed ? (
      <Button
        className="w-full"
        variant={up ? 'primary' : 'secondary'}
        pending={portal.isPending}
        onClick={() => portal.mutate(undefined)}
      >
        {label}
      </Button>
    ) : (
      <Button
        className="w-full"
        variant={up ? 'primary' : 'secondary'}
        pending={checkout.isPending && checkout.variables === p.id}
        onClick={() => checkout.mutate(p.id)}
      >
        {label}
      </Button>
    )
  }
  const failure = checkout.error ?? portal.error
  return (
    <section aria-labelledby="change-plan-title" className="space-y-4">
      <h2 id="change-plan-title" className="text-lg font-semibold text-slate-900">
        Plans
      </h2>
      {!billingEnabled && (
        <Alert tone="info" title="Billing is not set up on this server: your operator assigns plans">
          <p>To move this workspace to another plan, ask the person who runs this Camarad.</p>
        </Alert>
      )}
      {billingEnabled && !admin && (
        <p className="text-sm text-slate-600">Only owners and admins can change the plan.</p>
      )}
      {billingEnabled && admin && subscribed && (
        <p className="text-sm text-slate-600">
          Plan changes and cancellation happen in Stripe’s customer portal; this page follows what Stripe confirms.
        </p>
      )}
      {failure && (
        <Alert tone="error" title="Stripe could not be opened">
          {errorMessage(failure)}
        </Alert>
      )}
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        {plans.map((p) => (
          <div key={p.id} ref={p.id === selected ? selectedRef : undefined} className="flex">
            <PlanCard
              plan={p}
              level={3}
              emphasis={p.id === selected || (!selected && p.id === current.id)}
              badge={p.id === current.id ? 'Current plan' : p.id === selected ? 'Selected' : ''}
            >
              {action(p)}
            </PlanCard>
          </div>
        ))}
      </div>
    </section>
  )
}
