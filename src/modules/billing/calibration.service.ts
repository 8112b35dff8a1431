import type { CalibrationProposalDto } from '../../../contracts/billing.ts'
import type { Kysely } from 'kysely'
import type { BillingTables } from './billing.tables.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { PriceBook, Rate } from '../credits/credits.module.ts'
import { billingErrors } from './billing.errors.ts'
import { proposeRate, type Proposal } from './calibration.ts'
import { addDays, dayOf, dayStart, daysBetween } from './reconciliation.ts'
import { reconciliationRepository as recon } from './reconciliation.repository.ts'
import type { UsageReader } from './usage.repository.ts'

type Deps = {
  db: Kysely<BillingTables>
  book: PriceBook
  usage: UsageReader
  audit: AuditService
  floorBps: number
  now: () => Date
}

const percent = (bps: number) => Math.round(bps) / 100
const values = (r: { usdMicroPerCredit: bigint; marginBps: number; bufferBps: number }) => ({
  usdPerCredit: Number(r.usdMicroPerCredit) / 1e6,
  marginPercent: r.marginBps / 100,
  bufferPercent: r.bufferBps / 100,
})

/**
 * Invoices ÷ priced cost over the days the window touches, on the day/models a provider invoice was imported
 * for (our recorded cost for a whole day against the invoice for that day). 1 when nothing comparable exists.
 */
const costFactorOver = async (db: Kysely<BillingTables>, usage: UsageReader, from: Date, to: Date) => {
  const days = daysBetween(from, to)
  const imported = await recon.currentCosts(db, days)
  if (!imported.length) return { costFactor: 1, costBasis: 'recorded' as const }
  const recorded = await usage.byDayAndModel(db, dayStart(days[0]!), dayStart(addDays(dayOf(to), 1)))
  const ours = new Map(recorded.map((r) => [`${r.day} ${r.modelId}`, BigInt(r.cost)]))
  let invoiced = 0n,
    priced = 0n
  for (const i of imported) {
    const cost = ours.get(`${i.day} ${i.modelId}`) ?? 0n
    if (cost > 0n) {
      invoiced += i.costUsdMicro
      priced += cost
    }
  }
  return priced > 0n
    ? { costFactor: Number(invoiced) / Number(priced), costBasis: 'imported' as const }
    : { costFactor: 1, costBasis: 'recorded' as const }
}

/** Proposes the next live credit rate from a window of calls and holds; applies it (a new rate version) when the data suffices. */
export const createCalibration = ({ db, book, usage, audit, floorBps, now }: Deps) => {
  const propose = async (
    windowHours: number,
  ): Promise<{ dto: CalibrationProposalDto; proposal: Proposal; current: Rate }> => {
    const to = now()
    const from = new Date(to.getTime() - windowHours * 3_600_000)
    const [{ live: current }, window, holds, factor] = await Promise.all([
      book.current(),
      usage.window(db, from, to),
      usage.holdRatios(db, from, to),
      costFactorOver(db, usage, from, to),
    ])
    const revenueUsdMicro = BigInt(window.revenueX) / 1_000_000n
    const proposal = proposeRate({
      current,
      floorBps,
      calls: window.calls,
      coveredCalls: window.covered,
      pricedCostUsdMicro: BigInt(window.pricedCost),
      revenueUsdMicro,
      costFactor: factor.costFactor,
      settledHolds: holds.holds,
      holdChargeRatioP95: holds.p95 === null ? null : Number(holds.p95),
    })
    const dto: CalibrationProposalDto = {
      windowHours,
      from: from.toISOString(),
      to: to.toISOString(),
      sample: {
        calls: window.calls,
        coveredCalls: window.covered,
        coverage: proposal.coverage,
        settledHolds: holds.holds,
      },
      observed: {
        pricedCostUsdMicro: Number(window.pricedCost),
        revenueUsdMicro: Number(revenueUsdMicro),
        costFactor: factor.costFactor,
        costBasis: factor.costBasis,
        realisedMarginPercent: proposal.realisedMarginPercent,
        holdChargeRatioP95: holds.p95 === null ? null : Number(holds.p95),
      },
      targetMarginPercent: percent(proposal.targetMarginBps),
      floorMarginPercent: floorBps / 100,
      current: { id: current.id, ...values(current) },
      proposed: values(proposal.proposed),
      guardrails: proposal.guardrails,
      confidence: proposal.confidence,
      sufficient: proposal.sufficient,
      reasons: proposal.reasons,
    }
    return { dto, proposal, current }
  }

  return {
    proposal: async (windowHours: number) => (await propose(windowHours)).dto,

    /** Closes the live rate and opens the proposed one, audited in the same transaction; 409 on too little data. */
    async apply(windowHours: number, note: string) {
      const { dto, proposal, current } = await propose(windowHours)
      if (!proposal.sufficient)
        throw billingErrors.insufficient_data({
          reasons: proposal.reasons,
          details: { calls: dto.sample.calls, coverage: dto.sample.coverage },
        })
      const rate = await db.transaction().execute(async (trx) => {
        const rate = await book.setRate(trx, {
          scope: 'live',
          ...proposal.proposed,
          note: (
            note || `calibrated on ${windowHours} h (${dto.sample.calls} calls, confidence ${dto.confidence.level})`
          ).slice(0, 500),
        })
        await audit.record(trx, {
          action: 'billing.rate_calibrated',
          workspaceId: null,
          targetType: 'credit_rate',
          targetId: rate.id,
          metadata: {
            previousRateId: current.id,
            previous: dto.current,
            proposed: dto.proposed,
            windowHours,
            guardrails: dto.guardrails,
            confidence: dto.confidence,
            sample: dto.sample,
          },
        })
        return rate
      })
      // setRate clears the cache before the commit; clear it again so no reader keeps the old rate for the TTL.
      book.invalidate()
      return rate
    },
  }
}
