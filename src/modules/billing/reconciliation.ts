/** Days are UTC, written `YYYY-MM-DD`. */
export const dayStart = (day: string) => new Date(`${day}T00:00:00.000Z`)
export const addDays = (day: string, n: number) =>
  new Date(dayStart(day).getTime() + n * 86_400_000).toISOString().slice(0, 10)
export const dayOf = (at: Date) => at.toISOString().slice(0, 10)
export const isRealDay = (day: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(dayStart(day).getTime()) && dayOf(dayStart(day)) === day
export const daysBetween = (from: Date, to: Date) => {
  const days: string[] = []
  for (let d = dayOf(from); d <= dayOf(to); d = addDays(d, 1)) days.push(d)
  return days
}

/** Our calls for one model on one day (see usageRepository.byDayAndModel). */
export type RecordedUsage = {
  modelId: string
  calls: number
  inputTokens: bigint
  outputTokens: bigint
  costUsdMicro: bigint
  charged: bigint
  /** Σ micro-credits × micro-USD per credit: ÷ 10⁶ is revenue in micro-USD. */
  revenueX: bigint
  unpricedCalls: number
}
/** The provider's figure for one model on one day: the latest imported version. */
export type ImportedCost = { modelId: string; provider: string; costUsdMicro: bigint; importId: string }

export type AlertDraft = {
  kind: 'margin_below_target' | 'cost_missing'
  modelId: string | null
  message: string
  details: Record<string, unknown>
}

const providerOf = (modelId: string) => (modelId.includes(':') ? modelId.slice(0, modelId.indexOf(':')) : 'unknown')
const usd = (micro: bigint) => `$${(Number(micro) / 1e6).toFixed(2)}`
const pct = (bps: number) => `${(bps / 100).toFixed(2)} %`

/** Margin on revenue in basis points, rounded down; null without revenue. */
export const marginBps = (revenue: bigint, cost: bigint) => {
  if (revenue <= 0n) return null
  const num = (revenue - cost) * 10_000n
  const q = num / revenue
  return Number(num < 0n && q * revenue !== num ? q - 1n : q)
}

/**
 * One day's reconciliation: per model, the provider's invoiced cost against the cost we recorded (delta =
 * imported − recorded); the day's margin ((revenue − provider cost) ÷ revenue, where provider cost is the
 * invoice where one was imported and our recorded cost elsewhere); and the alerts — margin under the target
 * (or cost without revenue), and models that used tokens with no recorded cost and no declared-free price.
 */
export const assessDay = (day: string, recorded: RecordedUsage[], imported: ImportedCost[], targetBps: number) => {
  const byModel = new Map(imported.map((i) => [i.modelId, i]))
  const models = [...new Set([...recorded.map((r) => r.modelId), ...imported.map((i) => i.modelId)])].sort()
  const zero: RecordedUsage = {
    modelId: '',
    calls: 0,
    inputTokens: 0n,
    outputTokens: 0n,
    costUsdMicro: 0n,
    charged: 0n,
    revenueX: 0n,
    unpricedCalls: 0,
  }
  const deltas = models.map((modelId) => {
    const r = recorded.find((x) => x.modelId === modelId) ?? { ...zero, modelId }
    const i = byModel.get(modelId)
    return {
      modelId,
      provider: i?.provider ?? providerOf(modelId),
      calls: r.calls,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      recordedUsdMicro: r.costUsdMicro,
      importedUsdMicro: i?.costUsdMicro ?? null,
      deltaUsdMicro: i ? i.costUsdMicro - r.costUsdMicro : null,
      importId: i?.importId ?? null,
      unpricedCalls: r.unpricedCalls,
    }
  })
  const sum = (f: (d: (typeof deltas)[number]) => bigint) => deltas.reduce((s, d) => s + f(d), 0n)
  const revenueUsdMicro = recorded.reduce((s, r) => s + r.revenueX, 0n) / 1_000_000n
  const providerCostUsdMicro = sum((d) => d.importedUsdMicro ?? d.recordedUsdMicro)
  const run = {
    day,
    calls: deltas.reduce((s, d) => s + d.calls, 0),
    inputTokens: sum((d) => d.inputTokens),
    outputTokens: sum((d) => d.outputTokens),
    recordedCostUsdMicro: sum((d) => d.recordedUsdMicro),
    importedCostUsdMicro: imported.length ? sum((d) => d.importedUsdMicro ?? 0n) : null,
    providerCostUsdMicro,
    charged: recorded.reduce((s, r) => s + r.charged, 0n),
    revenueUsdMicro,
    marginBps: marginBps(revenueUsdMicro, providerCostUsdMicro),
    targetMarginBps: targetBps,
  }

  const alerts: AlertDraft[] = []
  const costBasis = imported.length ? 'imported where available, else recorded' : 'recorded'
  if ((run.marginBps !== null && run.marginBps < targetBps) || (run.marginBps === null && providerCostUsdMicro > 0n)) {
    alerts.push({
      kind: 'margin_below_target',
      modelId: null,
      message:
        run.marginBps === null
          ? `${day}: provider cost ${usd(providerCostUsdMicro)} with no revenue (target margin ${pct(targetBps)}).`
          : `${day}: margin ${pct(run.marginBps)} is under the ${pct(targetBps)} target ` +
            `(revenue ${usd(revenueUsdMicro)}, provider cost ${usd(providerCostUsdMicro)}).`,
      details: {
        day,
        marginPercent: run.marginBps === null ? null : run.marginBps / 100,
        targetMarginPercent: targetBps / 100,
        revenueUsdMicro: Number(revenueUsdMicro),
        providerCostUsdMicro: Number(providerCostUsdMicro),
        costBasis,
      },
    })
  }
  for (const d of deltas) {
    const tokens = d.inputTokens + d.outputTokens
    if (tokens > 0n && d.recordedUsdMicro === 0n && d.unpricedCalls > 0) {
      alerts.push({
        kind: 'cost_missing',
        modelId: d.modelId,
        message: `${day}: ${d.modelId} used ${tokens} tokens in ${d.calls} calls with no recorded provider cost; price the model.`,
        details: {
          day,
          modelId: d.modelId,
          calls: d.calls,
          tokens: Number(tokens),
          unpricedCalls: d.unpricedCalls,
          importedUsdMicro: d.importedUsdMicro === null ? null : Number(d.importedUsdMicro),
        },
      })
    }
  }
  return { run, deltas: deltas.map(({ unpricedCalls: _, ...d }) => d), alerts }
}
