import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/** /metrics reads the runs and steps that finished in the last minutes at every scrape: by when they finished. */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE INDEX flow_runs_finished_idx ON flow_runs (finished_at) WHERE finished_at IS NOT NULL`,
    `CREATE INDEX flow_steps_finished_idx ON flow_steps (finished_at) WHERE finished_at IS NOT NULL`,
  ])

export const down = undefined
