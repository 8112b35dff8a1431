import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE workspaces (
    id text PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    plan text NOT NULL DEFAULT 'free',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE TABLE memberships (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
  )`,
    `CREATE INDEX memberships_user_id_idx ON memberships (user_id)`,
    `CREATE TABLE invitations (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    email text NOT NULL CHECK (email = lower(email)),
    role text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    token_hash text NOT NULL UNIQUE,
    invited_by text NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by text REFERENCES users (id),
    revoked_at timestamptz
  )`,
    `CREATE INDEX invitations_workspace_idx ON invitations (workspace_id, created_at DESC)`,
    `CREATE TABLE clients (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    website text,
    notes text,
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX clients_workspace_page_idx ON clients (workspace_id, created_at DESC, id DESC)`,
    // Clients are archived, never deleted.
    `CREATE FUNCTION forbid_delete() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME USING ERRCODE = 'restrict_violation'; END $$`,
    `CREATE TRIGGER clients_never_deleted BEFORE DELETE ON clients FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
  ])

export const down = undefined
