import type { KyselyPlugin } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPriceBook } from '../../src/modules/credits/price-book.ts'
import { createInvalidations, type Invalidations } from '../../src/platform/cache/who-cache.ts'
import type { Database } from '../../src/platform/db/database.ts'
import type { DB } from '../../src/schema.ts'
import { driver, openMigratedDatabase } from '../harness.ts'

/**
 * The price book keeps the current prices and rates per process. A new version written anywhere else — another
 * process, SQL by hand — reaches it through the commit's notification (triggers on `model_prices` and `credit_rates`),
 * so the next charge uses it, not a copy up to `ttlMs` old. `sync()` is what a request waits for: on PostgreSQL the
 * notification is asynchronous, on PGlite it arrives before the write returns.
 */
describe(`price book invalidation (${driver})`, () => {
  let database: Database<DB>
  let invalidations: Invalidations
  let close: () => Promise<void>

  beforeAll(async () => {
    ;({ database, close } = await openMigratedDatabase())
    invalidations = await createInvalidations(database)
  })

  afterAll(async () => {
    await invalidations?.close()
    await close?.()
  })

  /** A new price version for a model, as another process's operator change would write it. */
  const newVersion = async (modelId: string, outputPerM: bigint) => {
    await database.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('modelPrices')
        .set({ validTo: new Date() })
        .where('modelId', '=', modelId)
        .where('validTo', 'is', null)
        .execute()
      await trx
        .insertInto('modelPrices')
        .values({
          id: `price_${modelId}_${outputPerM}`,
          modelId,
          inputPerM: 1n,
          outputPerM,
          cachedInputPerM: 0n,
          source: 'operator',
        })
        .execute()
    })
  }

  it('sees a price changed elsewhere on the next read; without the notifications it keeps its copy', async () => {
    await newVersion('probe-model', 100n)
    const book = createPriceBook(database.db, { ttlMs: 60_000, invalidations })
    const blind = createPriceBook(database.db, { ttlMs: 60_000 })
    expect((await book.current()).prices.get('probe-model')?.outputPerM).toBe(100n)
    expect((await blind.current()).prices.get('probe-model')?.outputPerM).toBe(100n)
    for (const price of [200n, 300n, 400n]) {
      await newVersion('probe-model', price)
      await invalidations.sync()
      expect((await book.current()).prices.get('probe-model')?.outputPerM).toBe(price)
    }
    // The control: a book that hears nothing serves what it read, for its whole TTL.
    expect((await blind.current()).prices.get('probe-model')?.outputPerM).toBe(100n)
  })

  it('sees a new credit rate written elsewhere on the next read', async () => {
    const book = createPriceBook(database.db, { ttlMs: 60_000, invalidations })
    const before = (await book.current()).live
    await database.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('creditRates')
        .set({ validTo: new Date() })
        .where('scope', '=', 'live')
        .where('validTo', 'is', null)
        .execute()
      await trx
        .insertInto('creditRates')
        .values({
          id: 'rate_probe',
          scope: 'live',
          usdMicroPerCredit: before.usdMicroPerCredit * 2n,
          bufferBps: before.bufferBps,
          marginBps: before.marginBps,
          note: 'probe',
        })
        .execute()
    })
    await invalidations.sync()
    expect((await book.current()).live).toMatchObject({
      id: 'rate_probe',
      usdMicroPerCredit: before.usdMicroPerCredit * 2n,
    })
  })

  it('reads the prices once for every caller that finds the copy stale at the same time, and never shares a read older than a change', async () => {
    let statements = 0
    const counter: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        statements++
        return args.result
      },
    }
    let clock = 0
    const book = createPriceBook(database.db.withPlugin(counter), { ttlMs: 1_000, now: () => clock })
    // Cold, then stale after the TTL: 20 calls at once read prices and rates once each (a bench run under load read
    // them ≈ 18 times per expiry before).
    await Promise.all(Array.from({ length: 20 }, () => book.current()))
    expect(statements).toBe(2)
    clock += 1_001
    await Promise.all(Array.from({ length: 20 }, () => book.current()))
    expect(statements).toBe(4)
    // A change made while a read is in flight: callers after it get a read started after it.
    clock += 1_001
    const before = book.current()
    book.invalidate()
    await Promise.all([before, book.current()])
    expect(statements).toBe(8)
  })
})
