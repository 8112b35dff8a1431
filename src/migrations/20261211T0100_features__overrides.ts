import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * A workspace's exceptions to the installation's feature defaults, set by the operator. A row is the current
 * exception (removed when the workspace goes back to the default); every change is in the audit log.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE feature_overrides (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    feature text NOT NULL CHECK (feature ~ '^[a-z_]{2,40}$'),
    enabled boolean NOT NULL,
    reason text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, feature)
  )`,
  ])

export const down = undefined
