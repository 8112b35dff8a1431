import type { ShadowSyncDto } from '../../../contracts/billing.ts'
import type { Kysely } from 'kysely'
import type { BillingTables } from './billing.tables.ts'
import { costPico, creditsFor, picoToUsdMicro, type PriceBook } from '../credits/credits.module.ts'
import type { CatalogEntry } from '../models/models.module.ts'
import type { UsageReader } from './usage.repository.ts'

const BATCH = 500

/**
 * Gives every model that calls were made with a current price (its catalog list price when the catalog knows
 * it, else 0 marked `shadow-sync` so reconciliation keeps flagging it), then fills the shadow charge (at the
 * current shadow rate) and the provider cost of calls recorded without them. Recorded figures are never changed.
 */
export const createShadowSync =
  ({
    db,
    book,
    usage,
    catalog,
  }: {
    db: Kysely<BillingTables>
    book: PriceBook
    usage: UsageReader
    catalog: (modelId: string) => CatalogEntry | undefined
  }) =>
  async (): Promise<ShadowSyncDto> => {
    const pricesCreated: ShadowSyncDto['pricesCreated'] = []
    // Another process may have closed or opened a price within the book's cache TTL.
    book.invalidate()
    for (const modelId of await usage.unpricedModels(db)) {
      const entry = catalog(modelId)
      if (entry) await book.syncCatalog([entry])
      else
        await book.setPrice(db, { modelId, inputPerM: 0n, outputPerM: 0n, cachedInputPerM: 0n, source: 'shadow-sync' })
      pricesCreated.push({ modelId, source: entry ? 'catalog' : 'shadow-sync' })
    }

    const { prices, shadow } = await book.current()
    let shadowBackfilled = 0,
      costBackfilled = 0,
      after = ''
    for (;;) {
      const rows = await usage.missingFigures(db, after, BATCH)
      if (!rows.length) break
      after = rows.at(-1)!.id
      const filled = rows.flatMap((r) => {
        const price = prices.get(r.modelId)
        if (!price) return []
        const pico = costPico(price, r)
        return [
          {
            id: r.id,
            shadowCharged: creditsFor(pico, shadow),
            costUsdMicro: picoToUsdMicro(pico),
            shadowRateId: shadow.id,
            priceId: price.id,
            row: r,
          },
        ]
      })
      await usage.fillFigures(db, filled)
      shadowBackfilled += filled.filter((f) => f.row.shadowCharged === null).length
      costBackfilled += filled.filter((f) => f.row.costUsdMicro === null).length
    }
    return { pricesCreated, shadowBackfilled, costBackfilled, shadowRateId: shadow.id }
  }
