import type { KyselyPlugin } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLedger, type HoldRequest, type Ledger } from '../../src/modules/credits/ledger.ts'
import { createDatabase, type Database } from '../../src/platform/db/database.ts'
import type { DB, Db } from '../../src/schema.ts'
import { newId } from '../../src/platform/db/ids.ts'
import { migrateToLatest } from '../../src/platform/db/migrator.ts'
import { AppError } from '../../src/platform/http/errors.ts'
import { createTestDatabaseUrl, driver } from '../harness.ts'

/**
 * A hold alone in its workspace's queue is placed by one statement instead of a batch transaction; it must decide
 * exactly as the batch would (replay, caps, per-request cap, availability), and a settle answers what is available
 * from its own transaction.
 */

const A = 1_000_000n // one credit, in micro-credits

const expectAppError = (error: unknown, status: number, code: string) => {
  expect(error).toBeInstanceOf(AppError)
  expect({ status: (error as AppError).status, code: (error as AppError).code }).toEqual({ status, code })
}

describe(`credit ledger, a lone hold (${driver})`, () => {
  let database: Database<DB>
  let drop: () => Promise<void>
  let statements = 0
  let counted: Db
  let ledger: Ledger

  beforeAll(async () => {
    const target = await createTestDatabaseUrl()
    drop = target.drop
    database = await createDatabase<DB>({ databaseUrl: target.url })
    await migrateToLatest(database.db)
    // Counts the statements the ledger sends (BEGIN and COMMIT are not seen by plugins).
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        statements++
        return args.node
      },
      transformResult: async (args) => args.result,
    }
    counted = database.db.withPlugin(counter)
    ledger = createLedger(counted, { defaults: { perRequestCap: 50n * A, maxConcurrentStreams: 1000 } })
  })

  afterAll(async () => {
    await database?.close()
    await drop?.()
  })

  const openWorkspace = async (grant: bigint) => {
    const workspaceId = newId('ws')
    await database.db.insertInto('workspaces').values({ id: workspaceId, name: 'lone hold' }).execute()
    await ledger.open(database.db, workspaceId)
    if (grant > 0n)
      await ledger.post(database.db, { workspaceId, kind: 'grant', amount: grant, requestId: 'grant', reason: 'test' })
    return workspaceId
  }

  const holdRequest = (workspaceId: string, requestId: string, amount: bigint, streaming = false): HoldRequest => ({
    workspaceId,
    clientId: null,
    userId: null,
    tokenId: null,
    surface: 'test',
    modelId: 'test-model',
    streaming,
    requestId,
    amount,
    inputTokens: 12,
    paramsHash: 'h',
    ttlMs: 60_000,
  })

  const account = (workspaceId: string) => ledger.balance(database.db, workspaceId)
  const statementsOf = async <T>(run: () => Promise<T>) => {
    const before = statements
    const value = await run()
    return { value, statements: statements - before }
  }

  it('places a lone non-streaming hold in one statement and moves held on the account', async () => {
    const ws = await openWorkspace(10n * A)
    const { value, statements: n } = await statementsOf(() => ledger.hold(holdRequest(ws, 'lone-1', 3n * A)))
    expect(n).toBe(1)
    expect(value.kind).toBe('placed')
    expect(value.hold).toMatchObject({
      workspaceId: ws,
      requestId: 'lone-1',
      amount: 3n * A,
      status: 'pending',
      inputTokens: 12,
      paramsHash: 'h',
      streaming: false,
    })
    expect(value.hold.expiresAt).toBeInstanceOf(Date)
    expect(await account(ws)).toEqual({ balance: 10n * A, held: 3n * A, available: 7n * A })
  })

  it('returns the first hold for a request id seen before, and places nothing more', async () => {
    const ws = await openWorkspace(10n * A)
    const first = await ledger.hold(holdRequest(ws, 'again', 2n * A))
    const second = await ledger.hold(holdRequest(ws, 'again', 2n * A))
    expect(second).toEqual({ kind: 'replay', hold: first.hold })
    expect(await account(ws)).toMatchObject({ held: 2n * A })
  })

  it('refuses a lone hold the balance cannot cover with 402 credits.insufficient, and writes nothing', async () => {
    const ws = await openWorkspace(2n * A)
    const error = await ledger.hold(holdRequest(ws, 'short', 3n * A)).catch((e: unknown) => e)
    expectAppError(error, 402, 'credits.insufficient')
    expect((error as AppError).details).toMatchObject({
      estimate: Number(3n * A),
      balance: Number(2n * A),
      available: Number(2n * A),
    })
    expect(await account(ws)).toEqual({ balance: 2n * A, held: 0n, available: 2n * A })
  })

  it('refuses a lone hold above the per-request cap, the default or the workspace own', async () => {
    const ws = await openWorkspace(100n * A)
    expectAppError(
      await ledger.hold(holdRequest(ws, 'above-default', 51n * A)).catch((e: unknown) => e),
      402,
      'credits.cap_reached',
    )
    await database.db
      .updateTable('creditAccounts')
      .set({ perRequestCap: 2n * A })
      .where('workspaceId', '=', ws)
      .execute()
    expectAppError(
      await ledger.hold(holdRequest(ws, 'above-own', 3n * A)).catch((e: unknown) => e),
      402,
      'credits.cap_reached',
    )
    expect((await ledger.hold(holdRequest(ws, 'within-own', 2n * A))).kind).toBe('placed')
    expect(await account(ws)).toMatchObject({ held: 2n * A })
  })

  it("holds a workspace with daily caps to them: the lone hold goes through the batch, which counts the cap's use", async () => {
    const ws = await openWorkspace(100n * A)
    await database.db
      .insertInto('creditCaps')
      .values({
        workspaceId: ws,
        subjectKind: 'workspace',
        subjectId: '',
        daily: 5n * A,
        monthly: null,
        updatedBy: 'test',
      })
      .execute()
    const { value, statements: n } = await statementsOf(() => ledger.hold(holdRequest(ws, 'capped-1', 4n * A)))
    expect(value.kind).toBe('placed')
    expect(n).toBeGreaterThan(1)
    const error = await ledger.hold(holdRequest(ws, 'capped-2', 2n * A)).catch((e: unknown) => e)
    expectAppError(error, 402, 'credits.cap_reached')
    expect(await account(ws)).toMatchObject({ held: 4n * A })
  })

  it('opens the account of a workspace that has none yet, through the batch', async () => {
    const ws = newId('ws')
    await database.db.insertInto('workspaces').values({ id: ws, name: 'no account' }).execute()
    await ledger.post(database.db, {
      workspaceId: ws,
      kind: 'grant',
      amount: 5n * A,
      requestId: 'grant',
      reason: 'test',
    })
    expect((await ledger.hold(holdRequest(ws, 'first', 1n * A))).kind).toBe('placed')
    const fresh = newId('ws')
    await database.db.insertInto('workspaces').values({ id: fresh, name: 'nothing yet' }).execute()
    expectAppError(
      await ledger.hold(holdRequest(fresh, 'none', 1n * A)).catch((e: unknown) => e),
      402,
      'credits.insufficient',
    )
    expect(await account(fresh)).toEqual({ balance: 0n, held: 0n, available: 0n })
  })

  it('keeps streaming holds in the batch, where concurrent streams are counted under the lock', async () => {
    const ws = await openWorkspace(10n * A)
    const { value, statements: n } = await statementsOf(() => ledger.hold(holdRequest(ws, 'stream-1', 1n * A, true)))
    expect(value.kind).toBe('placed')
    expect(n).toBeGreaterThan(1)
  })

  it('answers, with a settle, the credits available once its transaction committed', async () => {
    const ws = await openWorkspace(10n * A)
    const { hold } = await ledger.hold(holdRequest(ws, 'to-settle', 3n * A))
    await ledger.hold(holdRequest(ws, 'other', 1n * A))
    const out = await ledger.settle({ workspaceId: ws, holdId: hold.id, cost: 2n * A, resolution: 'settled' })
    expect(out).toMatchObject({ status: 'settled', charged: 2n * A, alreadyResolved: false, available: 7n * A })
    expect((await account(ws)).available).toBe(7n * A)
    const again = await ledger.settle({ workspaceId: ws, holdId: hold.id, cost: 2n * A, resolution: 'settled' })
    expect(again).toMatchObject({ alreadyResolved: true, charged: 2n * A, available: 7n * A })
  })

  it('answers a settle batched with holds with what the whole batch left available', async () => {
    const ws = await openWorkspace(10n * A)
    const { hold } = await ledger.hold(holdRequest(ws, 'batched-settle', 4n * A))
    // The first hold goes alone; the settle and the second hold queue behind it and are decided in one batch.
    const [, settled, held] = await Promise.all([
      ledger.hold(holdRequest(ws, 'in-flight', 1n * A)),
      ledger.settle({ workspaceId: ws, holdId: hold.id, cost: 1n * A, resolution: 'settled' }),
      ledger.hold(holdRequest(ws, 'batched-hold', 2n * A)),
    ])
    expect(held.kind).toBe('placed')
    expect(await account(ws)).toEqual({ balance: 9n * A, held: 3n * A, available: 6n * A })
    expect(settled.available).toBe(6n * A)
  })
})
