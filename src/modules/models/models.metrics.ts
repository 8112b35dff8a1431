import { Counter, type Registry } from 'prom-client'
import type { Handle } from '../../platform/db/database.ts'
import { modelCallInsert, recordModelCall, type ModelCallRecord } from './model-calls.repository.ts'
import type { CatalogEntry } from './models.types.ts'

/** A call's end as a label: the usage record's status, `complete` read as `ok`. */
const OUTCOME: Record<ModelCallRecord['status'], string> = { complete: 'ok', cancelled: 'cancelled', failed: 'error' }

/**
 * Model calls made in this process, by provider, model, surface and outcome. Labels stay bounded: the provider and
 * model come from the server's catalog (a workspace's own model the server does not know is `other`).
 */
export const createModelCallMetrics = (known: (modelId: string) => CatalogEntry | undefined) => {
  const calls = new Counter({
    name: 'camarad_model_calls_total',
    help: 'Model calls by provider, model (catalog id, else other), surface and outcome (ok, cancelled, error)',
    labelNames: ['provider', 'model', 'surface', 'outcome'] as const,
    registers: [],
  })
  const observe = (r: Pick<ModelCallRecord, 'modelId' | 'surface' | 'status'>) => {
    const entry = known(r.modelId)
    calls.inc({
      provider: entry?.provider ?? 'other',
      model: entry?.id ?? 'other',
      surface: r.surface,
      outcome: OUTCOME[r.status],
    })
  }
  return {
    register: (registry: Registry) => registry.registerMetric(calls),
    observe,
    /** The usage record (`model_calls`) every surface writes, counted once it is written. */
    recordCall: async (handle: Handle, r: ModelCallRecord) => {
      const written = await recordModelCall(handle, r)
      observe(r)
      return written
    },
    /**
     * The usage record as its INSERT, for a statement that carries it (the ledger's settle, `SettleRequest.record`);
     * `written` counts it once that statement has committed.
     */
    callStatement: (r: ModelCallRecord) => ({
      insert: (handle: Handle) => modelCallInsert(handle, r),
      written: () => observe(r),
    }),
  }
}
