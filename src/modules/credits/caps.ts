import { sql, type Kysely } from 'kysely'
import type { CreditCap, CreditsTables } from './credits.tables.ts'

/**
 * Caps and their periods, in one place for the ledger (which refuses a hold under the account lock) and the API
 * (which shows how much of each cap is used). Periods are UTC calendar days and months.
 */
export type CapPeriod = 'daily' | 'monthly'
export const CAP_PERIODS: readonly CapPeriod[] = ['daily', 'monthly']
export type CapSubject = Pick<CreditCap, 'subjectKind' | 'subjectId'>
export type CapLevel = 'ok' | 'warning' | 'reached'

/** Where the period containing `now` starts: midnight UTC of its day, or the 1st of its month. */
export const periodStart = (period: CapPeriod, now: Date) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), period === 'daily' ? now.getUTCDate() : 1))

/** The UTC month `at` falls in, as `YYYY-MM` (statements, monthly plan credits). */
export const monthKey = (at: Date) => periodStart('monthly', at).toISOString().slice(0, 7)

/** A `YYYY-MM` month's bounds, [start, end) in UTC; undefined when `month` is not one. */
export const monthBounds = (month: string) => {
  const m = /^(\d{4})-(\d{2})$/.exec(month)
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return undefined
  const start = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))
  return { start, end: new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)) }
}

/** The month before the one `at` falls in, as `YYYY-MM`. */
export const previousMonthKey = (at: Date) => monthKey(new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1)))

/** Whether a cap counts a call made for this client and user: the workspace's always, a client's or user's for them. */
export const capApplies = (cap: CapSubject, call: { clientId?: string | null; userId?: string | null }) =>
  cap.subjectKind === 'workspace' ||
  (cap.subjectKind === 'client' && cap.subjectId === call.clientId) ||
  (cap.subjectKind === 'user' && cap.subjectId === call.userId)

/** Reached at 100 % of the cap, a warning from 80 %. */
export const capLevel = (used: bigint, cap: bigint): CapLevel =>
  used >= cap ? 'reached' : used * 10n >= cap * 8n ? 'warning' : 'ok'

/**
 * Credits in flight and spent by a cap's subject since the start of `period`: pending holds count at their amount,
 * resolved ones at their charge. The ledger asks under the account lock, on its transaction.
 */
export const usedInPeriod = async (
  db: Kysely<CreditsTables>,
  workspaceId: string,
  subject: CapSubject,
  period: CapPeriod,
  now: Date,
) => {
  let q = db
    .selectFrom('creditHolds')
    .select(
      sql<string>`coalesce(sum(CASE WHEN status = 'pending' THEN amount ELSE coalesce(charged, 0) END), 0)::text`.as(
        'used',
      ),
    )
    .where('workspaceId', '=', workspaceId)
    .where('createdAt', '>=', periodStart(period, now))
  if (subject.subjectKind === 'client') q = q.where('clientId', '=', subject.subjectId)
  if (subject.subjectKind === 'user') q = q.where('userId', '=', subject.subjectId)
  return BigInt((await q.executeTakeFirstOrThrow()).used)
}
