import { sql, type SelectQueryBuilder } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'

export const encodeCursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
export const decodeCursor = <T>(cursor: string, check: (v: unknown) => v is T): T => {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown
    if (check(v)) return v
  } catch {
    /* fall through */
  }
  throw requestErrors.invalid_cursor()
}
/** Keyset pages newest first by (created_at, id): the cursor of a row, and the position a cursor stands for. */
const timeIdCursor = (row: { createdAt: Date; id: string }) => encodeCursor([row.createdAt.toISOString(), row.id])
const timeIdAfter = (cursor: string) => {
  const [at, id] = decodeCursor(
    cursor,
    (v): v is [string, string] =>
      Array.isArray(v) && v.length === 2 && typeof v[1] === 'string' && !Number.isNaN(new Date(String(v[0])).getTime()),
  )
  return { at: new Date(at), id }
}
/** One page of a single-table query newest first by (created_at, id), after `cursor`, with the next page's cursor. */
export const newestFirstPage = async <
  T extends 'creditHolds' | 'creditDisputes',
  O extends { createdAt: Date; id: string },
>(
  query: SelectQueryBuilder<CreditsTables, T, O>,
  q: { cursor?: string | undefined; limit: number },
) => {
  if (q.cursor) {
    const { at, id } = timeIdAfter(q.cursor)
    query = query.where(sql<boolean>`(created_at, id) < (${at}, ${id})`)
  }
  const rows = await query
    .orderBy(sql`created_at desc, id desc`)
    .limit(q.limit + 1)
    .execute()
  const items = rows.slice(0, q.limit)
  const last = items.at(-1)
  return { items, nextCursor: rows.length > q.limit && last ? timeIdCursor(last) : null }
}
