import { Link } from 'react-router'
import { planLimitReached } from '../lib/plan-limit.ts'
import { Alert } from './Alert.tsx'

/**
 * A form's server error. A plan limit (402 `plan.limit_reached`) is titled as such and links to the plans,
 * so whoever hits it sees the way out where they were creating something.
 */
export function FormError({ error, message, className = '' }: { error: unknown; message: string | null; className?: string }) {
  if (!message) return null
  const limit = planLimitReached(error)
  if (!limit) return <Alert tone="error" className={className}>{message}</Alert>
  return (
    <Alert tone="error" title="Plan limit reached" className={className}>
      <p data-testid="plan-limit-error">
        {message} <Link to={limit.upgradeUrl} className="font-medium underline">See plans</Link>
      </p>
    </Alert>
  )
}
