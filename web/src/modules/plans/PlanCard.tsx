import type { ReactNode } from 'react'
import type { PlanDto } from './api.ts'
import { formatCount } from '../../lib/format.ts'
import { formatPrice, LIMITS, limitValue, tiersLabel } from './format.ts'

type Props = {
  plan: PlanDto
  /** h2 on the pricing page, h3 under a section heading. */
  level?: 2 | 3
  /** A small label above the name ("Current plan", "Selected"); '' keeps its room so cards side by side align. */
  badge?: string
  emphasis?: boolean
  /** The call to action, at the bottom of the card. */
  children?: ReactNode
}

/** One plan: price, credits, model tiers, every limit ("Unlimited" for none) and its highlights. */
export function PlanCard({ plan, level = 2, badge, emphasis = false, children }: Props) {
  const Heading = level === 2 ? 'h2' : 'h3'
  const headingId = `plan-${plan.id}-name`
  return (
    <article
      aria-labelledby={headingId}
      data-testid="plan-card"
      data-plan={plan.id}
      className={`flex flex-col rounded-lg border bg-white p-6 shadow-sm ${emphasis ? 'border-indigo-300 ring-2 ring-indigo-600' : 'border-slate-200'}`}
    >
      {badge !== undefined && (
        <p className="mb-1 h-5 text-xs font-semibold tracking-wide text-indigo-700 uppercase">{badge}</p>
      )}
      <Heading id={headingId} className="text-lg font-semibold text-slate-900">
        {plan.name}
      </Heading>
      <p className="mt-1 min-h-10 text-sm text-slate-600">{plan.description}</p>
      <p className="mt-4">
        <span data-testid="plan-price" className="text-3xl font-bold tracking-tight text-slate-900 tabular-nums">
          {formatPrice(plan.priceMonthlyCents)}
        </span>
        <span className="ml-1 text-sm text-slate-600">per month</span>
      </p>
      <p className="mt-1 text-sm font-medium text-slate-800">
        <span data-testid="plan-credits">{formatCount(plan.monthlyCredits)}</span> credits each month
      </p>
      <p className="text-sm text-slate-600">{tiersLabel(plan.modelTiers)}</p>
      <dl className="mt-5 divide-y divide-slate-100 border-y border-slate-100 text-sm">
        {LIMITS.map((l) => (
          <div key={l.key} className="flex justify-between gap-3 py-1.5">
            <dt className="text-slate-600">{l.label}</dt>
            <dd className="font-medium text-slate-900 tabular-nums">{limitValue(plan.limits[l.key])}</dd>
          </div>
        ))}
      </dl>
      {plan.highlights.length > 0 && (
        <ul className="mt-5 space-y-2 text-sm text-slate-700">
          {plan.highlights.map((h) => (
            <li key={h} className="flex gap-2">
              <span aria-hidden="true" className="font-bold text-indigo-700">
                ✓
              </span>
              <span>{h}</span>
            </li>
          ))}
        </ul>
      )}
      {children && <div className="mt-auto pt-6">{children}</div>}
    </article>
  )
}
