import { sql, type Kysely } from 'kysely'
import { newestFirstPage, newestSeqFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type { CreditCap, CreditsTables, CreditStatementsTable, EntryKind, HoldStatus } from './credits.tables.ts'

/**
 * The credits API's queries on credits' own tables (the ledger, the batched writer, keeps its own). The services keep
 * the rules: who sees what (`onlyUser`), what a setting may name, what is audited. The tenant is in every `where`.
 */

export type EntryFilters = {
  kind?: EntryKind | undefined
  requestId?: string | undefined
  clientId?: string | undefined
  userId?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
}

export const entries = {
  /** A page of a workspace's entries, newest first (by `seq`); `onlyUser` keeps the entries made for that person. */
  page: (
    db: Kysely<CreditsTables>,
    workspaceId: string,
    onlyUser: string | undefined,
    f: EntryFilters,
    q: PageRequest,
  ) => {
    let query = db.selectFrom('creditEntries').selectAll().where('workspaceId', '=', workspaceId)
    if (onlyUser !== undefined) query = query.where('userId', '=', onlyUser)
    if (f.kind) query = query.where('kind', '=', f.kind)
    if (f.requestId) query = query.where('requestId', '=', f.requestId)
    if (f.clientId) query = query.where('clientId', '=', f.clientId)
    if (f.userId) query = query.where('userId', '=', f.userId)
    if (f.from) query = query.where('createdAt', '>=', f.from)
    if (f.to) query = query.where('createdAt', '<', f.to)
    return newestSeqFirstPage(query, q, 'seq')
  },

  /** The live (not superseded) dispute of each of these entries that has one. */
  disputesOf: async (db: Kysely<CreditsTables>, workspaceId: string, entryIds: string[]) =>
    entryIds.length
      ? db
          .selectFrom('creditDisputes')
          .select(['id', 'entryId', 'status'])
          .where('workspaceId', '=', workspaceId)
          .where('entryId', 'in', entryIds)
          .where('superseded', '=', false)
          .execute()
      : [],

  /** Each workspace's sums of a month's entries by kind, per user ('' for entries made for no one). */
  monthSums: (db: Kysely<CreditsTables>, start: Date, end: Date) => {
    const sums = (kind: EntryKind) => sql<string>`coalesce(sum(amount) FILTER (WHERE kind = ${kind}), 0)::text`
    return db
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
  },
}

export const holds = {
  /** A page of a workspace's holds, newest first; `onlyUser` keeps the holds of that person's calls. */
  page: (
    db: Kysely<CreditsTables>,
    workspaceId: string,
    onlyUser: string | undefined,
    f: { status?: HoldStatus | undefined },
    q: PageRequest,
  ) => {
    let query = db.selectFrom('creditHolds').selectAll().where('workspaceId', '=', workspaceId)
    if (onlyUser !== undefined) query = query.where('userId', '=', onlyUser)
    if (f.status) query = query.where('status', '=', f.status)
    return newestFirstPage(query, q)
  },
}

export type LimitsPatch = {
  perRequestCap?: bigint | null
  requestsPerMinuteUser?: number | null
  requestsPerMinuteWorkspace?: number | null
  maxConcurrentStreams?: number | null
}

export const limits = {
  account: (db: Kysely<CreditsTables>, workspaceId: string) =>
    db.selectFrom('creditAccounts').selectAll().where('workspaceId', '=', workspaceId).executeTakeFirst(),
  update: (db: Kysely<CreditsTables>, workspaceId: string, patch: LimitsPatch) =>
    db.updateTable('creditAccounts').set(patch).where('workspaceId', '=', workspaceId).execute(),
  /** A workspace's caps, by subject. */
  caps: (db: Kysely<CreditsTables>, workspaceId: string) =>
    db
      .selectFrom('creditCaps')
      .selectAll()
      .where('workspaceId', '=', workspaceId)
      .orderBy('subjectKind')
      .orderBy('subjectId')
      .execute(),
  putCap: (
    db: Kysely<CreditsTables>,
    cap: Pick<CreditCap, 'workspaceId' | 'subjectKind' | 'subjectId' | 'daily' | 'monthly' | 'updatedBy' | 'updatedAt'>,
  ) => {
    const row = { daily: cap.daily, monthly: cap.monthly, updatedBy: cap.updatedBy, updatedAt: cap.updatedAt }
    return db
      .insertInto('creditCaps')
      .values(cap)
      .onConflict((oc) => oc.columns(['workspaceId', 'subjectKind', 'subjectId']).doUpdateSet(row))
      .execute()
  },
  removeCap: (db: Kysely<CreditsTables>, cap: Pick<CreditCap, 'workspaceId' | 'subjectKind' | 'subjectId'>) =>
    db
      .deleteFrom('creditCaps')
      .where('workspaceId', '=', cap.workspaceId)
      .where('subjectKind', '=', cap.subjectKind)
      .where('subjectId', '=', cap.subjectId)
      .execute(),
}

export type StatementSums = Pick<
  CreditStatementsTable,
  'granted' | 'purchased' | 'charged' | 'refunded' | 'adjusted' | 'calls'
>

export const statements = {
  /** A workspace's statements, newest month first (at most 500); `onlyUser` keeps that person's own. */
  list: (db: Kysely<CreditsTables>, workspaceId: string, onlyUser: string | undefined) => {
    let q = db.selectFrom('creditStatements').selectAll().where('workspaceId', '=', workspaceId)
    if (onlyUser !== undefined) q = q.where('userId', '=', onlyUser)
    return q.orderBy('month', 'desc').orderBy('userId').limit(500).execute()
  },
  /** Writes (or rewrites) one statement: the workspace's (`userId` '') or one person's. */
  put: (
    db: Kysely<CreditsTables>,
    key: { workspaceId: string; month: string; userId: string },
    values: StatementSums & { createdAt: Date },
  ) =>
    db
      .insertInto('creditStatements')
      .values({ ...key, ...values })
      .onConflict((oc) => oc.columns(['workspaceId', 'month', 'userId']).doUpdateSet(values))
      .execute(),
}
