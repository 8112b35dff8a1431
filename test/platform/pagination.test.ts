import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDatabase, type Database } from '../../src/platform/db/database.ts'
import {
  encodeCursor,
  newestFirstPage,
  newestSeqFirstPage,
  type Page,
  type PageRequest,
} from '../../src/platform/db/pagination.ts'
import { AppError } from '../../src/platform/http/errors.ts'
import { createTestDatabaseUrl, driver } from '../harness.ts'

/** A table of the test's own: the helper knows no table, it pages whatever single-table query it is given. */
type Tables = { pageRows: { id: string; createdAt: Date; touchedAt: Date; seq: bigint; tag: string } }

const expectInvalidCursor = async (run: () => Promise<unknown>) => {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AppError)
  expect({
    status: (error as AppError).status,
    code: (error as AppError).code,
    message: (error as AppError).message,
  }).toEqual({ status: 400, code: 'request.invalid_cursor', message: 'The cursor is not valid.' })
}

/** Every page from the first, following `nextCursor` until it is null. */
const allPages = async <T>(fetch: (q: PageRequest) => Promise<Page<T>>, limit: number) => {
  const pages: Page<T>[] = []
  let cursor: string | undefined
  do {
    const page = await fetch({ cursor, limit })
    pages.push(page)
    cursor = page.nextCursor ?? undefined
  } while (cursor && pages.length < 100)
  return pages
}

