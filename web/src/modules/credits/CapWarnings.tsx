import { Link } from 'react-router'
import { Alert } from '../../ui/Alert.tsx'
import type { CapUsage } from './api.ts'
import { formatCredits, formatShare } from '../../lib/credits.ts'

type Props = {
  caps: CapUsage[]
  upgradeUrl: string
  /** A readable name for a cap's subject ("this workspace", a client's name, "you"). */
  subjectName: (cap: CapUsage) => string
  /** Hide the link when the page is the upgrade page itself. */
  showUpgradeLink?: boolean
  className?: string
}

const resets = (period: CapUsage['period']) =>
  period === 'daily' ? 'at midnight UTC' : 'on the 1st of next month (UTC)'

/** One alert per cap at 80 % (warning) or 100 % (reached), with the way out. */
export function CapWarnings({ caps, upgradeUrl, subjectName, showUpgradeLink = true, className = '' }: Props) {
  const shown = caps
    .filter((c) => c.level !== 'ok')
    .sort((a, b) => (a.level === b.level ? 0 : a.level === 'reached' ? -1 : 1))
  if (shown.length === 0) return null
  return (
    <div data-testid="cap-warnings" className={`space-y-2 ${className}`}>
      {shown.map((c) => {
        const reached = c.level === 'reached'
        const period = c.period === 'daily' ? 'Daily' : 'Monthly'
        return (
          <Alert
            key={`${c.subjectKind}:${c.subjectId}:${c.period}`}
            tone={reached ? 'error' : 'warning'}
            title={`${period} cap ${reached ? 'reached' : 'almost reached'} for ${subjectName(c)}`}
          >
            <p>
              {formatCredits(c.used)} of {formatCredits(c.cap)} credits used ({formatShare(c.used, c.cap)}).{' '}
              {reached
                ? `New AI calls are refused until the cap resets ${resets(c.period)}.`
                : `At 100 % new AI calls are refused until the cap resets ${resets(c.period)}.`}
            </p>
            {showUpgradeLink && (
              <p className="mt-1">
                An admin can raise the cap, or{' '}
                <Link to={upgradeUrl} className="font-medium underline">
                  upgrade the plan
                </Link>
                .
              </p>
            )}
          </Alert>
        )
      })}
    </div>
  )
}
