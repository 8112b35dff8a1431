import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLedger, type HoldOutcome, type Ledger, type SettleOutcome } from '../../src/modules/credits/ledger.ts'
import { executeRaw, type Database } from '../../src/platform/db/database.ts'
import type { DB } from '../../src/schema.ts'
import { newId } from '../../src/platform/db/ids.ts'
import type { CreditEntry } from '../../src/modules/credits/credits.tables.ts'
import { AppError } from '../../src/platform/http/errors.ts'
import { driver, openMigratedDatabase } from '../harness.ts'

/**
 * Random command sequences against the ledger on a real migrated database. Each run gets its own workspace and two
 * ledger instances (two queues over the same database, as two processes would have); commands run in small groups
 * submitted concurrently in an order fast-check picks, and the invariants of the ledger are checked after every group.
 */

const U = 1_000n // one unit of the generated amounts, in micro-credits
const LIMITS = { perRequestCap: null, maxConcurrentStreams: 1000 }
const NUM_RUNS = 40

type Via = 0 | 1
type Cmd =
  | { t: 'grant'; units: number; rid: number; via: Via }
  | { t: 'adjust'; units: number; rid: number; via: Via }
  | { t: 'hold'; units: number; rid: number; via: Via }
  | { t: 'settle'; pick: number; units: number; expired: boolean; via: Via }
  | { t: 'settleUnknown'; via: Via }

const via = fc.constantFrom<Via>(0, 1)
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('grant' as const),
      units: fc.integer({ min: 1, max: 40 }),
      rid: fc.integer({ min: 0, max: 3 }),
      via,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('adjust' as const),
      units: fc.integer({ min: 1, max: 30 }),
      rid: fc.integer({ min: 0, max: 3 }),
      via,
    }),
  },
  // Request ids from a small pool, so that replays happen.
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('hold' as const),
      units: fc.integer({ min: 0, max: 30 }),
      rid: fc.integer({ min: 0, max: 7 }),
      via,
    }),
  },
  // Costs up to twice the largest hold: many settles go above their hold.
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('settle' as const),
      pick: fc.oneof(fc.nat({ max: 2 }), fc.nat({ max: 50 })),
      units: fc.integer({ min: 0, max: 60 }),
      expired: fc.boolean(),
      via,
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('settleUnknown' as const), via }) },
)
const groupsArb = fc.array(fc.array(cmdArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 })

type Result =
  | {
      cmd: Extract<Cmd, { t: 'grant' | 'adjust' }>
      key: string
      amount: bigint
      value?: { entry: CreditEntry; replay: boolean }
      error?: unknown
    }
  | { cmd: Extract<Cmd, { t: 'hold' }>; rid: string; amount: bigint; value?: HoldOutcome; error?: unknown }
  | {
      cmd: Extract<Cmd, { t: 'settle' | 'settleUnknown' }>
      holdId: string
      cost: bigint
      value?: SettleOutcome
      error?: unknown
    }

type KnownHold = { id: string; requestId: string; amount: bigint }

const expectAppError = (error: unknown, status: number, code: string) => {
  expect(error).toBeInstanceOf(AppError)
  expect({ status: (error as AppError).status, code: (error as AppError).code }).toEqual({ status, code })
}

