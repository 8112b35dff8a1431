import type { Handle } from '../../platform/db/database.ts'
import type { Ledger, PriceBook } from '../credits/credits.module.ts'
import { usageReports } from '../models/models.module.ts'

/**
 * Billing's reads over the calls the models module records (its usage reports) and the versions credits priced them
 * with (its price book): operator figures, read-only, across workspaces. Billing names neither table; where a figure
 * needs both, models groups its calls by the price and rate versions they used and this combines the groups with
 * those versions (same sums as one join, exact in bigint).
 */
export const createUsageReader = ({ book, ledger }: { book: PriceBook; ledger: Pick<Ledger, 'holdRatios'> }) => ({
  totals: usageReports.totals,
  topModels: usageReports.topModels,
  topAgents: usageReports.topAgents,
  latest: usageReports.latest,
  missingFigures: usageReports.missingFigures,
  fillFigures: usageReports.fillFigures,
  holdRatios: ledger.holdRatios,

  /**
   * Our calls per UTC day and model between two moments: tokens, provider cost, credits charged and revenue
   * (Σ micro-credits × micro-USD per credit of the rate each call used; ÷ 10⁶ gives micro-USD). `unpricedCalls`
   * counts calls with tokens but no cost whose price is not one the catalog or an operator declared free.
   */
  async byDayAndModel(handle: Handle, from: Date, to: Date) {
    const groups = await usageReports.byDayModelAndVersions(handle, from, to)
    const ids = (key: 'priceId' | 'rateId') => [...new Set(groups.flatMap((g) => (g[key] ? [g[key]] : [])))]
    const [prices, rates] = await Promise.all([
      book.pricesById(handle, ids('priceId')),
      book.ratesById(handle, ids('rateId')),
    ])
    const declaredFree = (priceId: string | null) => {
      const p = priceId ? prices.get(priceId) : undefined
      return Boolean(
        p &&
        (p.source === 'catalog' || p.source === 'operator') &&
        p.inputPerM === 0n &&
        p.outputPerM === 0n &&
        p.cachedInputPerM === 0n,
      )
    }
    const rows = new Map<
      string,
      {
        day: string
        modelId: string
        calls: number
        inputTokens: bigint
        outputTokens: bigint
        cost: bigint
        charged: bigint
        shadowCharged: bigint
        revenueX: bigint
        unpricedCalls: number
      }
    >()
    for (const g of groups) {
      const key = `${g.day} ${g.modelId}`
      const row = rows.get(key) ?? {
        day: g.day,
        modelId: g.modelId,
        calls: 0,
        inputTokens: 0n,
        outputTokens: 0n,
        cost: 0n,
        charged: 0n,
        shadowCharged: 0n,
        revenueX: 0n,
        unpricedCalls: 0,
      }
      const rate = g.rateId ? rates.get(g.rateId) : undefined
      row.calls += g.calls
      row.inputTokens += BigInt(g.inputTokens)
      row.outputTokens += BigInt(g.outputTokens)
      row.cost += BigInt(g.cost)
      row.charged += BigInt(g.charged)
      row.shadowCharged += BigInt(g.shadowCharged)
      row.revenueX += rate ? BigInt(g.charged) * rate.usdMicroPerCredit : 0n
      row.unpricedCalls += declaredFree(g.priceId) ? 0 : g.zeroCostCalls
      rows.set(key, row)
    }
    // The same shape as a SQL aggregate (sums as text), ordered by day then model.
    return [...rows.values()].map((r) => ({
      day: r.day,
      modelId: r.modelId,
      calls: r.calls,
      inputTokens: String(r.inputTokens),
      outputTokens: String(r.outputTokens),
      cost: String(r.cost),
      charged: String(r.charged),
      shadowCharged: String(r.shadowCharged),
      revenueX: String(r.revenueX),
      unpricedCalls: r.unpricedCalls,
    }))
  },

  /** The calibration window: calls, those with both a cost and a charge, and the priced cost and revenue of charged calls. */
  async window(handle: Handle, from: Date, to: Date) {
    const groups = await usageReports.windowByRate(handle, from, to)
    const rates = await book.ratesById(handle, [...new Set(groups.flatMap((g) => (g.rateId ? [g.rateId] : [])))])
    let calls = 0,
      covered = 0,
      pricedCost = 0n,
      revenueX = 0n
    for (const g of groups) {
      const rate = g.rateId ? rates.get(g.rateId) : undefined
      calls += g.calls
      covered += g.covered
      pricedCost += BigInt(g.pricedCost)
      revenueX += rate ? BigInt(g.pricedCharged) * rate.usdMicroPerCredit : 0n
    }
    return { calls, covered, pricedCost: String(pricedCost), revenueX: String(revenueX) }
  },

  /** Models that calls were made with and that have no current price. */
  async unpricedModels(handle: Handle) {
    const [called, { prices }] = await Promise.all([usageReports.modelsCalled(handle), book.current()])
    return called.filter((modelId) => !prices.has(modelId))
  },
})
export type UsageReader = ReturnType<typeof createUsageReader>
