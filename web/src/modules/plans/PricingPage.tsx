import { useQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import { useAuthStatus } from '../../app/session.ts'
import { BILLING_PATH } from '../../lib/plan-limit.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Alert } from '../../ui/Alert.tsx'
import { buttonClass } from '../../ui/Button.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { getPlans, planKeys } from './api.ts'
import type { PlanDto } from './api.ts'
import { isFree } from './format.ts'
import { PlanCard } from './PlanCard.tsx'

/** Free starts an account (or opens the app); a paid plan goes to sign-up, or to billing when signed in. */
function PlanAction({ plan, signedIn }: { plan: PlanDto; signedIn: boolean }) {
  const wide = 'w-full'
  if (isFree(plan)) {
    return signedIn ? (
      <Link to="/app" className={buttonClass('secondary', wide)}>
        Open your workspace
      </Link>
    ) : (
      <Link to="/signup" className={buttonClass('secondary', wide)}>
        Start free
      </Link>
    )
  }
  const to = signedIn
    ? `${BILLING_PATH}?plan=${encodeURIComponent(plan.id)}`
    : `/signup?plan=${encodeURIComponent(plan.id)}`
  return (
    <Link to={to} className={buttonClass('primary', wide)}>
      Choose {plan.name}
    </Link>
  )
}

/** /pricing: generated from the plan catalog of this server. */
export function PricingPage() {
  useTitle('Pricing')
  const signedIn = useAuthStatus().data?.authenticated ?? false
  const plans = useQuery({ queryKey: planKeys.catalog, queryFn: ({ signal }) => getPlans(signal), staleTime: 300_000 })
  return (
    <>
      <section className="bg-gradient-to-b from-indigo-50 to-slate-50">
        <div className="mx-auto max-w-3xl px-6 pt-16 pb-10 text-center">
          <h1 className="text-4xl font-bold tracking-tight text-slate-900">Pricing</h1>
          <p className="mx-auto mt-4 max-w-2xl text-lg text-slate-700">
            Every plan comes with monthly AI credits. Prices are in euros, per workspace and per month.
          </p>
          {!signedIn && (
            <div className="mt-8 flex flex-wrap justify-center gap-3">
              <Link to="/signup" className={buttonClass('primary', 'px-5 py-2.5 text-base')}>
                Start free
              </Link>
              <Link to="/chat-demo" className={buttonClass('secondary', 'px-5 py-2.5 text-base')}>
                Try the demo
              </Link>
            </div>
          )}
        </div>
      </section>
      <div className="mx-auto max-w-6xl px-6 pb-16">
        <QueryState query={plans} label="Loading plans…">
          {({ plans: list, billingEnabled }) => (
            <>
              {!billingEnabled && (
                <Alert tone="info" title="This Camarad is self-hosted" className="mb-8">
                  <p>
                    Plans on this server are assigned by its operator; nothing is paid online here. The catalog below
                    shows what each plan includes.
                  </p>
                </Alert>
              )}
              <div className="grid gap-6 sm:grid-cols-2 lg:grid-cols-4">
                {list.map((p) => (
                  <PlanCard key={p.id} plan={p}>
                    <PlanAction plan={p} signedIn={signedIn} />
                  </PlanCard>
                ))}
              </div>
              <p className="mt-8 text-center text-sm text-slate-600">
                Credits pay for AI calls; every call is recorded in your workspace’s credits ledger.
              </p>
            </>
          )}
        </QueryState>
      </div>
    </>
  )
}