describe(`keyset pagination (${driver})`, () => {
  let database: Database<Tables>
  let db: Kysely<Tables>
  let drop: () => Promise<void>

  beforeAll(async () => {
    const target = await createTestDatabaseUrl()
    drop = target.drop
    database = await createDatabase<Tables>({ databaseUrl: target.url })
    db = database.db
    await sql`CREATE TABLE page_rows (id text PRIMARY KEY, created_at timestamptz NOT NULL,
      touched_at timestamptz NOT NULL, seq bigint NOT NULL UNIQUE, tag text NOT NULL)`.execute(db)
  })
  afterAll(async () => {
    await database.close()
    await drop()
  })
  beforeEach(async () => {
    await sql`DELETE FROM page_rows`.execute(db)
  })

  const insert = (rows: { id: string; at: string; touched?: string; seq: number; tag?: string }[]) =>
    db
      .insertInto('pageRows')
      .values(
        rows.map((r) => ({
          id: r.id,
          createdAt: sql<Date>`${r.at}::timestamptz`,
          touchedAt: sql<Date>`${r.touched ?? r.at}::timestamptz`,
          seq: BigInt(r.seq),
          tag: r.tag ?? 'x',
        })),
      )
      .execute()
  const byTime = (q: PageRequest) => newestFirstPage(db.selectFrom('pageRows').selectAll().where('tag', '=', 'x'), q)
  const bySeq = (q: PageRequest) =>
    newestSeqFirstPage(db.selectFrom('pageRows').selectAll().where('tag', '=', 'x'), q, 'seq')

  describe('by (created_at, id), newest first', () => {
    it('pages every row once, newest first, ties broken by id, keeping the caller’s filter', async () => {
      await insert([
        { id: 'a', at: '2025-01-01T00:00:01Z', seq: 1 },
        { id: 'b', at: '2025-01-01T00:00:02Z', seq: 2 },
        { id: 'c', at: '2025-01-01T00:00:02Z', seq: 3 },
        { id: 'd', at: '2025-01-01T00:00:03Z', seq: 4 },
        { id: 'e', at: '2025-01-01T00:00:04Z', seq: 5 },
        { id: 'other', at: '2025-01-01T00:00:05Z', seq: 6, tag: 'y' },
      ])
      const pages = await allPages(byTime, 2)
      expect(pages.map((p) => p.items.map((r) => r.id))).toEqual([['e', 'd'], ['c', 'b'], ['a']])
      expect(pages.at(-1)!.nextCursor).toBeNull()
      // Rows come back as the query selected them, nothing added.
      expect(Object.keys(pages[0]!.items[0]!).sort()).toEqual(['createdAt', 'id', 'seq', 'tag', 'touchedAt'])
      expect(pages[0]!.items[0]!.createdAt).toBeInstanceOf(Date)
    })

    it('gives no next cursor when the rows exactly fill the page, and one when a row is left', async () => {
      await insert([
        { id: 'a', at: '2025-01-01T00:00:01Z', seq: 1 },
        { id: 'b', at: '2025-01-01T00:00:02Z', seq: 2 },
      ])
      expect(await byTime({ limit: 2 })).toMatchObject({ nextCursor: null })
      const first = await byTime({ limit: 1 })
      expect(first.items.map((r) => r.id)).toEqual(['b'])
      expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/)
      expect(await byTime({ limit: 1, cursor: first.nextCursor! })).toEqual({
        items: [expect.objectContaining({ id: 'a' })],
        nextCursor: null,
      })
    })

    it('neither skips nor repeats rows made within the same millisecond', async () => {
      // The newer row has the smaller id: a cursor cut to the millisecond would skip 'b'.
      await insert([
        { id: 'a', at: '2025-01-01T00:00:00.123400Z', seq: 1 },
        { id: 'b', at: '2025-01-01T00:00:00.123200Z', seq: 2 },
        { id: 'c', at: '2025-01-01T00:00:00.123300Z', seq: 3 },
      ])
      const pages = await allPages(byTime, 1)
      expect(pages.flatMap((p) => p.items.map((r) => r.id))).toEqual(['a', 'c', 'b'])
    })

    it('pages by another timestamp column when given one', async () => {
      await insert([
        { id: 'a', at: '2025-01-01T00:00:01Z', touched: '2025-01-03T00:00:00Z', seq: 1 },
        { id: 'b', at: '2025-01-01T00:00:02Z', touched: '2025-01-02T00:00:00Z', seq: 2 },
        { id: 'c', at: '2025-01-01T00:00:03Z', touched: '2025-01-01T00:00:00Z', seq: 3 },
      ])
      const pages = await allPages(
        (q) => newestFirstPage(db.selectFrom('pageRows').selectAll().where('tag', '=', 'x'), q, 'touchedAt'),
        2,
      )
      expect(pages.map((p) => p.items.map((r) => r.id))).toEqual([['a', 'b'], ['c']])
    })

    it.each([
      ['not base64 JSON', 'garbage'],
      ['a number', encodeCursor(12)],
      ['one value', encodeCursor(['2025-01-01T00:00:00Z'])],
      ['no timestamp', encodeCursor(['yesterday', 'a'])],
      ['an id that is not a string', encodeCursor(['2025-01-01T00:00:00Z', 7])],
      ['three values', encodeCursor(['2025-01-01T00:00:00Z', 'a', 'b'])],
    ])('refuses a cursor that is %s with 400 request.invalid_cursor', async (_what, cursor) => {
      await expectInvalidCursor(() => byTime({ cursor, limit: 2 }))
    })
  })

  describe('by a monotonic key (seq), newest first', () => {
    it('pages every row once by descending seq, keeping the caller’s filter', async () => {
      await insert([
        { id: 'a', at: '2025-01-01T00:00:05Z', seq: 10 },
        { id: 'b', at: '2025-01-01T00:00:04Z', seq: 20 },
        { id: 'c', at: '2025-01-01T00:00:03Z', seq: 30 },
        { id: 'other', at: '2025-01-01T00:00:02Z', seq: 40, tag: 'y' },
        { id: 'd', at: '2025-01-01T00:00:01Z', seq: 50 },
      ])
      const pages = await allPages(bySeq, 3)
      expect(pages.map((p) => p.items.map((r) => r.id))).toEqual([['d', 'c', 'b'], ['a']])
      expect(pages[0]!.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/)
    })

    it('gives no next cursor when the rows exactly fill the page, and one when a row is left', async () => {
      await insert([
        { id: 'a', at: '2025-01-01T00:00:01Z', seq: 1 },
        { id: 'b', at: '2025-01-01T00:00:02Z', seq: 2 },
      ])
      expect(await bySeq({ limit: 2 })).toMatchObject({ nextCursor: null })
      const first = await bySeq({ limit: 1 })
      expect(first.nextCursor).not.toBeNull()
      expect(await bySeq({ limit: 1, cursor: first.nextCursor! })).toEqual({
        items: [expect.objectContaining({ id: 'a' })],
        nextCursor: null,
      })
    })

    it.each([
      ['not base64 JSON', 'garbage'],
      ['a number rather than a string of digits', encodeCursor(12)],
      ['negative', encodeCursor('-1')],
      ['not digits', encodeCursor('12a')],
      ['past the largest bigint', encodeCursor('9223372036854775808')],
      ['a (created_at, id) cursor', encodeCursor(['2025-01-01T00:00:00Z', 'a'])],
    ])('refuses a cursor that is %s with 400 request.invalid_cursor', async (_what, cursor) => {
      await expectInvalidCursor(() => bySeq({ cursor, limit: 2 }))
    })
  })
})
