import { useEffect, useRef } from 'react'
import { Link } from 'react-router'
import { planLimitReached } from '../lib/plan-limit.ts'
import { Alert } from './Alert.tsx'

/**
 * A form's server error, brought into view (it sits above fields the submit button may be far below). A plan
 * limit (402 `plan.limit_reached`) is titled as such and links to the plans, where the create happened.
 */
export function FormError({
  error,
  message,
  className = '',
}: {
  error: unknown
  message: string | null
  className?: string
}) {
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (message) ref.current?.scrollIntoView?.({ block: 'nearest' })
  }, [message, error])
  if (!message) return null
  const limit = planLimitReached(error)
  return (
    <div ref={ref} className={className}>
      {limit ? (
        <Alert tone="error" title="Plan limit reached">
          <p data-testid="plan-limit-error">
            {message}{' '}
            <Link to={limit.upgradeUrl} className="font-medium underline">
              See plans
            </Link>
          </p>
        </Alert>
      ) : (
        <Alert tone="error">{message}</Alert>
      )}
    </div>
  )
}