describe(`credit ledger properties (${driver})`, () => {
  let database: Database<DB>
  let close: () => Promise<void>

  beforeAll(async () => {
    ;({ database, close } = await openMigratedDatabase())
  })

  afterAll(async () => {
    await close?.()
  })

  const openWorkspace = async (ledger: Ledger) => {
    const id = newId('ws')
    await database.db.insertInto('workspaces').values({ id, name: 'ledger property' }).execute()
    await ledger.open(database.db, id)
    return id
  }

  type HoldRow = {
    id: string
    requestId: string
    status: string
    amount: bigint
    charged: bigint | null
    debits: bigint
    debitRequestId: string | null
    debit: bigint | null
    overageCost: bigint | null
    overageCharged: bigint | null
    overageUncollected: bigint | null
  }

  /** Every invariant of the ledger, read from the database; returns the holds for the caller's own checks. */
  const checkInvariants = async (workspaceId: string) => {
    const db = database.db
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
    // The balance is the sum of the entries; held is the sum of the pending holds; available is never negative;
    // streams is the number of pending streaming holds.
    expect(account.balance).toBe(sums!.entries)
    expect(account.held).toBe(sums!.pending)
    expect(account.streams).toBe(sums!.streams)
    expect(account.balance - account.held).toBeGreaterThanOrEqual(0n)
    expect(account.held).toBeGreaterThanOrEqual(0n)

    // At most one debit per (workspace, request id).
    const { rows: doubled } = await sql<{ requestId: string }>`SELECT request_id FROM credit_entries
      WHERE workspace_id = ${workspaceId} AND kind = 'debit' GROUP BY request_id HAVING count(*) > 1`.execute(db)
    expect(doubled).toEqual([])
    // Every debit belongs to a hold of this workspace.
    const { rows: orphans } = await sql<{
      id: string
    }>`SELECT e.id FROM credit_entries e LEFT JOIN credit_holds h ON h.id = e.hold_id
      WHERE e.workspace_id = ${workspaceId} AND e.kind = 'debit' AND (h.id IS NULL OR h.workspace_id <> e.workspace_id)`.execute(
      db,
    )
    expect(orphans).toEqual([])

    const { rows: holds } = await sql<HoldRow>`SELECT h.id, h.request_id, h.status, h.amount, h.charged,
        count(e.id) AS debits, min(e.request_id) AS debit_request_id, min(-e.amount) AS debit,
        o.cost AS overage_cost, o.charged AS overage_charged, o.uncollected AS overage_uncollected
      FROM credit_holds h
      LEFT JOIN credit_entries e ON e.hold_id = h.id AND e.kind = 'debit'
      LEFT JOIN credit_overages o ON o.hold_id = h.id
      WHERE h.workspace_id = ${workspaceId}
      GROUP BY h.id, o.hold_id`.execute(db)
    for (const h of holds) {
      if (h.status === 'pending') {
        // Not resolved yet: no charge, no debit, no overage.
        expect({ id: h.id, charged: h.charged, debits: h.debits, overage: h.overageCost }).toEqual({
          id: h.id,
          charged: null,
          debits: 0n,
          overage: null,
        })
        continue
      }
      // Resolved once: exactly one debit entry, for the hold's request id, of what the hold says was charged.
      expect({ id: h.id, debits: h.debits, requestId: h.debitRequestId, debit: h.debit }).toEqual({
        id: h.id,
        debits: 1n,
        requestId: h.requestId,
        debit: h.charged,
      })
      expect(['settled', 'released', 'expired']).toContain(h.status)
      if (h.status === 'released') expect(h.charged).toBe(0n)
      if (h.status === 'settled') expect(h.charged).toBeGreaterThan(0n)
      // A debit above its hold only with an overage row, which tells the cost, the charge and what was not collected.
      if (h.charged! > h.amount)
        expect(h.overageCost, `hold ${h.id} charged ${h.charged} above ${h.amount} without an overage`).not.toBeNull()
      if (h.overageCost !== null) {
        expect(h.overageCost).toBeGreaterThan(h.amount)
        expect(h.overageCharged).toBe(h.charged)
        expect(h.overageUncollected).toBe(h.overageCost - h.charged!)
      }
    }
    return new Map(holds.map((h) => [h.id, h]))
  }

  it('keeps every invariant under random, partly concurrent, sequences of grants, adjustments, holds and settles', async () => {
    await fc.assert(
      fc.asyncProperty(groupsArb, fc.scheduler(), fc.nat(), async (groups, s, pickEntry) => {
        // Two processes' ledgers; the second runs up to four batches of the workspace at once, as the app does.
        const ledgers = [
          createLedger(database.db, { defaults: LIMITS }),
          createLedger(database.db, { defaults: LIMITS, inflight: 4 }),
        ] as const
        const workspaceId = await openWorkspace(ledgers[0])
        const holdByRequest = new Map<string, string>()
        const known: KnownHold[] = []
        const resolved = new Map<string, { status: string; charged: bigint }>()
        const posted = new Map<string, { id: string; amount: bigint }>()

        const run = async (cmd: Cmd, holds: readonly KnownHold[]): Promise<Result | null> => {
          const ledger = ledgers[cmd.via]
          const attempt = async <T>(f: () => Promise<T>) => {
            try {
              return { value: await f() }
            } catch (error) {
              return { error }
            }
          }
          switch (cmd.t) {
            case 'grant':
            case 'adjust': {
              const kind = cmd.t === 'grant' ? 'grant' : 'adjustment'
              const requestId = `${kind}-${cmd.rid}`
              const amount = (cmd.t === 'grant' ? 1n : -1n) * BigInt(cmd.units) * U
              return {
                cmd,
                key: `${kind}:${requestId}`,
                amount,
                ...(await attempt(() =>
                  ledger.post(database.db, { workspaceId, kind, amount, requestId, reason: 'property' }),
                )),
              }
            }
            case 'hold': {
              const requestId = `req-${cmd.rid}`
              const amount = BigInt(cmd.units) * U
              return {
                cmd,
                rid: requestId,
                amount,
                ...(await attempt(() =>
                  ledger.hold({
                    workspaceId,
                    clientId: null,
                    userId: null,
                    tokenId: null,
                    surface: 'test',
                    modelId: 'test-model',
                    // Every third request id streams: the account counts those pending (`streams`).
                    streaming: cmd.rid % 3 === 0,
                    requestId,
                    amount,
                    inputTokens: 0,
                    paramsHash: '',
                    ttlMs: 60_000,
                  }),
                )),
              }
            }
            case 'settle': {
              // Mostly the latest holds, so that the same hold is often settled more than once.
              const hold = holds[holds.length - 1 - (cmd.pick % Math.max(1, holds.length))]
              if (!hold) return null
              const cost = BigInt(cmd.units) * U
              return {
                cmd,
                holdId: hold.id,
                cost,
                ...(await attempt(() =>
                  ledger.settle({
                    workspaceId,
                    holdId: hold.id,
                    cost,
                    resolution: cmd.expired ? 'expired' : 'settled',
                  }),
                )),
              }
            }
            case 'settleUnknown': {
              const holdId = newId('hold')
              return {
                cmd,
                holdId,
                cost: 0n,
                ...(await attempt(() => ledger.settle({ workspaceId, holdId, cost: 0n, resolution: 'settled' }))),
              }
            }
          }
        }

        for (const group of groups) {
          const holds = [...known]
          const heldBefore = new Map(holdByRequest)
          const resolvedBefore = new Map(resolved)
          const postedBefore = new Map(posted)
          // fast-check decides the order in which the group's commands reach the two ledgers; they then run concurrently.
          const tasks = group.map((cmd, i) =>
            s.schedule(Promise.resolve(i), `${i}:${JSON.stringify(cmd)}`).then(() => run(cmd, holds)),
          )
          await s.waitIdle()
          const results = (await Promise.all(tasks)).filter((r): r is Result => r !== null)

          // Holds: the first request id places, every other one (here or later) is a replay of the same hold.
          for (const r of results) {
            if (!('rid' in r)) continue
            if (r.error !== undefined) {
              expectAppError(r.error, 402, 'credits.insufficient')
              expect(
                heldBefore.has(r.rid),
                `a replay of ${r.rid} was refused instead of returning the first hold`,
              ).toBe(false)
              continue
            }
            const out = r.value!
            expect(out.hold.requestId).toBe(r.rid)
            expect(out.hold.workspaceId).toBe(workspaceId)
            if (out.kind === 'placed') {
              expect(heldBefore.has(r.rid), `${r.rid} placed twice`).toBe(false)
              expect(holdByRequest.has(r.rid), `${r.rid} placed twice in one group`).toBe(false)
              expect(out.hold.amount).toBe(r.amount)
              expect(out.hold.status).toBe('pending')
              holdByRequest.set(r.rid, out.hold.id)
              known.push({ id: out.hold.id, requestId: r.rid, amount: out.hold.amount })
            }
          }
          for (const r of results) {
            if (!('rid' in r) || r.value?.kind !== 'replay') continue
            expect(holdByRequest.get(r.rid), `replay of ${r.rid} returned another hold`).toBe(r.value.hold.id)
          }

          // Posts: idempotent by (kind, request id); a different amount under the same id is refused.
          for (const r of results) {
            if (!('key' in r)) continue
            if (r.error !== undefined) {
              const e = r.error as AppError
              if (e instanceof AppError && e.code === 'request.idempotency_mismatch') {
                expect(e.status).toBe(409)
                const first =
                  postedBefore.get(r.key) ??
                  results.find((o): o is typeof r => 'key' in o && o.key === r.key && o.value?.replay === false)?.value
                    ?.entry
                expect(first, `mismatch on ${r.key} with no first entry`).toBeDefined()
                expect(first!.amount).not.toBe(r.amount)
              } else {
                // Only a negative amount may be refused for want of credits.
                expectAppError(e, 409, 'credits.insufficient')
                expect(r.amount).toBeLessThan(0n)
              }
              continue
            }
            const { entry, replay } = r.value!
            expect(entry.amount).toBe(r.amount)
            if (!replay) {
              expect(posted.has(r.key), `${r.key} posted twice`).toBe(false)
              posted.set(r.key, { id: entry.id, amount: entry.amount })
            }
          }
          for (const r of results) {
            if ('key' in r && r.value?.replay)
              expect(posted.get(r.key)?.id, `replay of ${r.key} returned another entry`).toBe(r.value.entry.id)
          }

          // Settles: each hold resolves once; a cost within the hold is always collected in full.
          const resolvedInGroup = new Map<string, SettleOutcome>()
          for (const r of results) {
            if (!('holdId' in r)) continue
            if (r.cmd.t === 'settleUnknown') {
              expectAppError(r.error, 404, 'credits.hold_not_found')
              continue
            }
            expect(r.error).toBeUndefined()
            const out = r.value!
            const hold = known.find((h) => h.id === r.holdId)!
            if (out.alreadyResolved) {
              expect(out.entryId).toBeNull()
              const before = resolvedBefore.get(r.holdId)
              if (before) expect({ status: out.status, charged: out.charged }).toEqual(before)
              continue
            }
            expect(resolvedBefore.has(r.holdId), `hold ${r.holdId} resolved twice`).toBe(false)
            expect(resolvedInGroup.has(r.holdId), `hold ${r.holdId} resolved twice in one group`).toBe(false)
            resolvedInGroup.set(r.holdId, out)
            expect(out.entryId).not.toBeNull()
            expect(out.charged).toBeGreaterThanOrEqual(0n)
            expect(out.charged + out.uncollected).toBe(r.cost)
            if (r.cost <= hold.amount) expect(out.charged).toBe(r.cost)
            expect(out.status).toBe(r.cmd.expired ? 'expired' : out.charged === 0n ? 'released' : 'settled')
            resolved.set(r.holdId, { status: out.status, charged: out.charged })
          }
          // A settle that found its hold already resolved in the same group did not resolve it.
          for (const r of results) {
            if (!('holdId' in r) || !r.value?.alreadyResolved) continue
            expect(resolved.has(r.holdId), `settle of ${r.holdId} said already resolved`).toBe(true)
            // It reports what the hold was resolved to, as a settle arriving later would, even within the same batch.
            expect({ hold: r.holdId, status: r.value.status, charged: r.value.charged }).toEqual({
              hold: r.holdId,
              ...resolved.get(r.holdId),
            })
          }

          const rows = await checkInvariants(workspaceId)
          // The database agrees with what the ledger answered.
          for (const h of known) {
            const row = rows.get(h.id)!
            const mine = resolved.get(h.id)
            expect({ id: h.id, status: row.status, charged: row.charged }).toEqual({
              id: h.id,
              status: mine?.status ?? 'pending',
              charged: mine?.charged ?? null,
            })
          }
          expect(rows.size).toBe(known.length)
        }

        // Entries are append-only: an UPDATE or DELETE fails and changes nothing.
        const entries = await database.db
          .selectFrom('creditEntries')
          .selectAll()
          .where('workspaceId', '=', workspaceId)
          .orderBy('seq')
          .execute()
        if (entries.length) {
          const entry = entries[pickEntry % entries.length]!
          await expect(
            executeRaw(database.db, 'UPDATE credit_entries SET amount = amount + 1 WHERE id = $1', [entry.id]),
          ).rejects.toThrow()
          await expect(
            executeRaw(database.db, 'DELETE FROM credit_entries WHERE id = $1', [entry.id]),
          ).rejects.toThrow()
          await expect(
            executeRaw(database.db, 'DELETE FROM credit_entries WHERE workspace_id = $1', [workspaceId]),
          ).rejects.toThrow()
          expect(
            await database.db
              .selectFrom('creditEntries')
              .selectAll()
              .where('workspaceId', '=', workspaceId)
              .orderBy('seq')
              .execute(),
          ).toEqual(entries)
        }
        // A resolved hold cannot be resolved again behind the ledger's back.
        const done = [...resolved.keys()][0]
        if (done)
          await expect(
            executeRaw(database.db, `UPDATE credit_holds SET status = 'released', charged = 0 WHERE id = $1`, [done]),
          ).rejects.toThrow()

        // Free every hold; then available is exact: a hold of available + 1 is refused and one of available is placed.
        await Promise.all(
          known
            .filter((h) => !resolved.has(h.id))
            .map((h, i) =>
              ledgers[(i % 2) as Via].settle({ workspaceId, holdId: h.id, cost: 0n, resolution: 'settled' }),
            ),
        )
        const { balance, held, available } = await ledgers[0].balance(database.db, workspaceId)
        expect(held).toBe(0n)
        expect(available).toBe(balance)
        const hold = (requestId: string, amount: bigint) =>
          ledgers[1].hold({
            workspaceId,
            clientId: null,
            userId: null,
            tokenId: null,
            surface: 'test',
            modelId: 'test-model',
            streaming: false,
            requestId,
            amount,
            inputTokens: 0,
            paramsHash: '',
            ttlMs: 60_000,
          })
        await hold('final-over', available + 1n).then(
          () => expect.unreachable('a hold above available was placed'),
          (e) => expectAppError(e, 402, 'credits.insufficient'),
        )
        const last = await hold('final-exact', available)
        expect(last.kind).toBe('placed')
        expect((await ledgers[0].balance(database.db, workspaceId)).available).toBe(0n)
        await ledgers[0]
          .post(database.db, {
            workspaceId,
            kind: 'adjustment',
            amount: -1n,
            requestId: 'final-adjust',
            reason: 'property',
          })
          .then(
            () => expect.unreachable('an adjustment below zero was posted'),
            (e) => expectAppError(e, 409, 'credits.insufficient'),
          )
        await checkInvariants(workspaceId)
      }),
      { numRuns: NUM_RUNS },
    )
  }, 120_000)

  const holdRequest = (workspaceId: string, requestId: string, amount: bigint) => ({
    workspaceId,
    clientId: null,
    userId: null,
    tokenId: null,
    surface: 'test',
    modelId: 'test-model',
    streaming: false,
    requestId,
    amount,
    inputTokens: 0,
    paramsHash: '',
    ttlMs: 60_000,
  })

  it('refuses, in the database, a debit above its hold until its overage is logged', async () => {
    const ledger = createLedger(database.db, { defaults: LIMITS })
    const workspaceId = await openWorkspace(ledger)
    await ledger.post(database.db, { workspaceId, kind: 'grant', amount: 100n * U, requestId: 'grant', reason: 'test' })
    const { hold } = await ledger.hold(holdRequest(workspaceId, 'req', 10n * U))
    await database.db
      .updateTable('creditHolds')
      .set({ status: 'settled', charged: 15n * U, resolvedAt: new Date() })
      .where('id', '=', hold.id)
      .execute()
    const debit = {
      id: newId('ent'),
      workspaceId,
      kind: 'debit' as const,
      amount: -15n * U,
      requestId: hold.requestId,
      holdId: hold.id,
    }

    await expect(database.db.insertInto('creditEntries').values(debit).execute()).rejects.toThrow(/exceeds hold/)

    await database.db
      .insertInto('creditOverages')
      .values({
        holdId: hold.id,
        workspaceId,
        requestId: hold.requestId,
        held: hold.amount,
        cost: 15n * U,
        charged: 15n * U,
        uncollected: 0n,
      })
      .execute()
    await database.db.insertInto('creditEntries').values(debit).execute()
    await checkInvariants(workspaceId)
  })

  // Found by the property above: a second settle of a hold in the same batch was answered from the row read before
  // resolving it ('pending', 0 charged).
  it('tells a duplicate settle in the same batch what the hold was resolved to', async () => {
    const ledger = createLedger(database.db, { defaults: LIMITS })
    const workspaceId = await openWorkspace(ledger)
    await ledger.post(database.db, { workspaceId, kind: 'grant', amount: 100n * U, requestId: 'grant', reason: 'test' })
    const { hold } = await ledger.hold(holdRequest(workspaceId, 'req', 10n * U))
    // A hold queued first keeps the workspace's queue busy, so the three settles are applied in one batch.
    const busy = ledger.hold(holdRequest(workspaceId, 'other', 0n))
    const outs = await Promise.all(
      [1n, 2n, 3n].map((n) => ledger.settle({ workspaceId, holdId: hold.id, cost: n * U, resolution: 'settled' })),
    )
    await busy

    expect(outs.filter((o) => !o.alreadyResolved)).toHaveLength(1)
    const first = outs.find((o) => !o.alreadyResolved)!
    for (const o of outs.filter((x) => x.alreadyResolved)) {
      expect({ status: o.status, charged: o.charged, entryId: o.entryId }).toEqual({
        status: first.status,
        charged: first.charged,
        entryId: null,
      })
    }
  })
})
