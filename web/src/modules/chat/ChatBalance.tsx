import { Link } from 'react-router'
import { formatCredits } from '../../lib/credits.ts'
import { useBalance } from '../credits/index.ts'
import { cx } from '../../lib/cx.ts'

/** "49.60 credits available" in the chat header, refreshed after each answer; a link to the usage page. */
export function ChatBalance({ clientId }: { clientId: string }) {
  const balance = useBalance(clientId)
  if (!balance.data) return null
  const low = balance.data.available === 0 || balance.data.caps.some((c) => c.level === 'reached')
  return (
    <Link
      to="/app/settings/usage"
      data-testid="chat-balance"
      className={cx(
        'inline-flex items-center gap-1 rounded-full border px-3 py-1 text-sm whitespace-nowrap hover:underline',
        low ? 'border-red-200 bg-red-50 text-red-800' : 'border-slate-200 bg-white text-slate-700',
      )}
    >
      <span className="font-semibold tabular-nums">{formatCredits(balance.data.available)}</span> credits available
    </Link>
  )
}
