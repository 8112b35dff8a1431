import { sql, type Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import type { CreditEntry, CreditHold, EntryKind } from './credits.tables.ts'
import { authErrors } from '../../platform/http/http.errors.ts'
import { hasRole, type WorkspaceScope } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { CapUsage, CreditBalance, DisputeStatus, LedgerEntryDto, SpendDto } from '../../../contracts/credits.ts'
import { creditsErrors, UPGRADE_PATH } from './credits.errors.ts'
import { tenancyErrors } from '../tenancy/tenancy.module.ts'
import type { Ledger } from './ledger.ts'
import type { Handle } from '../../platform/db/database.ts'
import { spendOf } from '../models/models.module.ts'

/** What credits asks tenancy about the rows its settings name (tenancy's `tenancyLookups` and plan, injected). */
export type TenancyLookups = {
  planOf(handle: Handle, workspaceId: string): Promise<string | undefined>
  workspaceExists(handle: Handle, workspaceId: string): Promise<boolean>
  clientInWorkspace(handle: Handle, workspaceId: string, clientId: string): Promise<boolean>
  memberOf(handle: Handle, workspaceId: string, userId: string): Promise<boolean>
}

type Scope = WorkspaceScope & { clientId?: string | null }
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
type Defaults = {
  perRequestCap: bigint | null
  rpmPerUser: number
  rpmPerWorkspace: number
  maxConcurrentStreams: number
}

const n = (v: bigint | null | undefined) => (v === null || v === undefined ? null : Number(v))
const isAdmin = (scope: WorkspaceScope) => hasRole(scope.role, 'admin')
const dayStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
const monthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1))

import { decodeCursor, encodeCursor, newestFirstPage } from './pages.ts'
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

