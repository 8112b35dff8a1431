import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE OR REPLACE FUNCTION flows_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'flow versions are immutable' USING ERRCODE = 'P0001'; END $$`,
    // A client's automations; never deleted (runs point at them), archived to free the plan's slot.
    `CREATE TABLE flows (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    draft jsonb NOT NULL,
    draft_revision integer NOT NULL DEFAULT 0,
    published_version_id text,
    state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'archived')),
    created_by text NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX flows_client_idx ON flows (client_id, created_at DESC, id DESC)`,
    `CREATE INDEX flows_workspace_active_idx ON flows (workspace_id) WHERE state <> 'archived'`,
    `CREATE TABLE flow_versions (
    id text PRIMARY KEY,
    flow_id text NOT NULL REFERENCES flows (id),
    workspace_id text NOT NULL REFERENCES workspaces (id),
    number integer,
    graph jsonb NOT NULL,
    graph_hash text NOT NULL,
    published boolean NOT NULL,
    created_by text NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (published = (number IS NOT NULL))
  )`,
    `CREATE UNIQUE INDEX flow_versions_number_idx ON flow_versions (flow_id, number) WHERE published`,
    `CREATE UNIQUE INDEX flow_versions_snapshot_idx ON flow_versions (flow_id, graph_hash) WHERE NOT published`,
    `CREATE TRIGGER flow_versions_immutable BEFORE UPDATE OR DELETE ON flow_versions
    FOR EACH ROW EXECUTE FUNCTION flows_forbid_change()`,
    `ALTER TABLE flows ADD CONSTRAINT flows_published_version_fk FOREIGN KEY (published_version_id) REFERENCES flow_versions (id)`,
    `CREATE TABLE flow_runs (
    id text PRIMARY KEY REFERENCES runs (id),
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    flow_id text NOT NULL REFERENCES flows (id),
    version_id text NOT NULL REFERENCES flow_versions (id),
    trigger text NOT NULL CHECK (trigger IN ('manual', 'webhook', 'schedule', 'subflow')),
    trigger_key text,
    acting_user_id text NOT NULL REFERENCES users (id),
    parent_run_id text REFERENCES flow_runs (id),
    parent_step_key text,
    status text NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'completed', 'failed', 'cancelled')),
    input jsonb,
    output jsonb,
    error jsonb,
    lease_owner text,
    lease_until timestamptz,
    wake_at timestamptz,
    deadline_at timestamptz NOT NULL,
    credits bigint NOT NULL DEFAULT 0,
    steps integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`,
    `CREATE UNIQUE INDEX flow_runs_trigger_key_idx ON flow_runs (flow_id, trigger_key) WHERE trigger_key IS NOT NULL`,
    `CREATE INDEX flow_runs_flow_idx ON flow_runs (flow_id, created_at DESC, id DESC)`,
    `CREATE INDEX flow_runs_client_idx ON flow_runs (client_id, created_at DESC, id DESC)`,
    `CREATE INDEX flow_runs_open_idx ON flow_runs (workspace_id, status) WHERE status IN ('queued', 'running', 'waiting')`,
    `CREATE INDEX flow_runs_lease_idx ON flow_runs (lease_until) WHERE status IN ('queued', 'running')`,
    `CREATE INDEX flow_runs_parent_idx ON flow_runs (parent_run_id) WHERE parent_run_id IS NOT NULL`,
    `CREATE TABLE flow_steps (
    run_id text NOT NULL REFERENCES flow_runs (id),
    node_key text NOT NULL,
    node_id text NOT NULL,
    iteration text NOT NULL,
    seq integer NOT NULL,
    status text NOT NULL CHECK (status IN ('started', 'completed', 'failed', 'waiting', 'retrying', 'skipped', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    input jsonb,
    output jsonb,
    input_ref text,
    output_ref text,
    port text,
    error jsonb,
    idempotency_key text NOT NULL,
    credits bigint NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    duration_ms integer,
    PRIMARY KEY (run_id, node_key)
  )`,
    `CREATE TABLE flow_payloads (
    id text NOT NULL,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    bytes integer NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
  )`,
    `CREATE TABLE flow_webhooks (
    flow_id text PRIMARY KEY REFERENCES flows (id),
    workspace_id text NOT NULL REFERENCES workspaces (id),
    secret_hash text NOT NULL UNIQUE,
    secret_hint text NOT NULL,
    hmac_secret text,
    hmac_header text,
    rotated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE TABLE flow_credentials (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('bearer', 'basic', 'header', 'query')),
    sealed text NOT NULL,
    hint text NOT NULL,
    created_by text NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    removed_at timestamptz
  )`,
    `CREATE UNIQUE INDEX flow_credentials_name_idx ON flow_credentials (client_id, name) WHERE removed_at IS NULL`,
    `CREATE TABLE flow_memories (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    namespace text NOT NULL,
    key text NOT NULL,
    messages jsonb NOT NULL,
    version integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, namespace, key)
  )`,
  ])

export const down = undefined
