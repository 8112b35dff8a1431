import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Booking extractions (issue 14 §4): every draft an AI made from a conversation — who asked, which thread, which model,
 * the draft as answered — kept for good (append-only: never changed, never deleted).
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE crm_extractions (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    thread_id text NOT NULL,
    user_id text REFERENCES users (id),
    model_id text NOT NULL,
    request_id text NOT NULL,
    demo boolean NOT NULL,
    draft jsonb NOT NULL CHECK (jsonb_typeof(draft) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX crm_extractions_client_idx ON crm_extractions (client_id, created_at DESC, id DESC)`,
    `CREATE INDEX crm_extractions_thread_idx ON crm_extractions (thread_id, created_at DESC, id DESC)`,
    `CREATE TRIGGER crm_extractions_append_only BEFORE UPDATE OR DELETE ON crm_extractions
    FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
  ])

export const down = undefined
