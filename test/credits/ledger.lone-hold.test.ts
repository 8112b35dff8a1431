import type { KyselyPlugin } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLedger, type HoldRequest, type Ledger } from '../../src/modules/credits/ledger.ts'
import type { CreditHold } from '../../src/modules/credits/credits.tables.ts'
import type { Database } from '../../src/platform/db/database.ts'
import type { DB, Db } from '../../src/schema.ts'
import { newId } from '../../src/platform/db/ids.ts'
import { AppError } from '../../src/platform/http/errors.ts'
import { modelCallInsert, type ModelCallRecord } from '../../src/modules/models/model-calls.repository.ts'
import { driver, openMigratedDatabase } from '../harness.ts'

/**
 * A hold alone in its workspace's queue is placed by one statement instead of a batch transaction; it must decide
 * exactly as the batch would (replay, caps, per-request cap, availability), and a settle answers what is available
 * from its own transaction. A settle alone is one statement too when its hold is pending and the cost within it,
 * carrying the usage row; anything else goes through the batch and leaves nothing of the statement behind.
 */

const A = 1_000_000n // one credit, in micro-credits

const expectAppError = (error: unknown, status: number, code: string) => {
  expect(error).toBeInstanceOf(AppError)
  expect({ status: (error as AppError).status, code: (error as AppError).code }).toEqual({ status, code })
}

