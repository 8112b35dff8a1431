import { own, type Handle } from '../../platform/db/database.ts'
import type { Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { CreditRate, ModelPrice } from './credits.tables.ts'
import type { CatalogEntry } from '../models/models.module.ts'
import { perMillionFromUsd, type Price, type Rate } from './pricing.ts'
import type { Invalidations } from '../../platform/cache/who-cache.ts'

export type PriceInput = {
  modelId: string
  inputPerM: bigint
  outputPerM: bigint
  cachedInputPerM: bigint
  source: ModelPrice['source']
}
export type RateInput = {
  scope: 'live' | 'shadow'
  usdMicroPerCredit: bigint
  bufferBps: number
  marginBps: number
  note: string
}

const toPrice = (p: ModelPrice): Price => ({
  id: p.id,
  modelId: p.modelId,
  inputPerM: p.inputPerM,
  outputPerM: p.outputPerM,
  cachedInputPerM: p.cachedInputPerM,
})
const toRate = (r: CreditRate): Rate => ({
  id: r.id,
  usdMicroPerCredit: r.usdMicroPerCredit,
  bufferBps: r.bufferBps,
  marginBps: r.marginBps,
})

/** A catalog entry's list price, in the ledger's integer form. */
export const catalogPrice = (e: CatalogEntry): Omit<PriceInput, 'source'> => ({
  modelId: e.id,
  inputPerM: perMillionFromUsd(e.pricePerMillion.input),
  outputPerM: perMillionFromUsd(e.pricePerMillion.output),
  cachedInputPerM: perMillionFromUsd(e.pricePerMillion.cachedInput),
})

/**
 * Versioned prices per model and credit rates (live and shadow). The current versions are cached per process for
 * `ttlMs` at most; a change made here clears the cache at once, and one made anywhere else (another process, SQL by
 * hand) as soon as its commit's notification arrives (`invalidations`: triggers on both tables, tag `prices`).
 * Every charge records the versions it used.
 */
export const createPriceBook = (
  db: Kysely<CreditsTables>,
  {
    ttlMs = 10_000,
    now = () => Date.now(),
    invalidations,
  }: { ttlMs?: number; now?: () => number; invalidations?: Invalidations } = {},
) => {
  let cached: { at: number; prices: Map<string, Price>; live: Rate; shadow: Rate } | undefined
  /** Bumped by every invalidation: a load that started before one does not keep what it read. */
  let generation = 0
  const drop = () => {
    generation++
    cached = undefined
  }
  invalidations?.subscribe((tag) => {
    if (tag === 'prices') drop()
  }, drop)

  const read = async (seen: number) => {
    const [prices, rates] = await Promise.all([
      db.selectFrom('modelPrices').selectAll().where('validTo', 'is', null).execute(),
      db.selectFrom('creditRates').selectAll().where('validTo', 'is', null).execute(),
    ])
    const live = rates.find((r) => r.scope === 'live')
    const shadow = rates.find((r) => r.scope === 'shadow') ?? live
    if (!live || !shadow)
      throw new Error('No live credit rate: the credits migration seeds one; was it closed without a successor?')
    const loaded = {
      at: now(),
      prices: new Map(prices.map((p) => [p.modelId, toPrice(p)])),
      live: toRate(live),
      shadow: toRate(shadow),
    }
    if (seen === generation) cached = loaded
    return loaded
  }
  /** The read in flight, shared by every caller that finds the copy stale until it lands, unless a change came since. */
  let reading: { generation: number; loaded: ReturnType<typeof read> } | undefined
  const load = async () => {
    if (cached && now() - cached.at < ttlMs) return cached
    if (reading?.generation === generation) return reading.loaded
    const current = { generation, loaded: read(generation) }
    reading = current
    const done = () => {
      if (reading === current) reading = undefined
    }
    current.loaded.then(done, done)
    return current.loaded
  }

  /** Closes the current version of a price and opens the new one, in one transaction. */
  const setPrice = (handle: Handle, input: PriceInput) => {
    const executor = own<CreditsTables>(handle)
    const run = async (trx: Kysely<CreditsTables>) => {
      await trx
        .updateTable('modelPrices')
        .set({ validTo: new Date() })
        .where('modelId', '=', input.modelId)
        .where('validTo', 'is', null)
        .execute()
      return trx
        .insertInto('modelPrices')
        .values({ id: newId('price'), ...input })
        .returningAll()
        .executeTakeFirstOrThrow()
    }
    return (executor.isTransaction ? run(executor) : db.transaction().execute(run)).finally(drop)
  }

  return {
    current: load,
    invalidate: drop,

    /** The current price of a model; a model never priced before gets its catalog list price as its first version. */
    async priceFor(entry: CatalogEntry): Promise<Price> {
      const hit = (await load()).prices.get(entry.id)
      if (hit) return hit
      await db
        .insertInto('modelPrices')
        .values({ id: newId('price'), ...catalogPrice(entry), source: 'catalog' })
        .onConflict((oc) => oc.column('modelId').where('validTo', 'is', null).doNothing())
        .execute()
      drop()
      return (await load()).prices.get(entry.id)!
    },

    /** Gives every catalog model without a current price its list price (at startup). */
    async syncCatalog(entries: CatalogEntry[]) {
      const known = (await load()).prices
      const missing = entries.filter((e) => !known.has(e.id))
      if (!missing.length) return 0
      await db
        .insertInto('modelPrices')
        .values(missing.map((e) => ({ id: newId('price'), ...catalogPrice(e), source: 'catalog' as const })))
        .onConflict((oc) => oc.column('modelId').where('validTo', 'is', null).doNothing())
        .execute()
      drop()
      return missing.length
    },

    setPrice,

    /** Closes the scope's current rate and opens the new one. */
    setRate(handle: Handle, input: RateInput) {
      const executor = own<CreditsTables>(handle)
      const run = async (trx: Kysely<CreditsTables>) => {
        await trx
          .updateTable('creditRates')
          .set({ validTo: new Date() })
          .where('scope', '=', input.scope)
          .where('validTo', 'is', null)
          .execute()
        return trx
          .insertInto('creditRates')
          .values({ id: newId('rate'), ...input })
          .returningAll()
          .executeTakeFirstOrThrow()
      }
      return (executor.isTransaction ? run(executor) : db.transaction().execute(run)).finally(drop)
    },

    prices: (handle: Handle, modelId?: string) => {
      let q = own<CreditsTables>(handle)
        .selectFrom('modelPrices')
        .selectAll()
        .orderBy('modelId')
        .orderBy('validFrom', 'desc')
      if (modelId) q = q.where('modelId', '=', modelId)
      return q.execute()
    },
    rates: (handle: Handle) =>
      own<CreditsTables>(handle).selectFrom('creditRates').selectAll().orderBy('validFrom', 'desc').execute(),
    /** Price versions by id (any version, current or closed), for figures recorded with the versions they used. */
    pricesById: async (handle: Handle, ids: string[]): Promise<Map<string, ModelPrice>> =>
      new Map(
        (ids.length
          ? await own<CreditsTables>(handle).selectFrom('modelPrices').selectAll().where('id', 'in', ids).execute()
          : []
        ).map((p) => [p.id, p]),
      ),
    /** Rate versions by id (any version), likewise. */
    ratesById: async (handle: Handle, ids: string[]): Promise<Map<string, CreditRate>> =>
      new Map(
        (ids.length
          ? await own<CreditsTables>(handle).selectFrom('creditRates').selectAll().where('id', 'in', ids).execute()
          : []
        ).map((r) => [r.id, r]),
      ),
  }
}
export type PriceBook = ReturnType<typeof createPriceBook>
