import type { CostProvider, ReconciliationRunDto } from '../../../contracts/billing.ts'
import type { Kysely } from 'kysely'
import type { BillingTables } from './billing.tables.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { billingErrors } from './billing.errors.ts'
import type { notifyAlertJob } from './billing.jobs.ts'
import { parseCostCsv } from './cost-csv.ts'
import { addDays, assessDay, dayOf, dayStart, isRealDay } from './reconciliation.ts'
import { reconciliationRepository as recon } from './reconciliation.repository.ts'
import type { UsageReader } from './usage.repository.ts'

type Deps = {
  usage: UsageReader
  db: Kysely<BillingTables>
  audit: AuditService
  queue: Queue
  now: () => Date
  targetBps: number
  /** Enqueued once per alert when a webhook is configured. */
  notify: ReturnType<typeof notifyAlertJob> | undefined
  /** Raises each alert to the operator's alert list in the run's transaction (alerts); `announce` after the commit. */
  raise?: (
    trx: Kysely<BillingTables>,
    alert: { id: string; kind: string; day: string; modelId: string | null; message: string },
  ) => Promise<{ announce: () => void }>
}

type StoredRun = Awaited<ReturnType<typeof recon.runs>>[number]
const num = (v: bigint | null) => (v === null ? null : Number(v))
const toDto = ({ run, deltas, alerts }: StoredRun): ReconciliationRunDto => ({
  id: run.id,
  day: run.day,
  trigger: run.trigger,
  calls: run.calls,
  inputTokens: Number(run.inputTokens),
  outputTokens: Number(run.outputTokens),
  recordedCostUsdMicro: Number(run.recordedCostUsdMicro),
  importedCostUsdMicro: num(run.importedCostUsdMicro),
  providerCostUsdMicro: Number(run.providerCostUsdMicro),
  charged: Number(run.charged),
  revenueUsdMicro: Number(run.revenueUsdMicro),
  marginPercent: run.marginBps === null ? null : run.marginBps / 100,
  targetMarginPercent: run.targetMarginBps / 100,
  createdAt: run.createdAt.toISOString(),
  deltas: deltas.map((d) => ({
    modelId: d.modelId,
    provider: d.provider,
    calls: d.calls,
    inputTokens: Number(d.inputTokens),
    outputTokens: Number(d.outputTokens),
    recordedUsdMicro: Number(d.recordedUsdMicro),
    importedUsdMicro: num(d.importedUsdMicro),
    deltaUsdMicro: num(d.deltaUsdMicro),
    importId: d.importId,
  })),
  alerts: alerts.map((a) => ({
    id: a.id,
    kind: a.kind,
    modelId: a.modelId,
    message: a.message,
    details: a.details,
    notifiedAt: a.notifiedAt?.toISOString() ?? null,
    createdAt: a.createdAt.toISOString(),
  })),
})

/** Provider invoices in, daily comparison with what we recorded and charged, alerts out. */
export const createReconciliation = ({ db, usage, audit, queue, now, targetBps, notify, raise }: Deps) => {
  const checkedDay = (day: string) => {
    if (!isRealDay(day)) throw billingErrors.invalid_date({ day, why: 'is not a YYYY-MM-DD day' })
    if (day > dayOf(now())) throw billingErrors.invalid_date({ day, why: 'is in the future' })
    return day
  }

  /**
   * Reconciles one day. Everything is read first, then the run, its deltas, its alerts, their audit events and
   * their webhook jobs are written in one transaction: an alert exists with its notification or not at all.
   */
  const run = async (day: string, trigger: 'cron' | 'operator') => {
    checkedDay(day)
    const [recorded, imported] = await Promise.all([
      usage.byDayAndModel(db, dayStart(day), dayStart(addDays(day, 1))),
      recon.currentCosts(db, [day]),
    ])
    const assessment = assessDay(
      day,
      recorded.map((r) => ({
        modelId: r.modelId,
        calls: r.calls,
        inputTokens: BigInt(r.inputTokens),
        outputTokens: BigInt(r.outputTokens),
        costUsdMicro: BigInt(r.cost),
        charged: BigInt(r.charged),
        revenueX: BigInt(r.revenueX),
        unpricedCalls: r.unpricedCalls,
      })),
      imported,
      targetBps,
    )
    const announces: (() => void)[] = []
    const stored = await db.transaction().execute(async (trx) => {
      const out = await recon.insertRun(trx, trigger, assessment)
      if (!out) return null
      for (const alert of out.alerts) {
        if (raise) announces.push((await raise(trx, alert)).announce)
        await audit.record(trx, {
          action: 'billing.alert',
          workspaceId: null,
          targetType: 'billing_alert',
          targetId: alert.id,
          metadata: { kind: alert.kind, day, modelId: alert.modelId, runId: out.run.id, message: alert.message },
        })
        if (notify) await queue.enqueue(trx, notify, { alertId: alert.id })
      }
      return out.run.id
    })
    for (const announce of announces) announce()
    const id = stored ?? (await recon.cronRunOf(db, day))?.id
    const [result] = await recon.runs(db, { limit: 1, ids: id ? [id] : [] })
    return toDto(result!)
  }

  return {
    run: (day: string | undefined, trigger: 'cron' | 'operator') => run(day ?? addDays(dayOf(now()), -1), trigger),

    async importCosts(provider: CostProvider, csv: string) {
      const lines = parseCostCsv(provider, csv, dayOf(now()))
      const { header, days, replaced } = await db
        .transaction()
        .execute((trx) => recon.storeImport(trx, provider, lines))
      return {
        id: header.id,
        provider,
        lines: header.lines,
        replaced,
        days,
        totalCostUsdMicro: Number(header.totalUsdMicro),
        createdAt: header.createdAt.toISOString(),
      }
    },

    list: async (q: { limit: number; day?: string }) => ({ runs: (await recon.runs(db, q)).map(toDto) }),
  }
}
export type Reconciliation = ReturnType<typeof createReconciliation>
