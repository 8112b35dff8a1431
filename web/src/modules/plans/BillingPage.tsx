import { useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { isSubscribed } from '../../../../contracts/subscription-statuses.ts'
import { useWorkspace } from '../../app/workspace.tsx'
import { errorMessage } from '../../lib/api.ts'
import { formatDate } from '../../lib/format.ts'
import { LEGAL_LINKS } from '../../lib/legal.ts'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import {
  billingKeys,
  getBillingAccount,
  getPlans,
  getWorkspacePlan,
  openPortal,
  planKeys,
  type BillingAccountDto,
} from './api.ts'
import { ChangePlan } from './ChangePlan.tsx'
import { CheckoutReturn } from './CheckoutReturn.tsx'
import { formatCount } from '../../lib/format.ts'
import { formatPrice, tiersLabel } from './format.ts'
import { Invoices } from './Invoices.tsx'
import { useStripeRedirect } from './redirect.ts'
import { TopUp } from './TopUp.tsx'
import { UsageMeters } from './UsageMeters.tsx'

/** What Stripe reports of the subscription, in words, and the way to the portal for admins. */
function Subscription({ account }: { account: BillingAccountDto }) {
  const { workspace, role } = useWorkspace()
  const portal = useStripeRedirect(() => openPortal(workspace.id))
  const sub = account.subscription
  return (
    <div className="mt-4 space-y-3 border-t border-slate-100 pt-4 text-sm">
      {sub?.status === 'past_due' && (
        <Alert tone="warning" title="The last payment failed">
          The plan is kept while Stripe retries. Update the payment method in the portal to keep it.
        </Alert>
      )}
      {account.unrecoveredCredits > 0 && (
        <Alert tone="warning" title="A refunded payment's credits were already spent">
          {formatCount(Math.ceil(account.unrecoveredCredits / 1_000_000))} credits bought with refunded or disputed
          payments had been used and could not be taken back. The operator of this installation may contact you about
          them.
        </Alert>
      )}
      {sub && isSubscribed(sub.status) && sub.status !== 'past_due' && (
        <p className="text-slate-600">Renews on {formatDate(sub.currentPeriodEnd)}.</p>
      )}
      {sub?.status === 'canceled' && <p className="text-slate-600">The subscription was cancelled.</p>}
      {account.hasCustomer && canManage(role) && (
        <>
          <Button variant="secondary" pending={portal.isPending} onClick={() => portal.mutate(undefined)}>
            Manage payment and invoices in Stripe
          </Button>
          {portal.isError && (
            <Alert tone="error" title="The portal could not be opened">
              {errorMessage(portal.error)}
            </Alert>
          )}
        </>
      )}
    </div>
  )
}

/** What came back from Stripe in the URL: a session to confirm, or a checkout the user left. */
function ReturnFromStripe({
  params,
  plans,
}: {
  params: URLSearchParams
  plans: Parameters<typeof CheckoutReturn>[0]['plans']
}) {
  const session = params.get('session_id')
  if ((params.get('checkout') === 'success' || params.get('topup') === 'success') && session)
    return <CheckoutReturn sessionId={session} plans={plans} />
  if (params.get('checkout') === 'cancelled' || params.get('topup') === 'cancelled') {
    return (
      <Alert tone="info" title="Checkout cancelled">
        Nothing was charged and the plan is unchanged.
      </Alert>
    )
  }
  return null
}

/** /app/settings/billing: the plan, its usage against each limit, the subscription, top-ups, invoices and the other plans. */
export function BillingPage() {
  useTitle('Plan & billing')
  const { workspace, role } = useWorkspace()
  const admin = canManage(role)
  const [params] = useSearchParams()
  // Back from the portal: what was changed there arrives by webhook within seconds, so look again for a while.
  const [watching, setWatching] = useState(params.get('portal') === 'return')
  useEffect(() => {
    if (!watching) return
    const timer = setTimeout(() => setWatching(false), 30_000)
    return () => clearTimeout(timer)
  }, [watching])
  const refetchInterval = watching ? 2000 : false
  const current = useQuery({
    queryKey: planKeys.workspace(workspace.id),
    queryFn: ({ signal }) => getWorkspacePlan(workspace.id, signal),
    refetchInterval,
  })
  const catalog = useQuery({
    queryKey: planKeys.catalog,
    queryFn: ({ signal }) => getPlans(signal),
    staleTime: 300_000,
  })
  const account = useQuery({
    queryKey: billingKeys.account(workspace.id),
    queryFn: ({ signal }) => getBillingAccount(workspace.id, signal),
    refetchInterval,
  })
  return (
    <>
      <PageHeader
        title="Plan & billing"
        description={`What ${workspace.name} may use, and how much of it is used now.`}
      />
      <QueryState query={current} label="Loading the plan…">
        {(wp) => (
          <div className="space-y-8">
            {catalog.data && <ReturnFromStripe params={params} plans={catalog.data.plans} />}
            <div className="grid gap-4 lg:grid-cols-[minmax(0,20rem)_1fr]">
              <Card title="Current plan">
                <p data-testid="current-plan" className="text-2xl font-semibold tracking-tight text-slate-900">
                  {wp.plan.name}
                </p>
                <p className="mt-1 text-sm text-slate-600">{wp.plan.description}</p>
                <dl className="mt-4 space-y-1 text-sm">
                  <div className="flex justify-between gap-3">
                    <dt className="text-slate-600">Price</dt>
                    <dd className="font-medium text-slate-900">{formatPrice(wp.plan.priceMonthlyCents)} per month</dd>
                  </div>
                  <div className="flex justify-between gap-3">
                    <dt className="text-slate-600">Credits</dt>
                    <dd className="font-medium text-slate-900">{formatCount(wp.plan.monthlyCredits)} each month</dd>
                  </div>
                  <div className="flex justify-between gap-3">
                    <dt className="text-slate-600">Models</dt>
                    <dd className="text-right font-medium text-slate-900">{tiersLabel(wp.plan.modelTiers)}</dd>
                  </div>
                </dl>
                {account.data && <Subscription account={account.data} />}
                <p className="mt-4 text-sm">
                  <Link to="/app/settings/usage" className="font-medium text-indigo-700 hover:underline">
                    See the credits balance
                  </Link>
                </p>
              </Card>
              <Card
                title="Usage"
                description="Against the limits of the plan. Adding more than a limit allows is refused."
              >
                <UsageMeters usage={wp.usage} />
              </Card>
            </div>
            {admin && account.data?.topupEnabled && <TopUp />}
            <QueryState query={catalog} label="Loading plans…">
              {(c) => (
                <ChangePlan
                  plans={c.plans}
                  current={wp.plan}
                  billingEnabled={wp.billingEnabled}
                  selected={params.get('plan')}
                  subscribed={isSubscribed(account.data?.subscription?.status)}
                />
              )}
            </QueryState>
            {admin && account.data?.billingEnabled && account.data.hasCustomer && <Invoices />}
            <nav aria-label="Billing policies" className="text-sm text-slate-600">
              <ul className="flex flex-wrap gap-x-4 gap-y-1">
                {LEGAL_LINKS.filter((l) => ['/refunds', '/dpa', '/subprocessors', '/terms'].includes(l.to)).map((l) => (
                  <li key={l.to}>
                    <Link to={l.to} className="hover:text-slate-900 hover:underline">
                      {l.label === 'DPA' ? 'Data processing agreement' : l.label}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
          </div>
        )}
      </QueryState>
    </>
  )
}
