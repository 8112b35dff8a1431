import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE audit_events (
    id text PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    workspace_id text REFERENCES workspaces (id),
    actor_user_id text,
    subject_user_id text,
    action text NOT NULL,
    target_type text,
    target_id text,
    ip text,
    metadata jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX audit_events_workspace_idx ON audit_events (workspace_id, seq DESC)`,
    `CREATE INDEX audit_events_subject_idx ON audit_events (subject_user_id, seq DESC)`,
    // The audit log is append-only: the database refuses updates and deletes.
    `CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation'; END $$`,
    `CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
  ])

export const down = undefined
