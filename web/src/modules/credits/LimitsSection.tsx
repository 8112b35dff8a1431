import { useQuery } from '@tanstack/react-query'
import { useWorkspace } from '../../app/workspace.tsx'
import { canManage } from '../../lib/roles.ts'
import { Card } from '../../ui/Card.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { creditKeys, getLimits } from './api.ts'
import type { LimitsDto } from './api.ts'
import { CapsEditor } from './CapsEditor.tsx'
import { formatCredits } from '../../lib/credits.ts'
import { LimitsForm } from './LimitsForm.tsx'
import type { Names } from './queries.ts'

function LimitsSummary({ limits }: { limits: LimitsDto }) {
  const rows = [
    [
      'Most one request may cost',
      limits.perRequestCap === null ? 'No cap' : `${formatCredits(limits.perRequestCap)} credits`,
    ],
    ['Answers at the same time', String(limits.maxConcurrentStreams)],
    ['Requests per minute, per member', String(limits.requestsPerMinuteUser)],
    ['Requests per minute, whole workspace', String(limits.requestsPerMinuteWorkspace)],
  ]
  return (
    <dl className="grid gap-x-6 gap-y-3 sm:grid-cols-2">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt className="text-sm text-slate-600">{k}</dt>
          <dd className="font-medium text-slate-900">{v}</dd>
        </div>
      ))}
    </dl>
  )
}

/** Limits and caps: everyone sees them, admins change them. */
export function LimitsSection({ names }: { names: Names }) {
  const { workspace, role } = useWorkspace()
  const admin = canManage(role)
  const query = useQuery({
    queryKey: creditKeys.limits(workspace.id),
    queryFn: ({ signal }) => getLimits(workspace.id, signal),
  })
  return (
    <QueryState query={query} label="Loading limits…">
      {(limits) => (
        <div className="space-y-6">
          {!admin && <p className="text-sm text-slate-600">Only admins can change limits and caps.</p>}
          <Card title="Request limits" description="Guard rails against runaway scripts and surprise bills.">
            {admin ? <LimitsForm limits={limits} /> : <LimitsSummary limits={limits} />}
          </Card>
          <Card
            title="Spending caps"
            description="Daily and monthly ceilings on credits, for the whole workspace, one client or one member."
          >
            <CapsEditor caps={limits.caps} names={names} editable={admin} />
          </Card>
        </div>
      )}
    </QueryState>
  )
}
