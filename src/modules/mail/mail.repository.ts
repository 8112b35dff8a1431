import { sql, type Kysely } from 'kysely'
import type { MailTables } from './mail.tables.ts'
import type { EmailStatus } from './mail.tables.ts'

/** The outbox: one row per email, written by `send` in the caller's transaction, updated by the delivery job. */
export const outbox = {
  insert: (
    db: Kysely<MailTables>,
    row: { id: string; kind: string; toAddress: string; subject: string; textBody: string; link: string | null },
  ) => db.insertInto('emailOutbox').values(row).returningAll().executeTakeFirstOrThrow(),
  byId: (db: Kysely<MailTables>, id: string) =>
    db.selectFrom('emailOutbox').selectAll().where('id', '=', id).executeTakeFirst(),
  mark: (
    db: Kysely<MailTables>,
    id: string,
    patch: { status: EmailStatus; attempts?: number; lastError?: string | null; messageId?: string; sentAt?: Date },
  ) => db.updateTable('emailOutbox').set(patch).where('id', '=', id).execute(),
  /** Newest first by (created_at, id), after the position `after` stands for. */
  page: (
    db: Kysely<MailTables>,
    q: { to?: string | undefined; after?: { at: Date; id: string } | undefined; limit: number },
  ) => {
    let query = db.selectFrom('emailOutbox').selectAll()
    if (q.to) query = query.where('toAddress', '=', q.to)
    if (q.after) query = query.where(sql<boolean>`(created_at, id) < (${q.after.at}, ${q.after.id})`)
    return query
      .orderBy(sql`created_at desc, id desc`)
      .limit(q.limit + 1)
      .execute()
  },
}