describe(`credit ledger, a lone hold (${driver})`, () => {
  let database: Database<DB>
  let close: () => Promise<void>
  let statements = 0
  let counted: Db
  let ledger: Ledger

  beforeAll(async () => {
    ;({ database, close } = await openMigratedDatabase())
    // Counts the statements the ledger sends, by their results (BEGIN and COMMIT are not seen by plugins; a builder
    // carried inside another statement is transformed but not sent).
    const counter: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        statements++
        return args.result
      },
    }
    counted = database.db.withPlugin(counter)
    ledger = createLedger(counted, { defaults: { perRequestCap: 50n * A, maxConcurrentStreams: 1000 } })
    await database.db.insertInto('users').values({ id: 'usr_lone', email: 'lone@example.test', name: 'Lone' }).execute()
  })

  afterAll(async () => {
    await close?.()
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

  it('places a lone streaming hold in one statement, and refuses the stream above the limit with the batch’s 429', async () => {
    const ws = await openWorkspace(10n * A)
    await database.db
      .updateTable('creditAccounts')
      .set({ maxConcurrentStreams: 2 })
      .where('workspaceId', '=', ws)
      .execute()
    const streams = async () =>
      (
        await database.db
          .selectFrom('creditAccounts')
          .select('streams')
          .where('workspaceId', '=', ws)
          .executeTakeFirstOrThrow()
      ).streams
    const one = await statementsOf(() => ledger.hold(holdRequest(ws, 'stream-1', 1n * A, true)))
    expect(one.statements).toBe(1)
    expect(one.value.kind).toBe('placed')
    expect(one.value.hold.streaming).toBe(true)
    await ledger.hold(holdRequest(ws, 'stream-2', 1n * A, true))
    expect(await streams()).toBe(2)
    // The third goes through the batch, which refuses it and leaves nothing of the statement behind.
    const third = await ledger.hold(holdRequest(ws, 'stream-3', 1n * A, true)).catch((e: unknown) => e)
    expectAppError(third, 429, 'credits.throttled')
    expect(await account(ws)).toEqual({ balance: 10n * A, held: 2n * A, available: 8n * A })
    // A non-streaming hold is not a stream: placed alone.
    expect((await ledger.hold(holdRequest(ws, 'plain', 1n * A))).kind).toBe('placed')
    // A stream that ends frees its place, in the same statement as the next stream's hold when they queue together.
    const [ended, next] = await Promise.all([
      ledger.settle({ workspaceId: ws, holdId: one.value.hold.id, cost: 0n, resolution: 'settled' }),
      ledger.hold(holdRequest(ws, 'stream-4', 1n * A, true)),
    ])
    expect(ended.status).toBe('released')
    expect(next.kind).toBe('placed')
    expect(await streams()).toBe(2)
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

  const usageRecord = (workspaceId: string, requestId: string): ModelCallRecord => ({
    workspaceId,
    clientId: null,
    userId: 'usr_lone',
    tokenId: null,
    surface: 'v1',
    requestId,
    modelId: 'test-model',
    status: 'complete',
    usage: { inputTokens: 12, outputTokens: 34, cachedInputTokens: 0, reasoningTokens: 0, estimated: false },
  })
  const usageRows = (workspaceId: string) =>
    database.db.selectFrom('modelCalls').select('requestId').where('workspaceId', '=', workspaceId).execute()
  const debitsOf = (workspaceId: string) =>
    database.db
      .selectFrom('creditEntries')
      .select(['amount', 'holdId', 'reason'])
      .where('workspaceId', '=', workspaceId)
      .where('kind', '=', 'debit')
      .orderBy('seq')
      .execute()

  /** A `/v1`-style settle: the cost, and the call's usage row carried with it. */
  const settleRecorded = (workspaceId: string, holdId: string, requestId: string, cost: bigint) =>
    ledger.settle({
      workspaceId,
      holdId,
      cost,
      resolution: 'settled',
      record: (h) => modelCallInsert(h, usageRecord(workspaceId, requestId)),
    })

  it('settles a lone hold in one statement, with its usage row, debit and the hold resolved', async () => {
    const ws = await openWorkspace(10n * A)
    const { hold } = await ledger.hold(holdRequest(ws, 'one-statement', 3n * A))
    await ledger.hold(holdRequest(ws, 'still-held', 1n * A))
    const { value, statements: n } = await statementsOf(() => settleRecorded(ws, hold.id, 'one-statement', 2n * A))
    expect(n).toBe(1)
    expect(value).toMatchObject({
      status: 'settled',
      charged: 2n * A,
      uncollected: 0n,
      alreadyResolved: false,
      available: 7n * A,
    })
    expect(value.entryId).toMatch(/^ent/)
    expect(await account(ws)).toEqual({ balance: 8n * A, held: 1n * A, available: 7n * A })
    expect(await debitsOf(ws)).toEqual([{ amount: -2n * A, holdId: hold.id, reason: '' }])
    expect(await usageRows(ws)).toEqual([{ requestId: 'one-statement' }])
    const row = await database.db
      .selectFrom('creditHolds')
      .selectAll()
      .where('id', '=', hold.id)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ status: 'settled', charged: 2n * A })
    expect(row.resolvedAt).toBeInstanceOf(Date)
  })

  it('releases a lone hold that cost nothing, and resolves one by expiry with its reason, each in one statement', async () => {
    const ws = await openWorkspace(10n * A)
    const { hold: free } = await ledger.hold(holdRequest(ws, 'free', 3n * A))
    const released = await statementsOf(() =>
      ledger.settle({ workspaceId: ws, holdId: free.id, cost: 0n, resolution: 'settled' }),
    )
    expect(released.statements).toBe(1)
    expect(released.value).toMatchObject({ status: 'released', charged: 0n, available: 10n * A })
    const { hold: dead } = await ledger.hold(holdRequest(ws, 'dead', 3n * A))
    const expired = await statementsOf(() =>
      ledger.settle({ workspaceId: ws, holdId: dead.id, cost: 1n * A, resolution: 'expired' }),
    )
    expect(expired.statements).toBe(1)
    expect(expired.value).toMatchObject({ status: 'expired', charged: 1n * A, available: 9n * A })
    expect(await debitsOf(ws)).toEqual([
      { amount: 0n, holdId: free.id, reason: '' },
      { amount: -1n * A, holdId: dead.id, reason: 'Settled by expiry: the process running the call stopped' },
    ])
  })

  it('settles a cost above its hold through the batch: the overage logged, the usage row written once', async () => {
    const ws = await openWorkspace(10n * A)
    const { hold } = await ledger.hold(holdRequest(ws, 'over', 2n * A))
    const { value, statements: n } = await statementsOf(() => settleRecorded(ws, hold.id, 'over', 3n * A))
    expect(n).toBeGreaterThan(1)
    expect(value).toMatchObject({ status: 'settled', charged: 3n * A, uncollected: 0n, available: 7n * A })
    expect(await usageRows(ws)).toEqual([{ requestId: 'over' }])
    const overage = await database.db.selectFrom('creditOverages').selectAll().where('holdId', '=', hold.id).execute()
    expect(overage).toMatchObject([{ held: 2n * A, cost: 3n * A, charged: 3n * A, uncollected: 0n }])
    expect(await account(ws)).toEqual({ balance: 7n * A, held: 0n, available: 7n * A })
  })

  it('leaves nothing of a lone settle that cannot settle: a hold not found is refused and no usage row is kept', async () => {
    const ws = await openWorkspace(10n * A)
    const error = await settleRecorded(ws, 'hold_missing', 'missing', 1n * A).catch((e: unknown) => e)
    expectAppError(error, 404, 'credits.hold_not_found')
    expect(await usageRows(ws)).toEqual([])
    expect(await debitsOf(ws)).toEqual([])
    expect(await account(ws)).toEqual({ balance: 10n * A, held: 0n, available: 10n * A })
  })

  it("does not settle another workspace's hold alone", async () => {
    const ws = await openWorkspace(10n * A)
    const other = await openWorkspace(10n * A)
    const { hold } = await ledger.hold(holdRequest(ws, 'mine', 3n * A))
    const error = await ledger
      .settle({ workspaceId: other, holdId: hold.id, cost: 1n * A, resolution: 'settled' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect(await account(ws)).toEqual({ balance: 10n * A, held: 3n * A, available: 7n * A })
    expect(await account(other)).toEqual({ balance: 10n * A, held: 0n, available: 10n * A })
  })

  it('settles a batch in one statement, its usage rows with it', async () => {
    const ws = await openWorkspace(20n * A)
    const holds: CreditHold[] = []
    for (const i of [1, 2, 3, 4, 5]) holds.push((await ledger.hold(holdRequest(ws, `batch-${i}`, 2n * A))).hold)
    const { value, statements: n } = await statementsOf(() =>
      Promise.all(holds.map((h) => settleRecorded(ws, h.id, h.requestId, 1n * A))),
    )
    expect(value.map((v) => v.status)).toEqual(['settled', 'settled', 'settled', 'settled', 'settled'])
    // The first settle alone (one statement), the other four in one batch: one statement too.
    expect(n).toBe(2)
    expect((await usageRows(ws)).map((r) => r.requestId).sort()).toEqual(holds.map((h) => h.requestId).sort())
    expect(await account(ws)).toEqual({ balance: 15n * A, held: 0n, available: 15n * A })
  })

  it('places a batch of holds in one statement when they all fit, else decides each as the batch does', async () => {
    const ws = await openWorkspace(10n * A)
    const fit = await statementsOf(() =>
      Promise.all([1, 2, 3, 4].map((i) => ledger.hold(holdRequest(ws, `fit-${i}`, 2n * A)))),
    )
    expect(fit.value.map((o) => o.kind)).toEqual(['placed', 'placed', 'placed', 'placed'])
    // The first alone, the other three together: a statement each.
    expect(fit.statements).toBe(2)
    expect(await account(ws)).toEqual({ balance: 10n * A, held: 8n * A, available: 2n * A })
    // 2 credits left. The first (1 micro-credit) goes alone; the batch of 1 credit, 1 credit − 1 and 1 micro-credit
    // does not fit as a whole, so the transaction decides it as before: the first two placed, the third refused.
    const amounts: Record<string, bigint> = { first: 1n, a: 1n * A, b: 1n * A - 1n, c: 1n }
    const tight = await Promise.all(
      Object.entries(amounts).map(([id, amount]) =>
        ledger.hold(holdRequest(ws, `tight-${id}`, amount)).catch((e: unknown) => e),
      ),
    )
    expect(tight.slice(0, 3).map((o) => (o as { kind: string }).kind)).toEqual(['placed', 'placed', 'placed'])
    expectAppError(tight[3], 402, 'credits.insufficient')
    expect(await account(ws)).toEqual({ balance: 10n * A, held: 10n * A, available: 0n })
  })

  it('answers a batch with a replay in it exactly: the first hold again, the others placed, nothing placed twice', async () => {
    const ws = await openWorkspace(10n * A)
    const first = await ledger.hold(holdRequest(ws, 'seen', 1n * A))
    const [lead, again, fresh] = await Promise.all([
      ledger.hold(holdRequest(ws, 'lead', 1n * A)),
      ledger.hold(holdRequest(ws, 'seen', 1n * A)),
      ledger.hold(holdRequest(ws, 'fresh', 1n * A)),
    ])
    expect(lead.kind).toBe('placed')
    expect(again).toEqual({ kind: 'replay', hold: first.hold })
    expect(fresh.kind).toBe('placed')
    expect(await account(ws)).toEqual({ balance: 10n * A, held: 3n * A, available: 7n * A })
  })
})
