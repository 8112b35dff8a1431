import { Counter, Gauge } from 'prom-client'
import type { Kysely } from 'kysely'
import type { BillingTables } from './billing.tables.ts'
import type { Metrics } from '../../platform/observability/metrics.ts'
import { reconciliationRepository as recon } from './reconciliation.repository.ts'

/**
 * Billing figures for /metrics, read from the database at scrape time: the nightly run may happen in a worker
 * process, and whichever process is scraped reports the same values. Alerts are never deleted, so their count
 * only grows, as a counter's must.
 */
export const registerBillingMetrics = (metrics: Metrics, db: Kysely<BillingTables>) => {
  new Gauge({
    name: 'camarad_billing_margin_ratio',
    help: 'Margin of the latest reconciled day with revenue: (revenue − provider cost) ÷ revenue',
    labelNames: ['day'] as const,
    registers: [metrics.registry],
    async collect() {
      const latest = await recon.latestMargin(db).catch(() => undefined)
      this.reset()
      if (latest?.marginBps != null) this.set({ day: latest.day }, latest.marginBps / 10_000)
    },
  })
  new Counter({
    name: 'camarad_billing_alerts_total',
    help: 'Billing alerts raised by reconciliation, by kind',
    labelNames: ['kind'] as const,
    registers: [metrics.registry],
    async collect() {
      const counts = await recon.alertCounts(db).catch(() => undefined)
      if (!counts) return
      this.reset()
      for (const { kind, count } of counts) this.inc({ kind }, count)
    },
  })
}
