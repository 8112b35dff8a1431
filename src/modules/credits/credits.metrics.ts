import { Counter, Gauge, type Registry } from 'prom-client'
import type { Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import type { Ledger, SettleRequest } from './ledger.ts'

const MICRO = 1_000_000

/**
 * Credits for /metrics. Balances and holds are read from the accounts at scrape time (the figures every process must
 * agree on); what was charged is counted as this process settles calls (a counter per process, summed by Prometheus),
 * by how the hold resolved: `settled` by its call, `expired` by the sweeper.
 */
export const createCreditsMetrics = (db: Kysely<CreditsTables>) => {
  const charged = new Counter({
    name: 'camarad_credits_charged_total',
    help: 'Credits debited for model calls settled in this process, by resolution (settled, expired)',
    labelNames: ['resolution'] as const,
    registers: [],
  })
  for (const resolution of ['settled', 'expired']) charged.inc({ resolution }, 0)
  const totals = async () =>
    db
      .selectFrom('creditAccounts')
      .select((eb) => [
        eb.fn.coalesce(eb.fn.sum<string>('held'), eb.lit(0)).as('held'),
        eb.fn.coalesce(eb.fn.sum<string>('balance'), eb.lit(0)).as('balance'),
      ])
      .executeTakeFirst()
  const held = new Gauge({
    name: 'camarad_credits_held',
    help: 'Credits reserved by holds of calls in flight, across workspaces',
    registers: [],
    async collect() {
      const t = await totals().catch(() => undefined)
      if (t) this.set(Number(t.held) / MICRO)
    },
  })
  const balance = new Gauge({
    name: 'camarad_credits_balance',
    help: 'Credits in every account (sum of the ledger entries), across workspaces',
    registers: [],
    async collect() {
      const t = await totals().catch(() => undefined)
      if (t) this.set(Number(t.balance) / MICRO)
    },
  })
  return {
    register(registry: Registry) {
      for (const m of [charged, held, balance]) registry.registerMetric(m)
    },
    /** The ledger, its settles counted (once: a hold already resolved adds nothing). */
    observe: (ledger: Ledger): Ledger => ({
      ...ledger,
      settle: async (req: SettleRequest) => {
        const out = await ledger.settle(req)
        if (!out.alreadyResolved && out.charged > 0n)
          charged.inc({ resolution: req.resolution }, Number(out.charged) / MICRO)
        return out
      },
    }),
  }
}
