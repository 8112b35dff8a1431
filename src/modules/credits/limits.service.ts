import type { Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import type { WorkspaceScope } from '../../platform/http/request-context.ts'
import type { Handle } from '../../platform/db/database.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { CapUsage } from '../../../contracts/credits.ts'
import { tenancyErrors } from '../tenancy/tenancy.module.ts'
import type { Ledger } from './ledger.ts'
import { CAP_PERIODS, capApplies, capLevel, usedInPeriod } from './caps.ts'
import { limits as repo } from './credits.repository.ts'

/** What credits asks tenancy about the rows its settings name (tenancy's `tenancyLookups` and plan, injected). */
export type TenancyLookups = {
  planOf(handle: Handle, workspaceId: string): Promise<string | undefined>
  workspaceExists(handle: Handle, workspaceId: string): Promise<boolean>
  clientInWorkspace(handle: Handle, workspaceId: string, clientId: string): Promise<boolean>
  memberOf(handle: Handle, workspaceId: string, userId: string): Promise<boolean>
}

/** The server's limits, for a workspace that set none of its own. */
export type LimitDefaults = {
  perRequestCap: bigint | null
  rpmPerUser: number
  rpmPerWorkspace: number
  maxConcurrentStreams: number
}

export type CapScope = WorkspaceScope & { clientId?: string | null }

const n = (v: bigint | null | undefined) => (v === null || v === undefined ? null : Number(v))

/** A workspace's limits (per-request cap, throttles, streams) and its daily and monthly caps, and how much of each is used. */
export const createLimitsService = ({
  db,
  ledger,
  audit,
  defaults,
  tenancy,
  now = () => new Date(),
  onLimitsChanged,
}: {
  db: Kysely<CreditsTables>
  ledger: Ledger
  audit: AuditService
  defaults: LimitDefaults
  /** Tenancy's answers: whether the client or member a cap names exists. */
  tenancy: Pick<TenancyLookups, 'clientInWorkspace' | 'memberOf'>
  now?: () => Date
  /** Told once a workspace's limits changed (metering drops its cached copy of them). */
  onLimitsChanged?: (workspaceId: string) => void
}) => {
  const limits = async (scope: WorkspaceScope) => {
    const a = await repo.account(db, scope.workspaceId)
    const caps = await repo.caps(db, scope.workspaceId)
    return {
      perRequestCap: n(a?.perRequestCap ?? defaults.perRequestCap),
      requestsPerMinuteUser: a?.requestsPerMinuteUser ?? defaults.rpmPerUser,
      requestsPerMinuteWorkspace: a?.requestsPerMinuteWorkspace ?? defaults.rpmPerWorkspace,
      maxConcurrentStreams: a?.maxConcurrentStreams ?? defaults.maxConcurrentStreams,
      caps: caps.map((c) => ({
        subjectKind: c.subjectKind,
        subjectId: c.subjectId,
        daily: n(c.daily),
        monthly: n(c.monthly),
      })),
    }
  }

  return {
    limits,

    /** The caps that count the caller's calls (the workspace's, their client's, their own), each period's use and level. */
    async capUsage(scope: CapScope): Promise<CapUsage[]> {
      const at = now()
      const out: CapUsage[] = []
      for (const c of await repo.caps(db, scope.workspaceId)) {
        if (!capApplies(c, scope)) continue
        for (const period of CAP_PERIODS) {
          const cap = c[period]
          if (cap === null) continue
          const used = await usedInPeriod(db, scope.workspaceId, c, period, at)
          out.push({
            subjectKind: c.subjectKind,
            subjectId: c.subjectId,
            period,
            cap: Number(cap),
            used: Number(used),
            level: capLevel(used, cap),
          })
        }
      }
      return out
    },

    async setLimits(
      scope: WorkspaceScope,
      patch: {
        perRequestCap?: number | null
        requestsPerMinuteUser?: number | null
        requestsPerMinuteWorkspace?: number | null
        maxConcurrentStreams?: number | null
      },
      ip: string,
    ) {
      const { perRequestCap, ...rest } = patch
      await db.transaction().execute(async (trx) => {
        await ledger.open(trx, scope.workspaceId)
        await repo.update(trx, scope.workspaceId, {
          ...rest,
          ...(perRequestCap === undefined
            ? {}
            : { perRequestCap: perRequestCap === null ? null : BigInt(perRequestCap) }),
        })
        await audit.record(trx, {
          action: 'credits.limits_changed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'workspace',
          targetId: scope.workspaceId,
          ip,
          metadata: patch,
        })
      })
      onLimitsChanged?.(scope.workspaceId)
      return limits(scope)
    },

    /** Sets a subject's daily and monthly caps; both null removes them. The client or member named must exist here. */
    async setCap(
      scope: WorkspaceScope,
      body: {
        subjectKind: 'workspace' | 'client' | 'user'
        subjectId: string
        daily: number | null
        monthly: number | null
      },
      ip: string,
    ) {
      const subjectId = body.subjectKind === 'workspace' ? '' : body.subjectId
      if (body.subjectKind === 'client' && !(await tenancy.clientInWorkspace(db, scope.workspaceId, subjectId)))
        throw tenancyErrors.client_not_found()
      if (body.subjectKind === 'user' && !(await tenancy.memberOf(db, scope.workspaceId, subjectId)))
        throw tenancyErrors.no_such_member()
      const key = { workspaceId: scope.workspaceId, subjectKind: body.subjectKind, subjectId }
      await db.transaction().execute(async (trx) => {
        await ledger.open(trx, scope.workspaceId)
        if (body.daily === null && body.monthly === null) await repo.removeCap(trx, key)
        else
          await repo.putCap(trx, {
            ...key,
            daily: body.daily === null ? null : BigInt(body.daily),
            monthly: body.monthly === null ? null : BigInt(body.monthly),
            updatedBy: scope.userId,
            updatedAt: now(),
          })
        await audit.record(trx, {
          action: 'credits.cap_changed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: body.subjectKind,
          targetId: subjectId || scope.workspaceId,
          ip,
          metadata: { daily: body.daily, monthly: body.monthly },
        })
      })
      return limits(scope)
    },
  }
}
export type LimitsService = ReturnType<typeof createLimitsService>
