import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createDatabase, executeRaw, PREPARED, type Database } from '../../src/platform/db/database.ts'
import type { DB } from '../../src/schema.ts'
import { newId } from '../../src/platform/db/ids.ts'
import { migrateToLatest, pendingMigrations } from '../../src/platform/db/migrator.ts'
import { createTestDatabaseUrl, driver } from '../harness.ts'

/** The same contract on PGlite and on PostgreSQL: what the rest of the code may rely on from the database layer. */
describe(`database contract (${driver})`, () => {
  let database: Database<DB>
  let drop: () => Promise<void>
  let firstMigration: string[]

  beforeAll(async () => {
    const target = await createTestDatabaseUrl()
    drop = target.drop
    database = await createDatabase<DB>({ databaseUrl: target.url })
    firstMigration = await migrateToLatest(database.db)
  })

  afterAll(async () => {
    await database?.close()
    await drop?.()
  })

  const insertWorkspace = (name = 'contract ws') =>
    database.db
      .insertInto('workspaces')
      .values({ id: newId('ws'), name })
      .returningAll()
      .executeTakeFirstOrThrow()
  const workspaceExists = async (id: string) =>
    (await database.db.selectFrom('workspaces').select('id').where('id', '=', id).executeTakeFirst()) !== undefined

  it('uses the driver the test run asked for', () => {
    expect(database.kind).toBe(driver)
  })

  it('reads int8 values beyond 2^53 as exact JS bigints', async () => {
    const { rows } = await sql<{ n: unknown }>`select 9007199254740993::int8 as n`.execute(database.db)

    expect(rows[0]!.n).toBe(9007199254740993n)
  })

  it('reads count(*) as a JS bigint', async () => {
    const { rows } = await sql<{ c: unknown }>`select count(*) as c from (values (1), (2), (3)) as t(x)`.execute(
      database.db,
    )

    expect(rows[0]!.c).toBe(3n)
  })

  it('reads timestamptz values as Date objects', async () => {
    const ws = await insertWorkspace()

    const { rows } = await sql<{ t: unknown }>`select now() as t`.execute(database.db)

    expect(rows[0]!.t).toBeInstanceOf(Date)
    expect(ws.createdAt).toBeInstanceOf(Date)
    expect(Number.isNaN(ws.createdAt.getTime())).toBe(false)
  })

  it('applies every migration on the first run and nothing on the second', async () => {
    const second = await migrateToLatest(database.db)

    expect(firstMigration.length).toBeGreaterThan(0)
    expect(second).toEqual([])
  })

  it('reports no pending migrations after migrating to the latest', async () => {
    expect(await pendingMigrations(database.db)).toEqual([])
  })

  it('refuses to update an audit event', async () => {
    const id = newId('aud')
    await database.db.insertInto('auditEvents').values({ id, action: 'auth.signup', metadata: '{}' }).execute()

    await expect(
      executeRaw(database.db, `UPDATE audit_events SET action = 'tampered' WHERE id = $1`, [id]),
    ).rejects.toThrow()

    const row = await database.db
      .selectFrom('auditEvents')
      .select('action')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(row.action).toBe('auth.signup')
  })

  it('refuses to delete an audit event', async () => {
    const id = newId('aud')
    await database.db.insertInto('auditEvents').values({ id, action: 'auth.signup', metadata: '{}' }).execute()

    await expect(database.db.deleteFrom('auditEvents').where('id', '=', id).execute()).rejects.toThrow()

    expect(
      await database.db.selectFrom('auditEvents').select('id').where('id', '=', id).executeTakeFirst(),
    ).toBeDefined()
  })

  it('refuses to delete a client', async () => {
    const ws = await insertWorkspace()
    const id = newId('cl')
    await database.db.insertInto('clients').values({ id, workspaceId: ws.id, name: 'kept forever' }).execute()

    await expect(database.db.deleteFrom('clients').where('id', '=', id).execute()).rejects.toThrow()

    expect(await database.db.selectFrom('clients').select('id').where('id', '=', id).executeTakeFirst()).toBeDefined()
  })

  it('leaves nothing behind when a transaction throws', async () => {
    const id = newId('ws')

    await expect(
      database.db.transaction().execute(async (trx) => {
        await trx.insertInto('workspaces').values({ id, name: 'rolled back' }).execute()
        throw new Error('abort the transaction')
      }),
    ).rejects.toThrow('abort the transaction')

    expect(await workspaceExists(id)).toBe(false)
  })

  it('keeps work from outside an open transaction out of that transaction', async () => {
    const insideId = newId('ws')
    const outsideId = newId('ws')
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let insertedInside!: () => void
    const insideDone = new Promise<void>((resolve) => {
      insertedInside = resolve
    })

    const transaction = database.db.transaction().execute(async (trx) => {
      await trx.insertInto('workspaces').values({ id: insideId, name: 'inside' }).execute()
      insertedInside()
      await gate
      throw new Error('roll back the inside insert')
    })
    const transactionSettled = transaction.then(
      () => 'committed',
      () => 'rolled back',
    )
    await insideDone
    const outside = database.db.insertInto('workspaces').values({ id: outsideId, name: 'outside' }).execute()
    // Give the outside insert every chance to run while the transaction is still open, then roll back.
    await Promise.race([outside, new Promise((resolve) => setTimeout(resolve, 200))])
    release()

    expect(await transactionSettled).toBe('rolled back')
    await outside
    expect(await workspaceExists(insideId)).toBe(false)
    expect(await workspaceExists(outsideId)).toBe(true)
  })

  it('runs a statement marked PREPARED as a named prepared statement on PostgreSQL, with the same results', async () => {
    const marked = (n: number) =>
      sql<{ n: unknown; plus: unknown }>`${PREPARED}select ${n}::int8 as n, ${n}::int8 + 1 as plus`
    const onOneConnection = await database.db.connection().execute(async (c) => {
      const results = [await marked(41).execute(c), await marked(9007199254740992).execute(c)]
      const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(c)
      return { results: results.map((r) => r.rows[0]), prepared: prepared.rows.map((r) => r.statement) }
    })
    expect(onOneConnection.results).toEqual([
      { n: 41n, plus: 42n },
      { n: 9007199254740992n, plus: 9007199254740993n },
    ])
    const ours = onOneConnection.prepared.filter((s) => s.startsWith('/* prepared */ select'))
    // PGlite is one embedded connection: the mark is a comment there.
    expect(ours).toHaveLength(driver === 'postgres' ? 1 : 0)
  })

  it('maps snake_case columns to camelCase fields', async () => {
    const ws = await insertWorkspace('camel case')

    const row = await database.db.selectFrom('workspaces').selectAll().where('id', '=', ws.id).executeTakeFirstOrThrow()

    expect(row).toHaveProperty('createdAt')
    expect(row).toHaveProperty('updatedAt')
    expect(row).not.toHaveProperty('created_at')
    expect(row).not.toHaveProperty('updated_at')
  })

  it('maps camelCase fields to snake_case columns when writing', async () => {
    const ws = await insertWorkspace('camel write')
    const id = newId('cl')
    await database.db
      .insertInto('clients')
      .values({ id, workspaceId: ws.id, name: 'mapped', archivedAt: new Date('2030-01-02T03:04:05Z') })
      .execute()

    const rows = await executeRaw(database.db, 'SELECT workspace_id, archived_at FROM clients WHERE id = $1', [id])

    // Raw rows go through the plugin too, so the snake_case column names come back camelCased.
    expect(rows[0]).toEqual({ workspaceId: ws.id, archivedAt: new Date('2030-01-02T03:04:05Z') })
  })
})
