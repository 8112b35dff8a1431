import type { Kysely } from 'kysely'
import { newestFirstPage, type PageRequest } from '../../platform/db/pagination.ts'
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
  /** A page of the outbox, newest first (optionally one recipient's). */
  page: (db: Kysely<MailTables>, f: { to?: string | undefined }, page: PageRequest) => {
    let query = db.selectFrom('emailOutbox').selectAll()
    if (f.to) query = query.where('toAddress', '=', f.to)
    return newestFirstPage(query, page)
  },
}
