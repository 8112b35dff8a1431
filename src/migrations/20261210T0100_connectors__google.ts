import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Google connections per client (issue 15 §1, ADR 0007): one live connection per client (a partial unique index),
 * tokens sealed (owner: the connection), a token version and a refresh lease so one process refreshes at a time and
 * a rotated token is never lost. Never deleted: a disconnected connection stays for the audit trail.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE connector_connections (
    id text PRIMARY KEY,
    workspace_id text NOT NULL,
    client_id text NOT NULL,
    provider text NOT NULL CHECK (provider IN ('google')),
    status text NOT NULL CHECK (status IN ('connected', 'reconnect_required', 'disconnected')),
    status_reason text,
    scopes text NOT NULL DEFAULT '',
    refresh_token text,
    access_token text,
    access_token_expires_at timestamptz,
    token_version integer NOT NULL DEFAULT 0,
    refresh_owner text,
    refresh_lease_until timestamptz,
    revoke_pending boolean NOT NULL DEFAULT false,
    ads_customer_id text,
    ads_login_customer_id text,
    ads_customer_name text,
    analytics_property_id text,
    analytics_property_name text,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    connected_at timestamptz NOT NULL DEFAULT now(),
    last_refreshed_at timestamptz,
    disconnected_at timestamptz
  )`,
    `CREATE UNIQUE INDEX connector_connections_live_idx ON connector_connections (client_id, provider)
    WHERE status <> 'disconnected'`,
    `CREATE INDEX connector_connections_workspace_idx ON connector_connections (workspace_id, status)`,
    `CREATE INDEX connector_connections_client_idx ON connector_connections (client_id, created_at DESC, id DESC)`,
    // Kept for the audit trail: a disconnect marks the row (tenancy's forbid_delete() refuses a DELETE).
    `CREATE TRIGGER connector_connections_never_deleted BEFORE DELETE ON connector_connections
    FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
  ])

export const down = undefined
