import type { CreditBalance } from './api.ts'
import { formatCredits } from '../../lib/credits.ts'

const PLAN_LABELS: Record<string, string> = { free: 'Free' }
export const planLabel = (plan: string) => PLAN_LABELS[plan] ?? plan.charAt(0).toUpperCase() + plan.slice(1)

function Stat({
  label,
  value,
  hint,
  testId,
  strong = false,
}: {
  label: string
  value: string
  hint: string
  testId: string
  strong?: boolean
}) {
  return (
    <div className={`rounded-lg border bg-white p-5 shadow-sm ${strong ? 'border-indigo-200' : 'border-slate-200'}`}>
      <dt className="text-sm font-medium text-slate-600">{label}</dt>
      <dd className="mt-1">
        <span
          data-testid={testId}
          className={`text-2xl font-semibold tracking-tight tabular-nums ${strong ? 'text-indigo-800' : 'text-slate-900'}`}
        >
          {value}
        </span>
        <span className="ml-1 text-sm text-slate-600">credits</span>
        <span className="mt-1 block text-xs text-slate-500">{hint}</span>
      </dd>
    </div>
  )
}

/** Available (what new calls can use), balance and held, as three figures. */
export function BalanceCards({ balance }: { balance: CreditBalance }) {
  return (
    <dl className="grid gap-4 sm:grid-cols-3">
      <Stat
        label="Available"
        value={formatCredits(balance.available)}
        hint="What new AI calls can use now"
        testId="credits-available"
        strong
      />
      <Stat
        label="Balance"
        value={formatCredits(balance.balance)}
        hint="Everything granted or bought, minus what was charged"
        testId="credits-balance"
      />
      <Stat
        label="Held"
        value={formatCredits(balance.held)}
        hint="Reserved by answers being written right now"
        testId="credits-held"
      />
    </dl>
  )
}
