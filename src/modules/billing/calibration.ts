/** Calibration needs this many calls in the window, with this share of them carrying both a cost and a charge. */
export const MIN_CALLS = 50
export const MIN_COVERAGE = 0.9
/** No value moves by more than half of itself at once (and at least one percentage point, so zero can move). */
const MAX_STEP = 0.5
const MIN_STEP_BPS = 100
const MAX_BPS = 100_000
/** Float products are rounded up; this keeps an exact integer from becoming the next one. */
const EPSILON = 1e-6

export type RateValues = { usdMicroPerCredit: bigint; marginBps: number; bufferBps: number }
export type Guardrail = { name: 'max_step' | 'margin_floor' | 'range' | 'no_hold_data'; field: string; detail: string }

export type CalibrationInput = {
  current: RateValues
  /** The realised margin (on revenue) never to go under, in basis points: BILLING_MARGIN_ALERT_PERCENT. */
  floorBps: number
  calls: number
  coveredCalls: number
  pricedCostUsdMicro: bigint
  revenueUsdMicro: bigint
  /** Provider invoices ÷ our priced cost on the imported days and models; 1 without imports. */
  costFactor: number
  settledHolds: number
  holdChargeRatioP95: number | null
}

const ceilBps = (x: number) => Math.ceil(x - EPSILON)
/** The markup (on cost) that yields a margin of `bps` on revenue: m = T ÷ (1 − T). */
export const markupForMargin = (bps: number) =>
  bps >= 10_000 ? MAX_BPS : Math.min(MAX_BPS, ceilBps((bps * 10_000) / (10_000 - bps)))
/** The margin on revenue that a markup yields: T = m ÷ (1 + m). */
export const marginForMarkup = (markupBps: number) => (markupBps * 10_000) / (10_000 + markupBps)

/**
 * Proposes the next live rate from what the window showed. The credit keeps its value. The markup is set so
 * the realised margin — after the provider's invoices are taken into account (costFactor) — is what the
 * current markup intends, and at least the floor. The buffer is set so an estimate covers the p95 of what
 * calls were really charged against their hold. Guardrails then limit each move to ±50 % (a large cost factor
 * is as likely a bad import as a price change: it is approached over several calibrations, while the margin
 * alert keeps firing) and keep the markup at or above the one that yields the floor margin at list prices;
 * that floor wins over the step limit, since it is the safety.
 */
export const proposeRate = (input: CalibrationInput) => {
  const { current, floorBps, costFactor } = input
  const guardrails: Guardrail[] = []
  const step = (field: string, from: number, to: number) => {
    const limit = Math.max(Math.round(Math.abs(from) * MAX_STEP), MIN_STEP_BPS)
    const clamped = Math.min(from + limit, Math.max(from - limit, to))
    if (clamped !== to)
      guardrails.push({
        name: 'max_step',
        field,
        detail: `wanted ${to / 100} %, limited to ${clamped / 100} % (±50 % of ${from / 100} % per change)`,
      })
    return clamped
  }
  const range = (field: string, v: number) => {
    const r = Math.min(MAX_BPS, Math.max(0, v))
    if (r !== v) guardrails.push({ name: 'range', field, detail: `kept within 0–${MAX_BPS / 100} %` })
    return r
  }

  const floorMarkup = markupForMargin(floorBps)
  const intendedMarkup = Math.max(current.marginBps, floorMarkup)
  let marginBps = step('marginPercent', current.marginBps, ceilBps(costFactor * (10_000 + intendedMarkup) - 10_000))
  if (marginBps < floorMarkup) {
    guardrails.push({
      name: 'margin_floor',
      field: 'marginPercent',
      detail: `raised to ${floorMarkup / 100} %, the markup that yields the ${floorBps / 100} % margin floor`,
    })
    marginBps = floorMarkup
  }
  marginBps = range('marginPercent', marginBps)

  let bufferBps = current.bufferBps
  if (input.holdChargeRatioP95 === null || input.settledHolds === 0) {
    guardrails.push({
      name: 'no_hold_data',
      field: 'bufferPercent',
      detail: 'no resolved holds in the window: the buffer is kept',
    })
  } else {
    const wanted = Math.max(0, ceilBps(input.holdChargeRatioP95 * (10_000 + current.bufferBps) - 10_000))
    bufferBps = range('bufferPercent', step('bufferPercent', current.bufferBps, wanted))
  }

  const coverage = input.calls ? input.coveredCalls / input.calls : 0
  const score = Math.round(Math.min(1, input.calls / 500) * coverage * 100) / 100
  const reasons = [
    ...(input.calls < MIN_CALLS ? [`only ${input.calls} calls in the window (at least ${MIN_CALLS} needed)`] : []),
    ...(coverage < MIN_COVERAGE
      ? [
          `${Math.floor(coverage * 1000) / 10} % of the calls have a cost and a charge (at least ${MIN_COVERAGE * 100} % needed)`,
        ]
      : []),
  ]
  const effectiveCost = BigInt(Math.round(Number(input.pricedCostUsdMicro) * costFactor))
  const realised =
    input.revenueUsdMicro > 0n
      ? Number(((input.revenueUsdMicro - effectiveCost) * 1_000_000n) / input.revenueUsdMicro) / 10_000
      : null
  return {
    proposed: { usdMicroPerCredit: current.usdMicroPerCredit, marginBps, bufferBps },
    targetMarginBps: marginForMarkup(intendedMarkup),
    realisedMarginPercent: realised,
    coverage,
    guardrails,
    confidence: {
      score,
      level: score >= 0.8 ? ('high' as const) : score >= 0.5 ? ('medium' as const) : ('low' as const),
    },
    sufficient: reasons.length === 0,
    reasons,
  }
}
export type Proposal = ReturnType<typeof proposeRate>
