import type { Handle } from '../../platform/db/database.ts'
import type { OperatorPlanPut, WorkspacePlanDto } from '../../../contracts/plans.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { monthKey, type Ledger } from '../credits/credits.module.ts'
import type { Entitlements, WorkspacePlans } from './entitlements.service.ts'
import { AppError } from '../../platform/http/errors.ts'
import { toPlanDto, type Catalog, type Plan } from './plans.catalog.ts'
import { BILLING_PATH, plansErrors } from './plans.errors.ts'
import { tenancyErrors } from '../tenancy/tenancy.module.ts'

type Deps = {
  db: Handle
  catalog: Catalog
  entitlements: Entitlements
  workspaces: WorkspacePlans
  audit: AuditService
  ledger: Pick<Ledger, 'open' | 'post' | 'grantOncePerPerson' | 'hasGrant'>
  billingEnabled: boolean
  now?: () => Date
  /** Identity's answer: Free-plan credits go to verified people only. */
  isEmailVerified: (executor: Handle, userId: string) => Promise<boolean>
}

/** The one request id of a plan's monthly credits: the operator's assignment and the monthly job share it. */
const monthlyGrantId = (workspaceId: string, planId: string, month: string) => `plan:${workspaceId}:${planId}:${month}`
/** Free credits are a person's (the owner's), not a workspace's: one request id per owner and month across workspaces. */
const freeGrantId = (ownerUserId: string, month: string) => `free:${ownerUserId}:${month}`
const FREE = 'free'

/** A workspace's plan and usage, and the operator's assignment of a plan in self-hosted mode. */
export const createPlansService = ({
  db,
  catalog,
  entitlements,
  workspaces,
  audit,
  ledger,
  billingEnabled,
  isEmailVerified,
  now = () => new Date(),
}: Deps) => {
  /**
   * Posts a plan's credits for `month` in `trx` unless granted already; true when this call granted them. Free credits
   * only for a workspace whose owner verified their email, once per owner and month (a unique index decides).
   */
  const postMonth = async (
    trx: Handle,
    workspaceId: string,
    plan: Plan,
    month: string,
    createdBy: 'system' | 'operator',
  ) => {
    const amount = BigInt(plan.monthlyCredits) * 1_000_000n
    const reason = `${plan.name} plan: monthly credits for ${month}`
    if (plan.id === FREE) {
      const owner = await workspaces.ownerOf(trx, workspaceId)
      if (!owner || !(await isEmailVerified(trx, owner))) return false
      // Granted this month under the per-workspace id used before Free credits became the owner's: not twice.
      if (await ledger.hasGrant(trx, workspaceId, monthlyGrantId(workspaceId, plan.id, month))) return false
      return ledger.grantOncePerPerson(trx, {
        workspaceId,
        amount,
        requestId: freeGrantId(owner, month),
        reason,
        userId: owner,
        createdBy,
      })
    }
    await ledger.open(trx, workspaceId)
    const res = await ledger.post(trx, {
      workspaceId,
      kind: 'grant',
      amount,
      requestId: monthlyGrantId(workspaceId, plan.id, month),
      reason,
      createdBy,
    })
    return !res.replay
  }

  const describe = async (workspaceId: string): Promise<WorkspacePlanDto> => {
    const { plan, usage } = await entitlements.usage(workspaceId)
    return { workspaceId, plan: toPlanDto(plan), usage, billingEnabled, upgradeUrl: BILLING_PATH }
  }

  /** Grants one workspace its plan's credits for `month` unless already granted; true when this call granted them. */
  const grantMonth = async (workspaceId: string, month: string) => {
    try {
      return await db.transaction().execute(async (trx) => {
        // Read again under the row lock: the plan may have changed since the page was read.
        const planId = await workspaces.lockPlan(trx, workspaceId)
        if (planId === undefined || (billingEnabled && planId !== FREE)) return false
        const plan = catalog.get(planId)
        if (plan.monthlyCredits <= 0) return false
        return postMonth(trx, workspaceId, plan, month, 'system')
      })
    } catch (err) {
      // The month was granted already under another amount (the catalog was edited since): still once a month.
      if (err instanceof AppError && err.code === 'request.idempotency_mismatch') return false
      throw err
    }
  }

  return {
    catalog: () => ({ plans: catalog.plans.map(toPlanDto), billingEnabled }),

    /**
     * The monthly credits of the plans Stripe does not bill: every workspace in self-hosted mode, only workspaces on
     * Free with Stripe (a paid plan's credits come with each paid invoice). Once per workspace and calendar month (UTC),
     * whatever the number of runs, under the request id the operator's assignment uses, so the two never both grant a
     * month of the same plan. Workspaces are read `pageSize` at a time, by id.
     */
    async grantMonthlyCredits(at: Date = now(), pageSize = 200) {
      const month = monthKey(at)
      let after: string | undefined
      let granted = 0
      for (;;) {
        const page = await workspaces.page(db, { after, limit: pageSize, ...(billingEnabled ? { plans: [FREE] } : {}) })
        for (const ws of page) if (await grantMonth(ws.id, month)) granted++
        if (page.length < pageSize) break
        after = page.at(-1)!.id
      }
      return { month, granted }
    },
    describe,

    /**
     * Sets the plan (self-hosted mode only: while Stripe manages billing a plan is never set locally) and grants its
     * monthly credits for the current month once, whatever the number of calls (request id `plan:<ws>:<plan>:<YYYY-MM>`).
     */
    async assign(workspaceId: string, body: OperatorPlanPut) {
      if (billingEnabled) throw plansErrors.managed_by_stripe()
      const plan = catalog.find(body.plan)
      if (!plan) throw plansErrors.unknown({ plan: body.plan })
      const month = monthKey(now())
      const grantedCredits = await db.transaction().execute(async (trx) => {
        const before = await workspaces.lockPlan(trx, workspaceId)
        if (before === undefined) throw tenancyErrors.workspace_not_found()
        if (before !== plan.id) await workspaces.setPlan(trx, workspaceId, plan.id)
        let granted = 0
        if (plan.monthlyCredits > 0 && (await postMonth(trx, workspaceId, plan, month, 'operator')))
          granted = plan.monthlyCredits
        await audit.record(trx, {
          action: 'plan.assigned',
          workspaceId,
          targetType: 'workspace',
          targetId: workspaceId,
          metadata: { from: before, to: plan.id, reason: body.reason, grantedCredits: granted },
        })
        return granted
      })
      return { ...(await describe(workspaceId)), grantedCredits }
    },
  }
}
export type PlansService = ReturnType<typeof createPlansService>
