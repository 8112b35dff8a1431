import type { Invalidations } from '../../platform/cache/who-cache.ts'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import type { Kysely } from 'kysely'
import type { Handle } from '../../platform/db/database.ts'
import type { CreditsTables } from './credits.tables.ts'
import type { CounterStore } from '../../platform/http/counter-store.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { CatalogEntry, ModelCallRecord } from '../models/models.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { creditsRoutes } from './credits.routes.ts'
import { createCreditsService } from './credits.service.ts'
import { createLimitsService, type TenancyLookups } from './limits.service.ts'
import { createSpendService } from './spend.service.ts'
import { createStatementsService } from './statements.service.ts'
import { disputesRoutes } from './disputes.routes.ts'
import { createDisputesService } from './disputes.service.ts'
import { buildStatements, sweepExpiredHolds } from './credits.jobs.ts'
import { createLedger } from './ledger.ts'
import { createCreditsMetrics } from './credits.metrics.ts'
import { createMetering, type AllowsModelTier } from './metering.ts'
import { createPriceBook } from './price-book.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

export { createLedger, type Ledger, type HoldRequest, type SettleRequest } from './ledger.ts'
export { createMetering, type AllowsModelTier, type Metering, type MeteredCall, type Estimate } from './metering.ts'
export { createPriceBook, type PriceBook } from './price-book.ts'
export {
  costPico,
  creditsFor,
  estimateCredits,
  formatCredits,
  picoToUsdMicro,
  MICRO,
  type Price,
  type Rate,
} from './pricing.ts'
export { creditsErrors, UPGRADE_PATH } from './credits.errors.ts'
export type { CreditsService } from './credits.service.ts'
export type { LimitsService, TenancyLookups } from './limits.service.ts'
export type { SpendService } from './spend.service.ts'
export type { StatementsService } from './statements.service.ts'
export { monthKey } from './caps.ts'
export type { DisputesService } from './disputes.service.ts'
export type { CreditHold, CreditRate, ModelPrice } from './credits.tables.ts'

type Deps = {
  db: Kysely<CreditsTables>
  /** Other processes' price and rate changes (ADR 0009's channel): the price book drops its copy. */
  invalidations?: Invalidations
  /** The models module's usage record, written with a surface's rows by `MeteredCall.complete`. */
  recordCall: (trx: Handle, r: ModelCallRecord) => Promise<unknown>
  audit: AuditService
  counters: CounterStore
  scope: ScopeResolver
  operator: OperatorGuard
  config: Pick<
    Config,
    | 'CREDITS_WELCOME'
    | 'CREDITS_HOLD_TTL_SECONDS'
    | 'CREDITS_PER_REQUEST_CAP'
    | 'CREDITS_RPM_PER_USER'
    | 'CREDITS_RPM_PER_WORKSPACE'
    | 'CREDITS_MAX_CONCURRENT_STREAMS'
    | 'CREDITS_MAX_OPEN_DISPUTES'
  >
  /** Every model any workspace may call, for the sweeper to price a hold by its model id. */
  catalog: (modelId: string) => CatalogEntry | undefined
  /** The plans catalog's model tiers, for the plan gate of every metered call. */
  allowsModelTier: AllowsModelTier
  /** Identity's answer: free credits go to people who proved their mailbox. */
  isEmailVerified: (handle: Handle, userId: string) => Promise<boolean>
  /** Tenancy's answer: the first workspace a person owns, where welcome credits land when they verify later. */
  firstOwnedWorkspace: (handle: Handle, userId: string) => Promise<string | undefined>
  /** Tenancy's answers about the workspace, clients and members that limits and grants name. */
  tenancy: TenancyLookups
}

const micro = (credits: number) => BigInt(Math.round(credits * 1_000_000))

/** Credits: one account per workspace, the append-only ledger, metered calls, limits, disputes, statements. */
export const createCreditsModule = ({
  db,
  audit,
  counters,
  scope,
  operator,
  config,
  catalog,
  allowsModelTier,
  isEmailVerified,
  firstOwnedWorkspace,
  tenancy,
  recordCall,
  invalidations,
}: Deps) => {
  const defaults = {
    perRequestCap: config.CREDITS_PER_REQUEST_CAP ? micro(config.CREDITS_PER_REQUEST_CAP) : null,
    maxConcurrentStreams: config.CREDITS_MAX_CONCURRENT_STREAMS,
    rpmPerUser: config.CREDITS_RPM_PER_USER,
    rpmPerWorkspace: config.CREDITS_RPM_PER_WORKSPACE,
  }
  const creditsMetrics = createCreditsMetrics(db)
  const ledger = creditsMetrics.observe(createLedger(db, { defaults }))
  const book = createPriceBook(db, { invalidations })
  const metering = createMetering({
    db,
    ledger,
    book,
    counters,
    allowsModelTier,
    planOf: tenancy.planOf,
    recordCall,
    options: {
      holdTtlMs: config.CREDITS_HOLD_TTL_SECONDS * 1000,
      rpmPerUser: defaults.rpmPerUser,
      rpmPerWorkspace: defaults.rpmPerWorkspace,
    },
  })
  const limits = createLimitsService({ db, ledger, audit, defaults, tenancy, onLimitsChanged: metering.forget })
  const credits = createCreditsService({ db, ledger, audit, limits, tenancy })
  const statements = createStatementsService({ db })
  const spend = createSpendService({ db })
  const disputes = createDisputesService({ db, ledger, audit, maxOpenPerWorkspace: config.CREDITS_MAX_OPEN_DISPUTES })
  return {
    ledger,
    book,
    metering,
    /** Prometheus: credits held and in accounts (read at scrape time), credits charged by this process. */
    registerMetrics: creditsMetrics.register,
    /** The account view: balance and caps, ledger entries, holds, operator grants. */
    credits,
    limits,
    statements,
    spend,
    disputes,
    jobs: [sweepExpiredHolds(metering, catalog), buildStatements(statements)],
    /**
     * Opens a new workspace's account in its creation transaction, with its creator's welcome credits when the creator's
     * email is verified (once per person: a unique index on `welcome:<user>` decides).
     */
    onWorkspaceCreated: async (trx: Handle, { workspaceId, userId }: { workspaceId: string; userId: string }) =>
      ledger.open(
        trx,
        workspaceId,
        (await isEmailVerified(trx, userId)) ? { userId, amount: micro(config.CREDITS_WELCOME) } : undefined,
      ),
    /** A person verified their email (in that transaction): the welcome credits go to the first workspace they own, if any. */
    onEmailVerified: async (trx: Handle, { userId }: { userId: string }) => {
      const workspaceId = await firstOwnedWorkspace(trx, userId)
      if (workspaceId) await ledger.open(trx, workspaceId, { userId, amount: micro(config.CREDITS_WELCOME) })
    },
    routes: [
      async (app: FastifyInstance) => {
        await app.register(creditsRoutes({ db, credits, limits, statements, spend, book, scope, operator, tenancy }))
        await app.register(disputesRoutes({ disputes, scope, operator }))
      },
    ],
  } satisfies ModuleShape
}
export type CreditsModule = ReturnType<typeof createCreditsModule>
