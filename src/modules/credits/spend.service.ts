import type { Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import type { WorkspaceScope } from '../../platform/http/request-context.ts'
import type { SpendDto } from '../../../contracts/credits.ts'
import { creditsErrors } from './credits.errors.ts'
import { spendOf } from '../models/models.module.ts'

/** Charged credits and tokens, from the calls models recorded (the ledger holds the debits, models the calls). */
export const createSpendService = ({
  db,
  now = () => new Date(),
}: {
  db: Kysely<CreditsTables>
  now?: () => Date
}) => ({
  /** Grouped by day, model, agent, user, client or surface, over [from, to) (the last 30 days unless given). */
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
})
export type SpendService = ReturnType<typeof createSpendService>
