import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // Free-plan monthly credits: once per person (the workspace owner) and month, whatever the number of workspaces.
    `CREATE UNIQUE INDEX credit_entries_free_monthly ON credit_entries (request_id) WHERE kind = 'grant' AND request_id LIKE 'free:%'`,
  ])

export const down = undefined
