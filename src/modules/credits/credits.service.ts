import type { Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import type { CreditEntry, CreditHold, EntryKind } from './credits.tables.ts'
import { hasRole, type WorkspaceScope } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { CreditBalance, DisputeStatus, LedgerEntryDto } from '../../../contracts/credits.ts'
import { creditsErrors, UPGRADE_PATH } from './credits.errors.ts'
import { tenancyErrors } from '../tenancy/tenancy.module.ts'
import type { Ledger } from './ledger.ts'
import type { Page } from '../../platform/db/pagination.ts'
import { entries as entriesRepo, holds as holdsRepo } from './credits.repository.ts'
import type { CapScope, LimitsService, TenancyLookups } from './limits.service.ts'

type EntriesQuery = {
  kind?: EntryKind
  requestId?: string
  clientId?: string
  userId?: string
  from?: string
  to?: string
  cursor?: string
  limit: number
}

const n = (v: bigint | null | undefined) => (v === null || v === undefined ? null : Number(v))
const isAdmin = (scope: WorkspaceScope) => hasRole(scope.role, 'admin')
/** Admins see the workspace's rows; others the rows of their own calls. */
const onlyUserOf = (scope: WorkspaceScope) => (isAdmin(scope) ? undefined : scope.userId)

export const toEntryDto = (e: CreditEntry, dispute?: { id: string; status: DisputeStatus } | null): LedgerEntryDto => ({
  id: e.id,
  kind: e.kind,
  amount: Number(e.amount),
  requestId: e.requestId,
  holdId: e.holdId,
  refundOf: e.refundOf,
  clientId: e.clientId,
  userId: e.userId,
  modelId: e.modelId,
  surface: e.surface,
  reason: e.reason,
  createdBy: e.createdBy,
  createdAt: e.createdAt.toISOString(),
  dispute: dispute ?? null,
})
const toHoldDto = (h: CreditHold) => ({
  id: h.id,
  requestId: h.requestId,
  status: h.status,
  amount: Number(h.amount),
  charged: n(h.charged),
  surface: h.surface,
  modelId: h.modelId,
  clientId: h.clientId,
  userId: h.userId,
  createdAt: h.createdAt.toISOString(),
  expiresAt: h.expiresAt.toISOString(),
  resolvedAt: h.resolvedAt?.toISOString() ?? null,
})

const CSV_COLUMNS = [
  'id',
  'createdAt',
  'kind',
  'amount',
  'credits',
  'requestId',
  'clientId',
  'userId',
  'modelId',
  'surface',
  'holdId',
  'refundOf',
  'reason',
] as const
const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v)
  // Quote anything with separators; neutralise spreadsheet formulas.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

/** A workspace's account as its members see it: balance and caps, ledger entries (and their CSV), holds; operator grants. */
export const createCreditsService = ({
  db,
  ledger,
  audit,
  limits,
  tenancy,
}: {
  db: Kysely<CreditsTables>
  ledger: Ledger
  audit: AuditService
  /** The caps that apply to the caller, shown with the balance. */
  limits: Pick<LimitsService, 'capUsage'>
  /** Tenancy's answer: whether the workspace an operator grant names exists. */
  tenancy: Pick<TenancyLookups, 'workspaceExists'>
}) => {
  /** Entries, newest first. Admins see the workspace's; others see the entries made for them. */
  const entries = async (scope: WorkspaceScope, q: EntriesQuery): Promise<Page<LedgerEntryDto>> => {
    const page = await entriesRepo.page(
      db,
      scope.workspaceId,
      onlyUserOf(scope),
      {
        kind: q.kind,
        requestId: q.requestId,
        clientId: q.clientId,
        userId: q.userId,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      },
      q,
    )
    const disputes = await entriesRepo.disputesOf(
      db,
      scope.workspaceId,
      page.items.map((e) => e.id),
    )
    const disputeOf = new Map(disputes.map((d) => [d.entryId, { id: d.id, status: d.status }]))
    return { items: page.items.map((e) => toEntryDto(e, disputeOf.get(e.id))), nextCursor: page.nextCursor }
  }

  return {
    async balance(scope: CapScope, plan: string): Promise<CreditBalance> {
      const b = await ledger.balance(db, scope.workspaceId)
      return {
        workspaceId: scope.workspaceId,
        balance: Number(b.balance),
        held: Number(b.held),
        available: Number(b.available),
        plan,
        caps: await limits.capUsage(scope),
        upgradeUrl: UPGRADE_PATH,
      }
    },

    entries,

    /** The same filters as `entries`, every row, as CSV (amounts in micro-credits and in credits). */
    async entriesCsv(scope: WorkspaceScope, q: EntriesQuery) {
      const lines = [CSV_COLUMNS.join(',')]
      let cursor: string | undefined
      for (let pages = 0; pages < 250; pages++) {
        const page = await entries(scope, { ...q, cursor, limit: 200 })
        for (const e of page.items)
          lines.push(
            CSV_COLUMNS.map((c) => csvCell(c === 'credits' ? (e.amount / 1_000_000).toFixed(6) : e[c])).join(','),
          )
        if (!page.nextCursor) break
        cursor = page.nextCursor
      }
      return lines.join('\n') + '\n'
    },

    async holds(scope: WorkspaceScope, q: { status?: CreditHold['status']; cursor?: string; limit: number }) {
      const page = await holdsRepo.page(db, scope.workspaceId, onlyUserOf(scope), q, q)
      return { items: page.items.map(toHoldDto), nextCursor: page.nextCursor }
    },

    /** Operator grant (positive) or adjustment (negative), idempotent by request id. */
    async operatorGrant(workspaceId: string, body: { credits: number; reason: string; requestId: string }) {
      if (!(await tenancy.workspaceExists(db, workspaceId))) throw tenancyErrors.workspace_not_found()
      const amount = BigInt(Math.round(body.credits * 1_000_000))
      if (amount === 0n) throw creditsErrors.invalid_amount()
      const { entry, replay } = await db.transaction().execute(async (trx) => {
        await ledger.open(trx, workspaceId)
        const res = await ledger.post(trx, {
          workspaceId,
          kind: amount > 0n ? 'grant' : 'adjustment',
          amount,
          requestId: `operator:${body.requestId}`,
          reason: body.reason,
          createdBy: 'operator',
        })
        if (!res.replay)
          await audit.record(trx, {
            action: 'credits.operator_grant',
            workspaceId,
            targetType: 'credit_entry',
            targetId: res.entry.id,
            metadata: { credits: body.credits, reason: body.reason },
          })
        return res
      })
      return { entry: toEntryDto(entry), replay }
    },
  }
}
export type CreditsService = ReturnType<typeof createCreditsService>
