import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createLedger,
  type HoldOutcome,
  type HoldRequest,
  type Ledger,
  type SettleOutcome,
} from '../../src/modules/credits/ledger.ts'
import { createDatabase, type Database } from '../../src/platform/db/database.ts'
import type { DB, Db } from '../../src/schema.ts'
import { newId } from '../../src/platform/db/ids.ts'
import { migrateToLatest } from '../../src/platform/db/migrator.ts'
import { AppError } from '../../src/platform/http/errors.ts'
import { createTestDatabaseUrl, driver } from '../harness.ts'

/**
 * Two ledger instances on two connection pools over one PostgreSQL database, as two processes would run them:
 * only the row lock on the account keeps their batches from deciding against stale figures. PGlite has a single
 * connection, so these races cannot happen there; the suite runs on the postgres project only.
 */

const A = 1_000_000n // one credit, in micro-credits
const LIMITS = { perRequestCap: null, maxConcurrentStreams: 1000 }

const settled = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )

const expectAppError = (error: unknown, status: number, code: string) => {
  expect(error).toBeInstanceOf(AppError)
  expect({ status: (error as AppError).status, code: (error as AppError).code }).toEqual({ status, code })
}

describe.skipIf(driver !== 'postgres')('credit ledger across two processes (postgres)', () => {
  let one: Database<DB>
  let two: Database<DB>
  let observer: Database<DB>
  let drop: () => Promise<void>
  /** Two instances, as in two processes; `ledgers[0]` applies one request per transaction, to multiply the races. */
  let ledgers: [Ledger, Ledger]

  beforeAll(async () => {
    const target = await createTestDatabaseUrl()
    drop = target.drop
    one = await createDatabase<DB>({ databaseUrl: target.url, poolSize: 10 })
    two = await createDatabase<DB>({ databaseUrl: target.url, poolSize: 10 })
    observer = await createDatabase<DB>({ databaseUrl: target.url, poolSize: 1 })
    await migrateToLatest(one.db)
    ledgers = [
      createLedger(one.db, { defaults: LIMITS, maxBatch: 1 }),
      createLedger(two.db, { defaults: LIMITS, maxBatch: 16, inflight: 4 }),
    ]
  })

  afterAll(async () => {
    await one?.close()
    await two?.close()
    await observer?.close()
    await drop?.()
  })

  const openWorkspace = async (grant: bigint) => {
    const workspaceId = newId('ws')
    await one.db.insertInto('workspaces').values({ id: workspaceId, name: 'ledger concurrency' }).execute()
    await ledgers[0].open(one.db, workspaceId)
    if (grant > 0n)
      await ledgers[1].post(two.db, { workspaceId, kind: 'grant', amount: grant, requestId: 'grant', reason: 'test' })
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
    inputTokens: 0,
    paramsHash: '',
    ttlMs: 60_000,
  })

  const watching = new Set<() => Promise<unknown>>()
  // A test that fails while watching must not leave its reader running into the closed pool.
  afterEach(async () => {
    await Promise.all([...watching].map((stop) => stop()))
  })

  /** Reads the account from a third connection until stopped: the lowest available (balance − held) a reader saw. */
  const watch = (workspaceId: string) => {
    let running = true
    let lowest: bigint | null = null
    let reads = 0
    const loop = (async () => {
      while (running) {
        const row = await observer.db
          .selectFrom('creditAccounts')
          .select(['balance', 'held'])
          .where('workspaceId', '=', workspaceId)
          .executeTakeFirstOrThrow()
        const available = row.balance - row.held
        if (lowest === null || available < lowest) lowest = available
        reads++
        await sleep(1)
      }
    })()
    const stop = async () => {
      running = false
      watching.delete(stop)
      await loop
      return { lowest: lowest!, reads }
    }
    watching.add(stop)
    return stop
  }

  /** The invariants of the ledger for one workspace, read from the database. */
  const checkInvariants = async (db: Db, workspaceId: string) => {
    const account = await db
      .selectFrom('creditAccounts')
      .select(['balance', 'held', 'streams'])
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirstOrThrow()
    const {
      rows: [sums],
    } = await sql<{ entries: bigint; pending: bigint; streams: number }>`SELECT
        (SELECT coalesce(sum(amount), 0)::bigint FROM credit_entries WHERE workspace_id = ${workspaceId}) AS entries,
        (SELECT coalesce(sum(amount), 0)::bigint FROM credit_holds WHERE workspace_id = ${workspaceId} AND status = 'pending') AS pending,
        (SELECT count(*)::int FROM credit_holds WHERE workspace_id = ${workspaceId} AND status = 'pending' AND streaming) AS streams`.execute(
      db,
    )
    expect(account.balance).toBe(sums!.entries)
    expect(account.held).toBe(sums!.pending)
    expect(account.streams).toBe(sums!.streams)
    expect(account.balance - account.held).toBeGreaterThanOrEqual(0n)
    const { rows: doubled } = await sql<{ requestId: string }>`SELECT request_id FROM credit_entries
      WHERE workspace_id = ${workspaceId} AND kind = 'debit' GROUP BY request_id HAVING count(*) > 1`.execute(db)
    expect(doubled).toEqual([])
    // A resolved hold has exactly one debit, of its charge; a pending one none; a debit above its hold has its overage.
    const { rows: wrong } = await sql<{ id: string }>`SELECT h.id FROM credit_holds h
      LEFT JOIN credit_entries e ON e.hold_id = h.id AND e.kind = 'debit'
      LEFT JOIN credit_overages o ON o.hold_id = h.id
      WHERE h.workspace_id = ${workspaceId}
      GROUP BY h.id, o.hold_id, o.charged
      HAVING (h.status = 'pending' AND (count(e.id) <> 0 OR h.charged IS NOT NULL OR o.hold_id IS NOT NULL))
          OR (h.status <> 'pending' AND (count(e.id) <> 1 OR min(-e.amount) IS DISTINCT FROM h.charged))
          OR (h.charged > h.amount AND o.hold_id IS NULL)
          OR (o.hold_id IS NOT NULL AND o.charged IS DISTINCT FROM h.charged)`.execute(db)
    expect(wrong).toEqual([])
    return { balance: account.balance, held: account.held, available: account.balance - account.held }
  }

  it('places at most the holds the balance covers when 200 race from two processes', async () => {
    const workspaceId = await openWorkspace(50n * A)
    const stop = watch(workspaceId)

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        settled(ledgers[(i % 2) as 0 | 1].hold(holdRequest(workspaceId, `req-${i}`, A))),
      ),
    )

    const { lowest, reads } = await stop()
    const placed = results.filter((r) => r.ok).map((r) => (r as { value: HoldOutcome }).value)
    const refused = results.filter((r) => !r.ok).map((r) => (r as { error: unknown }).error)
    expect(placed).toHaveLength(50)
    expect(placed.every((o) => o.kind === 'placed')).toBe(true)
    expect(new Set(placed.map((o) => o.hold.id)).size).toBe(50)
    expect(refused).toHaveLength(150)
    for (const e of refused) expectAppError(e, 402, 'credits.insufficient')
    expect(reads).toBeGreaterThan(0)
    expect(lowest).toBeGreaterThanOrEqual(0n)
    expect(await checkInvariants(two.db, workspaceId)).toEqual({ balance: 50n * A, held: 50n * A, available: 0n })
    expect(
      await one.db.selectFrom('creditHolds').select('id').where('workspaceId', '=', workspaceId).execute(),
    ).toHaveLength(50)
  })

  it('places at most the concurrent streams the account allows when 200 race from two processes, and frees them as they settle', async () => {
    const workspaceId = await openWorkspace(1_000n * A)
    await one.db
      .updateTable('creditAccounts')
      .set({ maxConcurrentStreams: 20 })
      .where('workspaceId', '=', workspaceId)
      .execute()
    const race = (prefix: string, n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          settled(ledgers[(i % 2) as 0 | 1].hold(holdRequest(workspaceId, `${prefix}-${i}`, A, true))),
        ),
      )
    const placedOf = (results: Awaited<ReturnType<typeof race>>) =>
      results.filter((r) => r.ok).map((r) => (r as { value: HoldOutcome }).value)
    const refusedOf = (results: Awaited<ReturnType<typeof race>>) =>
      results.filter((r) => !r.ok).map((r) => (r as { error: unknown }).error)

    const first = await race('stream', 200)
    const placed = placedOf(first)
    expect(placed).toHaveLength(20)
    expect(refusedOf(first)).toHaveLength(180)
    for (const e of refusedOf(first)) expectAppError(e, 429, 'credits.throttled')
    await checkInvariants(two.db, workspaceId)

    // Five streams end (settled from both processes); then five new ones fit and no more, with non-streaming holds
    // racing alongside them.
    await Promise.all(
      placed
        .slice(0, 5)
        .map((o, i) =>
          ledgers[(i % 2) as 0 | 1].settle({ workspaceId, holdId: o.hold.id, cost: A / 2n, resolution: 'settled' }),
        ),
    )
    const [second, plain] = await Promise.all([
      race('again', 50),
      Promise.all(
        Array.from({ length: 10 }, (_, i) => ledgers[(i % 2) as 0 | 1].hold(holdRequest(workspaceId, `plain-${i}`, A))),
      ),
    ])
    expect(placedOf(second)).toHaveLength(5)
    expect(plain.every((o) => o.kind === 'placed')).toBe(true)
    const { streams } = await one.db
      .selectFrom('creditAccounts')
      .select('streams')
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirstOrThrow()
    expect(streams).toBe(20)
    await checkInvariants(two.db, workspaceId)
  })

  it('keeps one hold for one request id held 100 times, and one debit when it is settled 100 times, from two processes', async () => {
    const workspaceId = await openWorkspace(10n * A)

    const holds = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        ledgers[(i % 2) as 0 | 1].hold(holdRequest(workspaceId, 'same-request', 2n * A)),
      ),
    )

    expect(holds.filter((o) => o.kind === 'placed')).toHaveLength(1)
    expect(holds.filter((o) => o.kind === 'replay')).toHaveLength(99)
    const holdId = holds.find((o) => o.kind === 'placed')!.hold.id
    expect(new Set(holds.map((o) => o.hold.id))).toEqual(new Set([holdId]))
    expect(
      await one.db.selectFrom('creditHolds').select('id').where('workspaceId', '=', workspaceId).execute(),
    ).toEqual([{ id: holdId }])
    expect(await checkInvariants(one.db, workspaceId)).toEqual({ balance: 10n * A, held: 2n * A, available: 8n * A })

    const settles = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        ledgers[(i % 2) as 0 | 1].settle({ workspaceId, holdId, cost: A + BigInt(i), resolution: 'settled' }),
      ),
    )

    const applied = settles.filter((o) => !o.alreadyResolved)
    expect(applied).toHaveLength(1)
    const [first] = applied as [SettleOutcome]
    expect(first.status).toBe('settled')
    expect(first.entryId).not.toBeNull()
    expect(settles.filter((o) => o.alreadyResolved).every((o) => o.entryId === null)).toBe(true)
    const debits = await one.db
      .selectFrom('creditEntries')
      .select(['id', 'amount'])
      .where('workspaceId', '=', workspaceId)
      .where('kind', '=', 'debit')
      .execute()
    expect(debits).toEqual([{ id: first.entryId, amount: -first.charged }])
    expect(await checkInvariants(two.db, workspaceId)).toEqual({
      balance: 10n * A - first.charged,
      held: 0n,
      available: 10n * A - first.charged,
    })

    // Request ids replayed in a mixed crowd: 20 ids, 5 times each, from both processes, one hold per id.
    const mixed = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        ledgers[((i >> 1) % 2) as 0 | 1].hold(holdRequest(workspaceId, `mixed-${i % 20}`, A / 10n)),
      ),
    )
    const byRequest = new Map<string, Set<string>>()
    for (const o of mixed)
      byRequest.set(o.hold.requestId, (byRequest.get(o.hold.requestId) ?? new Set()).add(o.hold.id))
    expect(byRequest.size).toBe(20)
    expect([...byRequest.values()].every((ids) => ids.size === 1)).toBe(true)
    expect(mixed.filter((o) => o.kind === 'placed')).toHaveLength(20)
    await checkInvariants(one.db, workspaceId)
  })

  it('logs an overage for every settle above its hold and never lets the balance fall below held', async () => {
    // 12 credits, 10 holds of 1: 2 available. Each call then costs 3: the first settles take what is left, the rest
    // collect their hold and log the remainder as uncollected.
    const workspaceId = await openWorkspace(12n * A)
    const placed = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledgers[(i % 2) as 0 | 1].hold(holdRequest(workspaceId, `call-${i}`, A))),
    )
    expect(placed.every((o) => o.kind === 'placed')).toBe(true)
    expect(await checkInvariants(one.db, workspaceId)).toEqual({ balance: 12n * A, held: 10n * A, available: 2n * A })
    const stop = watch(workspaceId)

    const outs = await Promise.all(
      placed.map((o, i) =>
        ledgers[(i % 2) as 0 | 1].settle({
          workspaceId,
          holdId: o.hold.id,
          cost: 3n * A,
          resolution: i % 3 === 0 ? 'expired' : 'settled',
        }),
      ),
    )

    const { lowest } = await stop()
    expect(lowest).toBeGreaterThanOrEqual(0n)
    expect(
      outs.every(
        (o) => !o.alreadyResolved && o.charged >= A && o.charged <= 3n * A && o.charged + o.uncollected === 3n * A,
      ),
    ).toBe(true)
    const charged = outs.reduce((sum, o) => sum + o.charged, 0n)
    expect(charged).toBe(12n * A)
    const overages = await one.db
      .selectFrom('creditOverages')
      .selectAll()
      .where('workspaceId', '=', workspaceId)
      .execute()
    expect(overages).toHaveLength(10)
    for (const o of overages) {
      const out = outs[placed.findIndex((p) => p.hold.id === o.holdId)]!
      expect({ held: o.held, cost: o.cost, charged: o.charged, uncollected: o.uncollected }).toEqual({
        held: A,
        cost: 3n * A,
        charged: out.charged,
        uncollected: out.uncollected,
      })
    }
    expect(overages.reduce((sum, o) => sum + o.uncollected, 0n)).toBe(18n * A)
    expect(await checkInvariants(two.db, workspaceId)).toEqual({ balance: 0n, held: 0n, available: 0n })
  })

  it('never goes below zero when negative adjustments race with holds from two processes', async () => {
    const workspaceId = await openWorkspace(100n * A)
    const stop = watch(workspaceId)

    const work = Array.from({ length: 200 }, (_, i) => {
      const side = ((i >> 1) % 2) as 0 | 1
      return i % 2 === 0
        ? settled(ledgers[side].hold(holdRequest(workspaceId, `hold-${i}`, A))).then((r) => ({
            ...r,
            what: 'hold' as const,
          }))
        : settled(
            ledgers[side].post(side === 0 ? one.db : two.db, {
              workspaceId,
              kind: 'adjustment',
              amount: -A,
              requestId: `adjust-${i}`,
              reason: 'test',
            }),
          ).then((r) => ({ ...r, what: 'adjust' as const }))
    })
    const results = await Promise.all(work)

    const { lowest } = await stop()
    expect(lowest).toBeGreaterThanOrEqual(0n)
    const holdsPlaced = results.filter((r) => r.what === 'hold' && r.ok).length
    const adjusted = results.filter((r) => r.what === 'adjust' && r.ok).length
    for (const r of results.filter((x) => !x.ok))
      expectAppError((r as { error: unknown }).error, r.what === 'hold' ? 402 : 409, 'credits.insufficient')
    // Every success took one credit out of 100 and the demand was 200: exactly 100 succeeded, nothing more.
    expect(holdsPlaced + adjusted).toBe(100)
    expect(await checkInvariants(one.db, workspaceId)).toEqual({
      balance: (100n - BigInt(adjusted)) * A,
      held: BigInt(holdsPlaced) * A,
      available: 0n,
    })

    // Settling every hold at its amount while more adjustments race: still never below zero, and nothing is lost.
    const holds = results
      .filter((r) => r.what === 'hold' && r.ok)
      .map((r) => (r as unknown as { value: HoldOutcome }).value.hold)
    const stop2 = watch(workspaceId)
    const second = await Promise.all([
      ...holds.map((h, i) =>
        settled(
          ledgers[(i % 2) as 0 | 1].settle({
            workspaceId,
            holdId: h.id,
            cost: i % 2 ? h.amount : 0n,
            resolution: 'settled',
          }),
        ),
      ),
      ...Array.from({ length: 50 }, (_, i) =>
        settled(
          ledgers[(i % 2) as 0 | 1].post(i % 2 ? two.db : one.db, {
            workspaceId,
            kind: 'adjustment',
            amount: -A,
            requestId: `late-${i}`,
            reason: 'test',
          }),
        ),
      ),
    ])
    expect((await stop2()).lowest).toBeGreaterThanOrEqual(0n)
    for (const r of second.slice(0, holds.length)) expect(r.ok).toBe(true)
    for (const r of second.slice(holds.length)) if (!r.ok) expectAppError(r.error, 409, 'credits.insufficient')
    const final = await checkInvariants(two.db, workspaceId)
    expect(final.held).toBe(0n)
    expect(final.balance).toBeGreaterThanOrEqual(0n)
  })
})
