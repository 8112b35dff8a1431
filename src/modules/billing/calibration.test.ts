import { describe, expect, it } from 'vitest'
import { marginForMarkup, markupForMargin, proposeRate, type CalibrationInput } from './calibration.ts'

const base: CalibrationInput = {
  current: { usdMicroPerCredit: 10_000n, marginBps: 10_000, bufferBps: 2500 },
  floorBps: 4000,
  calls: 500,
  coveredCalls: 500,
  pricedCostUsdMicro: 1_000_000n,
  revenueUsdMicro: 2_000_000n,
  costFactor: 1,
  settledHolds: 100,
  holdChargeRatioP95: 1,
}

describe('proposeRate', () => {
  it('keeps a rate that already meets its margin and covers its holds, with high confidence', () => {
    const p = proposeRate(base)
    expect(p.proposed).toEqual({ usdMicroPerCredit: 10_000n, marginBps: 10_000, bufferBps: 2500 })
    expect(p.guardrails).toEqual([])
    expect(p.confidence).toEqual({ score: 1, level: 'high' })
  })

  it('raises the markup when invoices come in above the price book, by at most half of itself', () => {
    const p = proposeRate({ ...base, costFactor: 1.2 })
    // 1.2 × (1 + 100 %) − 1 = 140 %: within +50 % of 100 %.
    expect(p.proposed.marginBps).toBe(14_000)
    const far = proposeRate({ ...base, costFactor: 3 })
    expect(far.proposed.marginBps).toBe(15_000)
    expect(far.guardrails.map((g) => `${g.name}:${g.field}`)).toEqual(['max_step:marginPercent'])
  })

  it('lowers the markup when invoices come in under the price book, never under the floor', () => {
    // Half the cost keeps the intended 50 % margin at a 0 % markup: −100 % is limited to −50 %, then the floor applies.
    const p = proposeRate({ ...base, costFactor: 0.5 })
    expect(p.proposed.marginBps).toBe(markupForMargin(4000))
    expect(p.guardrails.map((g) => g.name)).toEqual(['max_step', 'margin_floor'])
    expect(proposeRate({ ...base, costFactor: 0.9 }).proposed.marginBps).toBe(8000)
  })

  it('lets a zero buffer grow when holds fall short of charges', () => {
    const p = proposeRate({ ...base, current: { ...base.current, bufferBps: 0 }, holdChargeRatioP95: 1.3 })
    expect(p.proposed.bufferBps).toBe(100)
  })

  it('keeps the buffer without resolved holds, and marks too small or poorly covered samples as insufficient', () => {
    const p = proposeRate({ ...base, calls: 40, coveredCalls: 30, settledHolds: 0, holdChargeRatioP95: null })
    expect(p.proposed.bufferBps).toBe(2500)
    expect(p.sufficient).toBe(false)
    expect(p.reasons).toHaveLength(2)
  })
})

describe('markup and margin', () => {
  it('are inverse: a 40 % margin on revenue is a 66.67 % markup on cost', () => {
    expect(markupForMargin(4000)).toBe(6667)
    expect(markupForMargin(5000)).toBe(10_000)
    expect(marginForMarkup(10_000)).toBe(5000)
  })
})
