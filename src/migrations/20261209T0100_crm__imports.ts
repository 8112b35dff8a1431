import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Lead imports (issue 14 §8): an import and its rows, each row's mapped values stored when the file is accepted, its
 * result (imported, duplicate, invalid) written by the batch that handles it — so a job that dies resumes at the first
 * pending row. An `Idempotency-Key` is unique per client: the same file posted again answers the first import.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE crm_imports (
    id text PRIMARY KEY,
    workspace_id text NOT NULL,
    client_id text NOT NULL,
    created_by text NOT NULL,
    source text NOT NULL,
    idempotency_key text,
    file_hash text NOT NULL,
    currency text NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'completed')),
    total integer NOT NULL,
    invalid integer NOT NULL DEFAULT 0,
    imported integer NOT NULL DEFAULT 0,
    duplicates integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`,
    `CREATE UNIQUE INDEX crm_imports_idempotency_idx ON crm_imports (client_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL`,
    `CREATE INDEX crm_imports_client_idx ON crm_imports (client_id, created_at DESC, id DESC)`,
    `CREATE TABLE crm_import_rows (
    import_id text NOT NULL REFERENCES crm_imports (id),
    row_number integer NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'imported', 'duplicate', 'invalid')),
    lead jsonb NOT NULL,
    errors jsonb NOT NULL DEFAULT '[]',
    contact_id text,
    deal_id text,
    PRIMARY KEY (import_id, row_number)
  )`,
    `CREATE INDEX crm_import_rows_pending_idx ON crm_import_rows (import_id, row_number) WHERE status = 'pending'`,
  ])

export const down = undefined
