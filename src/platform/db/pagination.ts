import { sql, type SelectQueryBuilder } from 'kysely'
import { requestErrors } from '../http/http.errors.ts'

/** What a list route asks for: the previous page's `nextCursor` (absent for the first page) and a page size. */
export type PageRequest = { cursor?: string | undefined; limit: number }
/** One page of a list: its rows and the cursor of the next page (null on the last one). */
export type Page<T> = { items: T[]; nextCursor: string | null }

/** Cursors are opaque to clients: base64url of a small JSON value. */
export const encodeCursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
/** The value a cursor holds, when `check` accepts it; anything else is a 400 `request.invalid_cursor`. */
export const decodeCursor = <T>(cursor: string, check: (v: unknown) => v is T): T => {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown
    if (check(v)) return v
  } catch {
    /* fall through */
  }
  throw requestErrors.invalid_cursor()
}

/** Fetches one row past the limit: the extra row says there is a next page, cut at the last row kept. */
const cut = <O, T>(rows: O[], limit: number, cursorOf: (last: O) => T): { items: O[]; next: T | null } => {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return { items, next: rows.length > limit && last !== undefined ? cursorOf(last) : null }
}

const isTimestamp = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(new Date(v).getTime())
/** The column a time-keyed page selects for its cursor: the time to the microsecond, which a JS Date cannot hold. */
const AT = 'pageCursorAt'

/**
 * One page of a single-table query, newest first by (created_at, id) — or by another timestamp column `at` and id —
 * after `cursor`. The cursor keeps the time to the microsecond (rows made within the same millisecond are neither
 * repeated nor skipped); the query's filters, scope and selection are the caller's, the order and limit are set here.
 */
export const newestFirstPage = async <
  DB,
  TB extends keyof DB,
  O extends { id: string } & { [key in K]: Date },
  K extends string = 'createdAt',
>(
  query: SelectQueryBuilder<DB, TB, O>,
  q: PageRequest,
  at: K = 'createdAt' as K,
): Promise<Page<O>> => {
  const time = sql.ref(at)
  const id = sql.ref('id')
  if (q.cursor) {
    const [from, after] = decodeCursor(
      q.cursor,
      (v): v is [string, string] => Array.isArray(v) && v.length === 2 && isTimestamp(v[0]) && typeof v[1] === 'string',
    )
    query = query.where(sql<boolean>`(${time}, ${id}) < (${from}::timestamptz, ${after})`)
  }
  const rows = (await query
    .select(sql<string>`to_char(${time} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(AT))
    .orderBy(sql`${time} desc, ${id} desc`)
    .limit(q.limit + 1)
    .execute()) as unknown as (O & { [AT]: string })[]
  const { items, next } = cut(rows, q.limit, (last) => encodeCursor([last[AT], last.id]))
  return {
    items: items.map((row) => {
      const { [AT]: _at, ...rest } = row
      return rest as unknown as O
    }),
    nextCursor: next,
  }
}

const isSeq = (v: unknown): v is string => typeof v === 'string' && /^\d{1,19}$/.test(v) && BigInt(v) < 2n ** 63n

/**
 * One page of a single-table query, newest first by a monotonically increasing bigint column (`seq`), after
 * `cursor`. The query's filters, scope and selection are the caller's, the order and limit are set here.
 */
export const newestSeqFirstPage = async <DB, TB extends keyof DB, K extends string, O extends { [key in K]: bigint }>(
  query: SelectQueryBuilder<DB, TB, O>,
  q: PageRequest,
  key: K,
): Promise<Page<O>> => {
  const column = sql.ref(key)
  if (q.cursor) query = query.where(sql<boolean>`${column} < ${BigInt(decodeCursor(q.cursor, isSeq))}`)
  const rows = await query
    .orderBy(sql`${column} desc`)
    .limit(q.limit + 1)
    .execute()
  const { items, next } = cut(rows, q.limit, (last) => encodeCursor(String(last[key])))
  return { items, nextCursor: next }
}
