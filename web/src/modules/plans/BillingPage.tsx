import { useQuery } from '@tanstack/react-query'
import { Link, useSearchParams } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { useTitle } from '../../lib/use-title.ts'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { getPlans, getWorkspacePlan, planKeys } from './api.ts'
import { ChangePlan } from './ChangePlan.tsx'
import { formatCount, formatPrice, tiersLabel } from './format.ts'
import { UsageMeters } from './UsageMeters.tsx'

/** /app/settings/billing: the workspace's plan, its usage against each limit, and the other plans. */
export function BillingPage() {
  useTitle('Plan & billing')
  const { workspace } = useWorkspace()
  const [params] = useSearchParams()
  const current = useQuery({ queryKey: planKeys.workspace(workspace.id), queryFn: ({ signal }) => getWorkspacePlan(workspace.id, signal) })
  const catalog = useQuery({ queryKey: planKeys.catalog, queryFn: ({ signal }) => getPlans(signal), staleTime: 300_000 })
  return (
    <>
      <PageHeader title="Plan & billing" description={`What ${workspace.name} may use, and how much of it is used now.`} />
      <QueryState query={current} label="Loading the plan…">
        {(wp) => (
          <div className="space-y-8">
            <div className="grid gap-4 lg:grid-cols-[minmax(0,20rem)_1fr]">
              <Card title="Current plan">
                <p data-testid="current-plan" className="text-2xl font-semibold tracking-tight text-slate-900">{wp.plan.name}</p>
                <p className="mt-1 text-sm text-slate-600">{wp.plan.description}</p>
                <dl className="mt-4 space-y-1 text-sm">
                  <div className="flex justify-between gap-3"><dt className="text-slate-600">Price</dt><dd className="font-medium text-slate-900">{formatPrice(wp.plan.priceMonthlyCents)} per month</dd></div>
                  <div className="flex justify-between gap-3"><dt className="text-slate-600">Credits</dt><dd className="font-medium text-slate-900">{formatCount(wp.plan.monthlyCredits)} each month</dd></div>
                  <div className="flex justify-between gap-3"><dt className="text-slate-600">Models</dt><dd className="text-right font-medium text-slate-900">{tiersLabel(wp.plan.modelTiers)}</dd></div>
                </dl>
                <p className="mt-4 text-sm">
                  <Link to="/app/settings/usage" className="font-medium text-indigo-700 hover:underline">See the credits balance</Link>
                </p>
              </Card>
              <Card title="Usage" description="Against the limits of the plan. Adding more than a limit allows is refused.">
                <UsageMeters usage={wp.usage} />
              </Card>
            </div>
            <QueryState query={catalog} label="Loading plans…">
              {(c) => <ChangePlan plans={c.plans} current={wp.plan} billingEnabled={wp.billingEnabled} selected={params.get('plan')} />}
            </QueryState>
          </div>
        )}
      </QueryState>
    </>
  )
}
