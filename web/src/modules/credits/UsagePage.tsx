import { Link, useSearchParams } from 'react-router'
import { useWorkspace } from '../../app/workspace.tsx'
import { BILLING_PATH } from '../../lib/plan-limit.ts'
import { canManage } from '../../lib/roles.ts'
import { useTitle } from '../../lib/use-title.ts'
import { Card, PageHeader } from '../../ui/Card.tsx'
import { QueryState } from '../../ui/QueryState.tsx'
import { Tabs } from '../../ui/Tabs.tsx'
import { useCurrentClient } from '../clients/index.ts'
import type { CapUsage } from './api.ts'
import { BalanceCards, planLabel } from './BalanceCards.tsx'
import { CapWarnings } from './CapWarnings.tsx'
import { DisputesSection } from './DisputesSection.tsx'
import { HoldsSection } from './HoldsSection.tsx'
import { LedgerSection } from './LedgerSection.tsx'
import { LimitsSection } from './LimitsSection.tsx'
import { useBalance, useNames } from './queries.ts'
import type { Names } from './queries.ts'
import { SpendSection } from './SpendSection.tsx'
import { StatementsSection } from './StatementsSection.tsx'

const TABS = [
  { key: 'spend', label: 'Spend' },
  { key: 'ledger', label: 'Ledger' },
  { key: 'holds', label: 'Holds' },
  { key: 'disputes', label: 'Disputes' },
  { key: 'statements', label: 'Statements' },
  { key: 'limits', label: 'Limits' },
] as const
type TabKey = (typeof TABS)[number]['key']

export const capSubjectName = (c: CapUsage, names: Names, me: string | undefined) =>
  c.subjectKind === 'workspace'
    ? 'this workspace'
    : c.subjectKind === 'user'
      ? c.subjectId === me
        ? 'you'
        : names.user(c.subjectId)
      : names.client(c.subjectId)

/** /app/settings/usage: credits of the workspace — balance, caps, spend, ledger, holds, disputes, statements, limits. */
export function UsagePage() {
  useTitle('Usage & credits')
  const { workspace, role } = useWorkspace()
  const { client } = useCurrentClient()
  const balance = useBalance(client?.id ?? null)
  const names = useNames()
  const [params, setParams] = useSearchParams()
  const tab: TabKey = TABS.find((t) => t.key === params.get('tab'))?.key ?? 'spend'
  const select = (key: TabKey) => setParams(key === 'spend' ? {} : { tab: key }, { replace: true })
  return (
    <>
      <PageHeader
        title="Usage & credits"
        description={`Every AI call in ${workspace.name} is charged in credits from this balance. Amounts are shown in credits.`}
      />
      <QueryState query={balance} label="Loading the balance…" skeleton="tiles">
        {(b) => (
          <div className="mb-8 space-y-4">
            <BalanceCards balance={b} />
            <CapWarnings
              caps={b.caps}
              upgradeUrl={b.upgradeUrl}
              showUpgradeLink={false}
              subjectName={(c) => capSubjectName(c, names, names.me)}
            />
            <Card className="bg-slate-50!">
              <div id="upgrade" className="flex flex-wrap items-center justify-between gap-3 text-sm text-slate-700">
                <p>
                  Plan: <strong className="font-semibold text-slate-900">{planLabel(b.plan)}</strong>.{' '}
                  {canManage(role)
                    ? 'Need more credits or higher caps? Upgrade the plan or buy a top-up from your Camarad provider; raise caps under Limits.'
                    : 'Need more credits? Ask an owner or admin of this workspace to upgrade the plan or raise a cap.'}
                </p>
                <Link to={BILLING_PATH} className="font-medium text-indigo-700 hover:underline">
                  See plans and limits
                </Link>
              </div>
            </Card>
          </div>
        )}
      </QueryState>
      <Tabs label="Usage sections" tabs={[...TABS]} current={tab} onSelect={select}>
        {tab === 'spend' && <SpendSection names={names} />}
        {tab === 'ledger' && <LedgerSection names={names} />}
        {tab === 'holds' && <HoldsSection names={names} />}
        {tab === 'disputes' && <DisputesSection names={names} />}
        {tab === 'statements' && <StatementsSection names={names} />}
        {tab === 'limits' && <LimitsSection names={names} />}
      </Tabs>
    </>
  )
}
