import { Gauge, type Registry } from 'prom-client'
import { sql, type Kysely } from 'kysely'
import { RunStatus, StepStatus } from '../../../contracts/flows.ts'
import type { FlowsTables } from './flows.tables.ts'

/** The window the "finished" figures cover: long enough for a 1-minute scrape to miss nothing, short enough to be live. */
export const FLOW_METRICS_WINDOW_MINUTES = 15
const OPEN = ['queued', 'running', 'waiting'] as const
const QUANTILES = [0.5, 0.95] as const

/**
 * Flow runs and steps for /metrics, read from the flows tables at scrape time: a run is walked in slices by whichever
 * process holds its lease, so no one process sees all of it; every process reports the same figures. Open runs by
 * status; runs and steps that finished in the window by status, and their durations (median and 95th percentile).
 */
export const flowsMetrics = (db: Kysely<FlowsTables>) => (registry: Registry) => {
  const since = () => new Date(Date.now() - FLOW_METRICS_WINDOW_MINUTES * 60_000)
  new Gauge({
    name: 'camarad_flow_runs_open',
    help: 'Flow runs not finished, by status (queued, running, waiting)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom('flowRuns')
        .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
        .where('status', 'in', [...OPEN])
        .groupBy('status')
        .execute()
        .catch(() => undefined)
      if (!rows) return
      for (const status of OPEN) this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0))
    },
  })
  new Gauge({
    name: 'camarad_flow_runs_finished',
    help: `Flow runs finished in the last ${FLOW_METRICS_WINDOW_MINUTES} minutes, by status`,
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom('flowRuns')
        .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
        .where('finishedAt', '>', since())
        .groupBy('status')
        .execute()
        .catch(() => undefined)
      if (!rows) return
      for (const status of RunStatus.options.filter((s) => !(OPEN as readonly string[]).includes(s)))
        this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0))
    },
  })
  new Gauge({
    name: 'camarad_flow_run_duration_seconds',
    help: `Duration of flow runs finished in the last ${FLOW_METRICS_WINDOW_MINUTES} minutes (start to end), by quantile`,
    labelNames: ['quantile'] as const,
    registers: [registry],
    async collect() {
      const seconds = sql<number>`extract(epoch from (finished_at - created_at))`
      const row = await db
        .selectFrom('flowRuns')
        .select(
          QUANTILES.map((q, i) =>
            sql<number | null>`percentile_cont(${sql.lit(q)}) within group (order by ${seconds})`.as(`q${i}`),
          ),
        )
        .where('finishedAt', '>', since())
        .executeTakeFirst()
        .catch(() => undefined)
      setQuantiles(this, row)
    },
  })
  new Gauge({
    name: 'camarad_flow_steps_finished',
    help: `Flow steps finished in the last ${FLOW_METRICS_WINDOW_MINUTES} minutes, by status`,
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom('flowSteps')
        .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
        .where('finishedAt', '>', since())
        .groupBy('status')
        .execute()
        .catch(() => undefined)
      if (!rows) return
      for (const status of StepStatus.options)
        this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0))
    },
  })
  new Gauge({
    name: 'camarad_flow_step_duration_seconds',
    help: `Duration of flow steps finished in the last ${FLOW_METRICS_WINDOW_MINUTES} minutes, by quantile`,
    labelNames: ['quantile'] as const,
    registers: [registry],
    async collect() {
      const row = await db
        .selectFrom('flowSteps')
        .select(
          QUANTILES.map((q, i) =>
            sql<number | null>`percentile_cont(${sql.lit(q)}) within group (order by duration_ms) / 1000.0`.as(`q${i}`),
          ),
        )
        .where('finishedAt', '>', since())
        .where('durationMs', 'is not', null)
        .executeTakeFirst()
        .catch(() => undefined)
      setQuantiles(this, row)
    },
  })
}

const setQuantiles = (gauge: Gauge<'quantile'>, row: Record<string, unknown> | undefined) => {
  if (!row) return
  gauge.reset()
  for (const [i, q] of QUANTILES.entries()) {
    const v = row[`q${i}`]
    if (v != null) gauge.set({ quantile: String(q) }, Number(v))
  }
}
