import { sql, type Kysely } from 'kysely'
import type { BillingTables } from './billing.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { CostLine } from './cost-csv.ts'
import type { AlertDraft, ImportedCost, assessDay } from './reconciliation.ts'

type Assessment = ReturnType<typeof assessDay>

export const reconciliationRepository = {
  /**
   * Stores an import: each day/model row becomes the next version of that day/model (earlier versions stay as
   * history). Imports are serialised by a transaction-scoped lock so two of them never pick the same version.
   */
  async storeImport(trx: Kysely<BillingTables>, provider: string, lines: CostLine[]) {
    await sql`SELECT pg_advisory_xact_lock(hashtext('billing.provider_costs'))`.execute(trx)
    const days = [...new Set(lines.map((l) => l.day))].sort()
    const latest = await trx
      .selectFrom('providerCosts')
      .select(['day', 'modelId', sql<number>`max(version)`.as('version')])
      .where('provider', '=', provider)
      .where('day', 'in', days)
      .groupBy(['day', 'modelId'])
      .execute()
    const versions = new Map(latest.map((r) => [`${r.day} ${r.modelId}`, Number(r.version)]))
    const header = await trx
      .insertInto('providerCostImports')
      .values({
        id: newId('imp'),
        provider,
        lines: lines.length,
        totalUsdMicro: lines.reduce((s, l) => s + l.costUsdMicro, 0n),
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    for (let i = 0; i < lines.length; i += 1000) {
      await trx
        .insertInto('providerCosts')
        .values(
          lines.slice(i, i + 1000).map((l) => ({
            day: l.day,
            provider,
            modelId: l.modelId,
            version: (versions.get(`${l.day} ${l.modelId}`) ?? 0) + 1,
            importId: header.id,
            line: l.line,
            costUsdMicro: l.costUsdMicro,
            inputTokens: l.inputTokens,
            outputTokens: l.outputTokens,
          })),
        )
        .execute()
    }
    return { header, days, replaced: lines.filter((l) => versions.has(`${l.day} ${l.modelId}`)).length }
  },

  /** The provider's current figure per day and model: the highest version. */
  currentCosts: async (db: Kysely<BillingTables>, days: string[]) => {
    if (!days.length) return []
    const rows = await db
      .selectFrom('providerCosts')
      .select(['day', 'provider', 'modelId', 'costUsdMicro', 'importId'])
      .distinctOn(['day', 'modelId'])
      .where('day', 'in', days)
      .orderBy('day')
      .orderBy('modelId')
      .orderBy('version', 'desc')
      .execute()
    return rows satisfies (ImportedCost & { day: string })[]
  },

  /** Inserts a run with its deltas and alerts; a nightly run for a day that already has one inserts nothing (null). */
  async insertRun(trx: Kysely<BillingTables>, trigger: 'cron' | 'operator', a: Assessment) {
    const run = await trx
      .insertInto('reconciliationRuns')
      .values({ id: newId('rec'), trigger, ...a.run })
      .onConflict((oc) => oc.column('day').where('trigger', '=', 'cron').doNothing())
      .returningAll()
      .executeTakeFirst()
    if (!run) return null
    if (a.deltas.length)
      await trx
        .insertInto('reconciliationDeltas')
        .values(a.deltas.map((d) => ({ runId: run.id, ...d })))
        .execute()
    const alerts = a.alerts.length
      ? await trx
          .insertInto('billingAlerts')
          .values(
            a.alerts.map((al: AlertDraft) => ({
              id: newId('alr'),
              runId: run.id,
              day: a.run.day,
              kind: al.kind,
              modelId: al.modelId,
              message: al.message,
              details: JSON.stringify(al.details),
            })),
          )
          .returningAll()
          .execute()
      : []
    return { run, alerts }
  },

  cronRunOf: (db: Kysely<BillingTables>, day: string) =>
    db
      .selectFrom('reconciliationRuns')
      .select('id')
      .where('day', '=', day)
      .where('trigger', '=', 'cron')
      .executeTakeFirst(),

  /** Runs newest first, each with its deltas and alerts. */
  async runs(db: Kysely<BillingTables>, q: { limit: number; day?: string; ids?: string[] }) {
    let query = db
      .selectFrom('reconciliationRuns')
      .selectAll()
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit)
    if (q.day) query = query.where('day', '=', q.day)
    if (q.ids) query = query.where('id', 'in', q.ids.length ? q.ids : [''])
    const runs = await query.execute()
    const ids = runs.length ? runs.map((r) => r.id) : ['']
    const [deltas, alerts] = await Promise.all([
      db.selectFrom('reconciliationDeltas').selectAll().where('runId', 'in', ids).orderBy('modelId').execute(),
      db.selectFrom('billingAlerts').selectAll().where('runId', 'in', ids).orderBy('seq').execute(),
    ])
    return runs.map((run) => ({
      run,
      deltas: deltas.filter((d) => d.runId === run.id),
      alerts: alerts.filter((a) => a.runId === run.id),
    }))
  },

  alert: (db: Kysely<BillingTables>, id: string) =>
    db.selectFrom('billingAlerts').selectAll().where('id', '=', id).executeTakeFirst(),
  markNotified: (db: Kysely<BillingTables>, id: string) =>
    db
      .updateTable('billingAlerts')
      .set({ notifiedAt: new Date() })
      .where('id', '=', id)
      .where('notifiedAt', 'is', null)
      .execute(),

  /** For /metrics: alerts raised so far by kind, and the latest reconciled margin (any process sees the same figures). */
  alertCounts: (db: Kysely<BillingTables>) =>
    db
      .selectFrom('billingAlerts')
      .select(['kind', sql<number>`count(*)::int`.as('count')])
      .groupBy('kind')
      .execute(),
  latestMargin: (db: Kysely<BillingTables>) =>
    db
      .selectFrom('reconciliationRuns')
      .select(['day', 'marginBps'])
      .where('marginBps', 'is not', null)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst(),
}
