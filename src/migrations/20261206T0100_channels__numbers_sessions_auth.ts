import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE channels (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('qr', 'cloud')),
    status text NOT NULL CHECK (status IN ('pending_qr', 'connecting', 'connected', 'needs_qr', 'logged_out', 'failed')),
    status_reason text,
    phone text,
    cloud_phone_number_id text,
    cloud_business_account_id text,
    cloud_token text,
    cloud_token_hint text,
    last_seen_at timestamptz,
    created_by text NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'cloud') = (cloud_phone_number_id IS NOT NULL AND cloud_token IS NOT NULL))
  )`,
    `CREATE INDEX channels_client_idx ON channels (client_id, created_at DESC, id DESC)`,
    `CREATE INDEX channels_workspace_idx ON channels (workspace_id)`,
    // One Camarad number per Cloud phone number id: the webhook tells numbers apart by it.
    `CREATE UNIQUE INDEX channels_cloud_number_idx ON channels (cloud_phone_number_id)
    WHERE cloud_phone_number_id IS NOT NULL AND status <> 'logged_out'`,
    // A number's messages point at it: never deleted (logging out keeps it).
    `CREATE TRIGGER channels_never_deleted BEFORE DELETE ON channels FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
    `CREATE TABLE channel_sessions (
    channel_id text PRIMARY KEY REFERENCES channels (id),
    owner text,
    lease_until timestamptz,
    fence bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX channel_sessions_lease_idx ON channel_sessions (lease_until)`,
    `CREATE TABLE channel_auth (
    channel_id text NOT NULL REFERENCES channels (id),
    type text NOT NULL,
    id text NOT NULL,
    value text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, type, id)
  )`,
  ])

export const down = undefined
