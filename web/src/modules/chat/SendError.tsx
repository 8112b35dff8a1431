import { Link } from 'react-router'
import { ApiError, errorMessage } from '../../lib/api.ts'
import { safeNext } from '../../lib/navigation.ts'
import { planLimitReached } from '../../lib/plan-limit.ts'
import { formatCredits } from '../../lib/credits.ts'
import { UPGRADE_PATH } from './DraftEstimate.tsx'

type Details = { estimate?: unknown; available?: unknown; upgradeUrl?: unknown; modelId?: unknown; plan?: unknown }

const detailsOf = (e: ApiError): Details => (e.details && typeof e.details === 'object' ? (e.details as Details) : {})
const upgradeLink = (d: Details) => (typeof d.upgradeUrl === 'string' && safeNext(d.upgradeUrl)) || UPGRADE_PATH
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** Why a question was refused, in words, with the way out: credits, caps, throttling, the plan's models. */
export function SendError({ error }: { error: unknown }) {
  if (!(error instanceof ApiError)) return <p>{errorMessage(error)}</p>
  const d = detailsOf(error)
  const link = (label: string) => (
    <Link to={upgradeLink(d)} className="font-medium underline">
      {label}
    </Link>
  )
  if (error.code === 'credits.insufficient') {
    const estimate = num(d.estimate)
    const available = num(d.available)
    return (
      <div data-testid="send-error" data-code={error.code}>
        <p className="font-semibold">Not enough credits</p>
        <p className="mt-1">
          {estimate !== null && available !== null
            ? `This message may cost up to ${formatCredits(estimate)} credits and ${formatCredits(available)} are available.`
            : error.message}{' '}
          {link('Get more credits')}
        </p>
      </div>
    )
  }
  if (error.code === 'credits.cap_reached') {
    return (
      <div data-testid="send-error" data-code={error.code}>
        <p className="font-semibold">Spending cap reached</p>
        <p className="mt-1">
          {error.message} {link('See usage and caps')}
        </p>
      </div>
    )
  }
  if (error.status === 429) {
    const secs = error.retryAfterSeconds
    return (
      <div data-testid="send-error" data-code={error.code}>
        <p className="font-semibold">Too many requests</p>
        <p className="mt-1">
          {secs
            ? `Wait ${secs} ${secs === 1 ? 'second' : 'seconds'}, then send again.`
            : 'Wait a moment, then send again.'}
        </p>
      </div>
    )
  }
  const limit = planLimitReached(error)
  if (limit) {
    return (
      <div data-testid="send-error" data-code={error.code}>
        <p className="font-semibold">Plan limit reached</p>
        <p className="mt-1">
          {error.message}{' '}
          <Link to={limit.upgradeUrl} className="font-medium underline">
            See plans
          </Link>
        </p>
      </div>
    )
  }
  if (error.code === 'model.not_in_plan') {
    return (
      <div data-testid="send-error" data-code={error.code}>
        <p className="font-semibold">This model is not in your plan</p>
        <p className="mt-1">
          {error.message} Choose another model, or {link('see how to upgrade')}.
        </p>
      </div>
    )
  }
  return <p>{error.message}</p>
}
