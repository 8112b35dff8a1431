import type { Db } from '../../platform/db/database.ts'
import type { OperatorPlanPut, WorkspacePlanDto } from '../../../contracts/plans.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Ledger } from '../credits/credits.module.ts'
import type { Entitlements, WorkspacePlans } from './entitlements.service.ts'
import { toPlanDto, type Catalog } from './plans.catalog.ts'
import { BILLING_PATH, managedByStripe, unknownPlan, workspaceNotFound } from './plans.errors.ts'

type Deps = {
  db: Db; catalog: Catalog; entitlements: Entitlements; workspaces: WorkspacePlans; audit: AuditService
  ledger: Pick<Ledger, 'open' | 'post'>; billingEnabled: boolean; now?: () => Date
}

const monthOf = (d: Date) => d.toISOString().slice(0, 7)

/** A workspace's plan and usage, and the operator's assignment of a plan in self-hosted mode. */
export const createPlansService = ({ db, catalog, entitlements, workspaces, audit, ledger, billingEnabled, now = () => new Date() }: Deps) => {
  const describe = async (workspaceId: string): Promise<WorkspacePlanDto> => {
    const { plan, usage } = await entitlements.usage(workspaceId)
    return { workspaceId, plan: toPlanDto(plan), usage, billingEnabled, upgradeUrl: BILLING_PATH }
  }

  return {
    catalog: () => ({ plans: catalog.plans.map(toPlanDto), billingEnabled }),
    describe,

    /**
     * Sets the plan (self-hosted mode only: while Stripe manages billing a plan is never set locally) and grants its
     * monthly credits for the current month once, whatever the number of calls (request id `plan:<ws>:<plan>:<YYYY-MM>`).
     */
    async assign(workspaceId: string, body: OperatorPlanPut) {
      if (billingEnabled) throw managedByStripe()
      const plan = catalog.find(body.plan)
      if (!plan) throw unknownPlan(body.plan)
      const month = monthOf(now())
      const grantedCredits = await db.transaction().execute(async (trx) => {
        const before = await workspaces.lockPlan(trx, workspaceId)
        if (before === undefined) throw workspaceNotFound()
        if (before !== plan.id) await workspaces.setPlan(trx, workspaceId, plan.id)
        let granted = 0
        if (plan.monthlyCredits > 0) {
          await ledger.open(trx, workspaceId)
          const res = await ledger.post(trx, {
            workspaceId, kind: 'grant', amount: BigInt(plan.monthlyCredits) * 1_000_000n, requestId: `plan:${workspaceId}:${plan.id}:${month}`,
            reason: `${plan.name} plan: monthly credits for ${month}`, createdBy: 'operator',
          })
          if (!res.replay) granted = plan.monthlyCredits
        }
        await audit.record(trx, { action: 'plan.assigned', workspaceId, targetType: 'workspace', targetId: workspaceId, metadata: { from: before, to: plan.id, reason: body.reason, grantedCredits: granted } })
        return granted
      })
      return { ...(await describe(workspaceId)), grantedCredits }
    },
  }
}
export type PlansService = ReturnType<typeof createPlansService>
