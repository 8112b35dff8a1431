import { sql, type Kysely } from 'kysely'
import { newestFirstPage, newestSeqFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
import type {
  CreditCap,
  CreditDispute,
  CreditsTables,
  CreditStatementsTable,
  EntryKind,
  HoldStatus,
} from './credits.tables.ts'

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

export const disputes = {
  /** An entry of the workspace (the debit a dispute is about). */
  entry: (db: Kysely<CreditsTables>, workspaceId: string, entryId: string) =>
    db
      .selectFrom('creditEntries')
      .selectAll()
      .where('id', '=', entryId)
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirst(),
  /** Locks the workspace's account row until the transaction ends: filings are counted one at a time. */
  lockAccount: (trx: Kysely<CreditsTables>, workspaceId: string) =>
    trx
      .selectFrom('creditAccounts')
      .select('workspaceId')
      .where('workspaceId', '=', workspaceId)
      .forUpdate()
      .executeTakeFirstOrThrow(),
  countOpen: async (db: Kysely<CreditsTables>, workspaceId: string) =>
    Number(
      (
        await db
          .selectFrom('creditDisputes')
          .select((eb) => eb.fn.countAll<string>().as('open'))
          .where('workspaceId', '=', workspaceId)
          .where('status', '=', 'open')
          .executeTakeFirstOrThrow()
      ).open,
    ),
  insert: (
    db: Kysely<CreditsTables>,
    row: { id: string; workspaceId: string; entryId: string; openedBy: string; reason: string },
  ) => db.insertInto('creditDisputes').values(row).execute(),
  /** A dispute by id (within the workspace when given); `lock` holds its row until the transaction ends. */
  byId: (db: Kysely<CreditsTables>, id: string, workspaceId?: string, lock = false) => {
    let q = db.selectFrom('creditDisputes').selectAll().where('id', '=', id)
    if (workspaceId) q = q.where('workspaceId', '=', workspaceId)
    return (lock ? q.forUpdate() : q).executeTakeFirst()
  },
  workspaceOf: async (db: Kysely<CreditsTables>, id: string) =>
    (await db.selectFrom('creditDisputes').select('workspaceId').where('id', '=', id).executeTakeFirst())?.workspaceId,
  /** A page of a workspace's disputes, newest first; `onlyOpener` keeps the ones that person filed. */
  page: (
    db: Kysely<CreditsTables>,
    workspaceId: string,
    onlyOpener: string | undefined,
    f: { status?: CreditDispute['status'] | undefined },
    q: PageRequest,
  ) => {
    let query = db.selectFrom('creditDisputes').selectAll().where('workspaceId', '=', workspaceId)
    if (onlyOpener !== undefined) query = query.where('openedBy', '=', onlyOpener)
    if (f.status) query = query.where('status', '=', f.status)
    return newestFirstPage(query, q)
  },
  /** Every workspace's disputes for the operator: open first (oldest waiting first), then the rest, newest first. */
  operatorQueue: (db: Kysely<CreditsTables>, q: { status?: CreditDispute['status'] | undefined; limit: number }) => {
    let query = db.selectFrom('creditDisputes').selectAll()
    if (q.status) query = query.where('status', '=', q.status)
    return query
      .orderBy(sql`(status = 'open') desc`)
      .orderBy(sql`CASE WHEN status = 'open' THEN created_at END asc`)
      .orderBy('createdAt', 'desc')
      .orderBy('id')
      .limit(q.limit)
      .execute()
  },
  /** The debits these disputes are about. */
  debits: (db: Kysely<CreditsTables>, entryIds: string[]) =>
    db
      .selectFrom('creditEntries')
      .select(['id', 'amount', 'requestId', 'modelId'])
      .where('id', 'in', entryIds)
      .execute(),
  /** These disputes' notes, oldest first. */
  notes: (db: Kysely<CreditsTables>, disputeIds: string[]) =>
    db
      .selectFrom('creditDisputeNotes')
      .selectAll()
      .where('disputeId', 'in', disputeIds)
      .orderBy('createdAt')
      .orderBy('id')
      .execute(),
  addNote: (
    db: Kysely<CreditsTables>,
    row: { id: string; disputeId: string; workspaceId: string; authorId: string; note: string },
  ) => db.insertInto('creditDisputeNotes').values(row).execute(),
  resolve: (
    db: Kysely<CreditsTables>,
    id: string,
    resolution: Pick<CreditDispute, 'status' | 'resolutionNote' | 'resolvedBy' | 'resolvedAt'> & {
      refundEntryId?: string | null
    },
  ) => db.updateTable('creditDisputes').set(resolution).where('id', '=', id).execute(),
}