/** Reading the ledger, caps and spend; disputes; limits. Writing money goes through the ledger only. */
export const createCreditsService = ({
  db,
  ledger,
  audit,
  defaults,
  now = () => new Date(),
  onLimitsChanged,
  tenancy,
}: {
  db: Kysely<CreditsTables>
  ledger: Ledger
  /** Tenancy's answers: whether the workspace, client or member a setting names exists. */
  tenancy: Omit<TenancyLookups, 'planOf'>
  audit: AuditService
  defaults: Defaults
  now?: () => Date
  /** Told once a workspace's limits changed (metering drops its cached copy of them). */
  onLimitsChanged?: (workspaceId: string) => void
}) => {
  const capUsage = async (scope: Scope): Promise<CapUsage[]> => {
    const caps = await db.selectFrom('creditCaps').selectAll().where('workspaceId', '=', scope.workspaceId).execute()
    const mine = caps.filter(
      (c) =>
        c.subjectKind === 'workspace' ||
        (c.subjectKind === 'client' && c.subjectId === scope.clientId) ||
        (c.subjectKind === 'user' && c.subjectId === scope.userId),
    )
    const out: CapUsage[] = []
    for (const c of mine) {
      for (const period of ['daily', 'monthly'] as const) {
        const cap = c[period]
        if (cap === null) continue
        let q = db
          .selectFrom('creditHolds')
          .select(
            sql<string>`coalesce(sum(CASE WHEN status = 'pending' THEN amount ELSE coalesce(charged, 0) END), 0)::text`.as(
              'used',
            ),
          )
          .where('workspaceId', '=', scope.workspaceId)
          .where('createdAt', '>=', period === 'daily' ? dayStart(now()) : monthStart(now()))
        if (c.subjectKind === 'client') q = q.where('clientId', '=', c.subjectId)
        if (c.subjectKind === 'user') q = q.where('userId', '=', c.subjectId)
        const used = BigInt((await q.executeTakeFirstOrThrow()).used)
        const level = used >= cap ? 'reached' : used * 10n >= cap * 8n ? 'warning' : 'ok'
        out.push({
          subjectKind: c.subjectKind,
          subjectId: c.subjectId,
          period,
          cap: Number(cap),
          used: Number(used),
          level,
        })
      }
    }
    return out
  }

  return {
    capUsage,

    async balance(scope: Scope, plan: string): Promise<CreditBalance> {
      const b = await ledger.balance(db, scope.workspaceId)
      return {
        workspaceId: scope.workspaceId,
        balance: Number(b.balance),
        held: Number(b.held),
        available: Number(b.available),
        plan,
        caps: await capUsage(scope),
        upgradeUrl: UPGRADE_PATH,
      }
    },

    /** Entries, newest first. Admins see the workspace's; others see the entries made for them. */
    async entries(
      scope: WorkspaceScope,
      q: EntriesQuery,
    ): Promise<{ items: LedgerEntryDto[]; nextCursor: string | null }> {
      let query = db.selectFrom('creditEntries').selectAll().where('workspaceId', '=', scope.workspaceId)
      if (!isAdmin(scope)) query = query.where('userId', '=', scope.userId)
      if (q.kind) query = query.where('kind', '=', q.kind)
      if (q.requestId) query = query.where('requestId', '=', q.requestId)
      if (q.clientId) query = query.where('clientId', '=', q.clientId)
      if (q.userId) query = query.where('userId', '=', q.userId)
      if (q.from) query = query.where('createdAt', '>=', new Date(q.from))
      if (q.to) query = query.where('createdAt', '<', new Date(q.to))
      if (q.cursor) {
        const seq = decodeCursor(q.cursor, (v): v is string => typeof v === 'string' && /^\d{1,19}$/.test(v))
        query = query.where('seq', '<', BigInt(seq))
      }
      const rows = await query
        .orderBy('seq', 'desc')
        .limit(q.limit + 1)
        .execute()
      const items = rows.slice(0, q.limit)
      const disputes = items.length
        ? await db
            .selectFrom('creditDisputes')
            .select(['id', 'entryId', 'status'])
            .where('workspaceId', '=', scope.workspaceId)
            .where(
              'entryId',
              'in',
              items.map((e) => e.id),
            )
            .where('superseded', '=', false)
            .execute()
        : []
      const disputeOf = new Map(disputes.map((d) => [d.entryId, { id: d.id, status: d.status }]))
      const last = items.at(-1)
      return {
        items: items.map((e) => toEntryDto(e, disputeOf.get(e.id))),
        nextCursor: rows.length > q.limit && last ? encodeCursor(String(last.seq)) : null,
      }
    },

    /** The same filters as `entries`, every row, as CSV (amounts in micro-credits and in credits). */
    async entriesCsv(scope: WorkspaceScope, q: EntriesQuery) {
      const lines = [CSV_COLUMNS.join(',')]
      let cursor: string | undefined
      for (let pages = 0; pages < 250; pages++) {
        const page = await this.entries(scope, { ...q, cursor, limit: 200 })
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
      let query = db.selectFrom('creditHolds').selectAll().where('workspaceId', '=', scope.workspaceId)
      if (!isAdmin(scope)) query = query.where('userId', '=', scope.userId)
      if (q.status) query = query.where('status', '=', q.status)
      const page = await newestFirstPage(query, q)
      return { items: page.items.map(toHoldDto), nextCursor: page.nextCursor }
    },

    async limits(scope: WorkspaceScope) {
      const a = await db
        .selectFrom('creditAccounts')
        .selectAll()
        .where('workspaceId', '=', scope.workspaceId)
        .executeTakeFirst()
      const caps = await db
        .selectFrom('creditCaps')
        .selectAll()
        .where('workspaceId', '=', scope.workspaceId)
        .orderBy('subjectKind')
        .orderBy('subjectId')
        .execute()
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
        await trx
          .updateTable('creditAccounts')
          .set({
            ...rest,
            ...(perRequestCap === undefined
              ? {}
              : { perRequestCap: perRequestCap === null ? null : BigInt(perRequestCap) }),
          })
          .where('workspaceId', '=', scope.workspaceId)
          .execute()
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
      return this.limits(scope)
    },

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
      await db.transaction().execute(async (trx) => {
        await ledger.open(trx, scope.workspaceId)
        const key = (q: typeof trx) =>
          q
            .deleteFrom('creditCaps')
            .where('workspaceId', '=', scope.workspaceId)
            .where('subjectKind', '=', body.subjectKind)
            .where('subjectId', '=', subjectId)
        if (body.daily === null && body.monthly === null) await key(trx).execute()
        else {
          const row = {
            daily: body.daily === null ? null : BigInt(body.daily),
            monthly: body.monthly === null ? null : BigInt(body.monthly),
            updatedBy: scope.userId,
            updatedAt: now(),
          }
          await trx
            .insertInto('creditCaps')
            .values({ workspaceId: scope.workspaceId, subjectKind: body.subjectKind, subjectId, ...row })
            .onConflict((oc) => oc.columns(['workspaceId', 'subjectKind', 'subjectId']).doUpdateSet(row))
            .execute()
        }
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
      return this.limits(scope)
    },

    /** Charged credits and tokens grouped by day, model, agent, user, client or surface (from the recorded calls). */
    async spend(
      scope: WorkspaceScope,
      q: { groupBy: 'day' | 'model' | 'agent' | 'user' | 'client' | 'surface'; from?: string; to?: string },
      onlyUser?: string,
    ): Promise<SpendDto> {
      const to = q.to ? new Date(q.to) : now()
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000)
      if (from >= to) throw creditsErrors.invalid_range()
      const rows = await spendOf(db, {
        workspaceId: scope.workspaceId,
        from,
        to,
        userId: onlyUser,
        groupBy: q.groupBy,
      })
      const out = rows.map((r) => ({
        key: r.key,
        charged: Number(r.charged),
        calls: Number(r.calls),
        inputTokens: Number(r.inputTokens),
        outputTokens: Number(r.outputTokens),
      }))
      return {
        groupBy: q.groupBy,
        from: from.toISOString(),
        to: to.toISOString(),
        rows: out,
        total: out.reduce((s, r) => s + r.charged, 0),
      }
    },

    async statements(scope: WorkspaceScope) {
      let q = db.selectFrom('creditStatements').selectAll().where('workspaceId', '=', scope.workspaceId)
      q = isAdmin(scope) ? q : q.where('userId', '=', scope.userId)
      const rows = await q.orderBy('month', 'desc').orderBy('userId').limit(500).execute()
      return rows.map((r) => ({
        month: r.month,
        userId: r.userId || null,
        granted: Number(r.granted),
        purchased: Number(r.purchased),
        charged: Number(r.charged),
        refunded: Number(r.refunded),
        adjusted: Number(r.adjusted),
        calls: r.calls,
        createdAt: r.createdAt.toISOString(),
      }))
    },

    /** Builds (or rebuilds) a month's statements for every workspace with activity: one per workspace and one per user. */
    async buildStatements(month: string) {
      if (!/^\d{4}-\d{2}$/.test(month)) throw creditsErrors.invalid_month()
      const start = new Date(`${month}-01T00:00:00Z`)
      const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1))
      const sums = (kind: EntryKind) => sql<string>`coalesce(sum(amount) FILTER (WHERE kind = ${kind}), 0)::text`
      const grouped = await db
        .selectFrom('creditEntries')
        .select([
          'workspaceId',
          sql<string>`coalesce(user_id, '')`.as('userId'),
          sums('grant').as('granted'),
          sums('purchase').as('purchased'),
          sums('debit').as('charged'),
          sums('refund').as('refunded'),
          sql<string>`(coalesce(sum(amount) FILTER (WHERE kind IN ('adjustment', 'expiry')), 0))::text`.as('adjusted'),
          sql<string>`count(*) FILTER (WHERE kind = 'debit')::text`.as('calls'),
        ])
        .where('createdAt', '>=', start)
        .where('createdAt', '<', end)
        .groupBy(['workspaceId', sql`coalesce(user_id, '')`])
        .execute()
      const rows = new Map<
        string,
        {
          workspaceId: string
          userId: string
          granted: bigint
          purchased: bigint
          charged: bigint
          refunded: bigint
          adjusted: bigint
          calls: number
        }
      >()
      const add = (workspaceId: string, userId: string, g: (typeof grouped)[number]) => {
        const k = `${workspaceId}\u0000${userId}`
        const r = rows.get(k) ?? {
          workspaceId,
          userId,
          granted: 0n,
          purchased: 0n,
          charged: 0n,
          refunded: 0n,
          adjusted: 0n,
          calls: 0,
        }
        r.granted += BigInt(g.granted)
        r.purchased += BigInt(g.purchased)
        r.charged += -BigInt(g.charged)
        r.refunded += BigInt(g.refunded)
        r.adjusted += BigInt(g.adjusted)
        r.calls += Number(g.calls)
        rows.set(k, r)
      }
      for (const g of grouped) {
        add(g.workspaceId, '', g)
        if (g.userId) add(g.workspaceId, g.userId, g)
      }
      if (!rows.size) return 0
      await db.transaction().execute(async (trx) => {
        for (const r of rows.values()) {
          const values = {
            granted: r.granted,
            purchased: r.purchased,
            charged: r.charged,
            refunded: r.refunded,
            adjusted: r.adjusted,
            calls: r.calls,
            createdAt: now(),
          }
          await trx
            .insertInto('creditStatements')
            .values({ workspaceId: r.workspaceId, month, userId: r.userId, ...values })
            .onConflict((oc) => oc.columns(['workspaceId', 'month', 'userId']).doUpdateSet(values))
            .execute()
        }
      })
      return rows.size
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
export const assertAdmin = (scope: WorkspaceScope) => {
  if (!isAdmin(scope)) throw authErrors.forbidden()
}
