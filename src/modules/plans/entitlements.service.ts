import type { Handle } from '../../platform/db/database.ts'
import type { LimitKey, PlanLimits } from '../../../contracts/plans.ts'
import type { Catalog, ModelTier } from './plans.catalog.ts'
import { plansErrors } from './plans.errors.ts'
import { tenancyErrors } from '../tenancy/tenancy.module.ts'

/** What the tenancy module answers about a workspace's plan (it owns the `workspaces` row). */
export type WorkspacePlans = {
  planOf(executor: Handle, workspaceId: string): Promise<string | undefined>
  /** Reads the plan under the workspace row lock (`FOR UPDATE`) that serialises the workspace's creates. */
  lockPlan(executor: Handle, workspaceId: string): Promise<string | undefined>
  setPlan(executor: Handle, workspaceId: string, plan: string): Promise<void>
  /** Workspaces and their plans ordered by id, `limit` at a time after the id `after` (only those on `plans` if given). */
  page(
    executor: Handle,
    q: { after?: string; limit: number; plans?: string[] },
  ): Promise<{ id: string; plan: string }[]>
  /** The workspace's first owner: Free-plan credits are that person's, once a month whatever the number of workspaces. */
  ownerOf(executor: Handle, workspaceId: string): Promise<string | undefined>
}

/** How much of a limit a workspace uses now, asked of the module that owns what is counted. */
export type UsageCounters = Partial<Record<LimitKey, (executor: Handle, workspaceId: string) => Promise<number>>>

export const LIMIT_KEYS = [
  'clients',
  'members',
  'customAgents',
  'flows',
  'channelNumbers',
  'connectors',
  'messagesPerMonth',
] as const satisfies readonly (keyof PlanLimits)[]

/**
 * The one place that answers "may this workspace create another …?" and "may it use this model?". A check run
 * inside the caller's transaction takes the workspace row lock first, so two concurrent creates cannot both
 * take the last slot.
 */
export const createEntitlements = ({
  db,
  catalog,
  workspaces,
  usage,
  onLimitReached,
}: {
  db: Handle
  catalog: Catalog
  workspaces: WorkspacePlans
  usage: UsageCounters
  /**
   * Told when a check refuses (alerts). The refusal rolls the caller's transaction back, so whatever this writes it
   * writes on its own, after: it must not wait for the caller (it is not awaited).
   */
  onLimitReached?: (
    workspaceId: string,
    d: { limit: LimitKey; max: number; used: number; plan: string; planName: string },
  ) => void
}) => {
  // A limit no module counts (none today) counts 0.
  const used = (executor: Handle, workspaceId: string, key: LimitKey) =>
    usage[key]?.(executor, workspaceId) ?? Promise.resolve(0)

  const planOf = async (workspaceId: string, executor: Handle = db) => {
    const id = await workspaces.planOf(executor, workspaceId)
    if (id === undefined) throw tenancyErrors.workspace_not_found()
    return catalog.get(id)
  }

  return {
    planOf,
    allowsModelTier: (plan: string, tier: ModelTier) => catalog.allowsModelTier(plan, tier),

    /**
     * Throws 402 `plan.limit_reached` when `adding` more would pass the plan's limit; call it in the insert's transaction.
     * `counted` replaces the limit's usual counter when the caller needs another count (still read under the lock).
     */
    async check(
      executor: Handle,
      workspaceId: string,
      key: LimitKey,
      adding = 1,
      counted?: (executor: Handle) => Promise<number>,
    ) {
      const id = executor.isTransaction
        ? await workspaces.lockPlan(executor, workspaceId)
        : await workspaces.planOf(executor, workspaceId)
      if (id === undefined) throw tenancyErrors.workspace_not_found()
      const plan = catalog.get(id)
      const max = plan.limits[key]
      if (max === null) return
      const now = counted ? await counted(executor) : await used(executor, workspaceId, key)
      if (now + adding > max) {
        const reached = { limit: key, max, used: now, plan: plan.id, planName: plan.name }
        onLimitReached?.(workspaceId, reached)
        throw plansErrors.limit_reached(reached)
      }
    },

    /** Use against every limit of the workspace's plan. */
    async usage(workspaceId: string) {
      const plan = await planOf(workspaceId)
      const counts = await Promise.all(LIMIT_KEYS.map((key) => used(db, workspaceId, key)))
      return { plan, usage: LIMIT_KEYS.map((key, i) => ({ key, used: counts[i]!, limit: plan.limits[key] })) }
    },
  }
}
export type Entitlements = ReturnType<typeof createEntitlements>
