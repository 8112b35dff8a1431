import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import type { Handle } from '../../platform/db/database.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Ledger } from '../credits/credits.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { createEntitlements, type UsageCounters, type WorkspacePlans } from './entitlements.service.ts'
import { createCatalog, loadPlansFile } from './plans.catalog.ts'
import { plansRoutes } from './plans.routes.ts'
import { grantMonthlyCredits } from './plans.jobs.ts'
import { createPlansService } from './plans.service.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

export { PlansFileError, type Plan, type Catalog } from './plans.catalog.ts'
export { BILLING_PATH } from './plans.errors.ts'
export type { Entitlements, UsageCounters, WorkspacePlans } from './entitlements.service.ts'
export type { PlansService } from './plans.service.ts'
export { grantMonthlyCredits } from './plans.jobs.ts'

type Deps = {
  db: Handle
  config: Pick<
    Config,
    'PLANS_FILE' | 'billingEnabled' | 'STRIPE_PRICE_STARTER' | 'STRIPE_PRICE_PRO' | 'STRIPE_PRICE_AGENCY'
  >
  /** The tenancy module's answers about a workspace's plan row. */
  workspaces: WorkspacePlans
  /** Counters from the modules that own what a plan limits. */
  usage: UsageCounters
  /** Told when a limit refuses a create (alerts; see `createEntitlements`). */
  onLimitReached?: Parameters<typeof createEntitlements>[0]['onLimitReached']
}

/**
 * Plans: the catalog (config file, validated at boot) and the entitlements every module asks. Built before the
 * modules it limits; `connect` adds what needs them (the ledger for monthly credits, the scope for routes).
 */
export const createPlansModule = ({ db, config, workspaces, usage, onLimitReached }: Deps) => {
  const catalog = createCatalog(loadPlansFile(config.PLANS_FILE), {
    starter: config.STRIPE_PRICE_STARTER,
    pro: config.STRIPE_PRICE_PRO,
    agency: config.STRIPE_PRICE_AGENCY,
  })
  const entitlements = createEntitlements({ db, catalog, workspaces, usage, onLimitReached })
  return {
    catalog,
    entitlements,
    billingEnabled: config.billingEnabled,
    connect: (deps: {
      audit: AuditService
      ledger: Pick<Ledger, 'open' | 'post' | 'grantOncePerPerson' | 'hasGrant'>
      scope: ScopeResolver
      operator: OperatorGuard
      isEmailVerified: (executor: Handle, userId: string) => Promise<boolean>
    }) => {
      const plans = createPlansService({
        db,
        catalog,
        entitlements,
        workspaces,
        audit: deps.audit,
        ledger: deps.ledger,
        billingEnabled: config.billingEnabled,
        isEmailVerified: deps.isEmailVerified,
      })
      return {
        plans,
        routes: [
          async (app: FastifyInstance) => {
            await app.register(plansRoutes({ plans, scope: deps.scope, operator: deps.operator }))
          },
        ],
        jobs: [grantMonthlyCredits(plans)],
      } satisfies ModuleShape
    },
  }
}
export type PlansModule = ReturnType<typeof createPlansModule>
