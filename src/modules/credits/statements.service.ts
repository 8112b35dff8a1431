import type { Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import { hasRole, type WorkspaceScope } from '../../platform/http/request-context.ts'
import { creditsErrors } from './credits.errors.ts'
import { monthBounds } from './caps.ts'
import { entries, statements as repo, type StatementSums } from './credits.repository.ts'

type Statement = StatementSums & { workspaceId: string; userId: string }

/** Monthly statements: one per workspace and one per person, summed from the month's ledger entries. */
export const createStatementsService = ({
  db,
  now = () => new Date(),
}: {
  db: Kysely<CreditsTables>
  now?: () => Date
}) => ({
  /** Admins read the workspace's and each person's; others their own. */
  async statements(scope: WorkspaceScope) {
    const rows = await repo.list(db, scope.workspaceId, hasRole(scope.role, 'admin') ? undefined : scope.userId)
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

  /** Builds (or rebuilds) a `YYYY-MM` month's statements for every workspace with activity; answers how many. */
  async buildStatements(month: string) {
    const bounds = monthBounds(month)
    if (!bounds) throw creditsErrors.invalid_month()
    const grouped = await entries.monthSums(db, bounds.start, bounds.end)
    const rows = new Map<string, Statement>()
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
      for (const { workspaceId, userId, ...sums } of rows.values())
        await repo.put(trx, { workspaceId, month, userId }, { ...sums, createdAt: now() })
    })
    return rows.size
  },
})
export type StatementsService = ReturnType<typeof createStatementsService>
