import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Live alerts to people: one row per alert (a workspace's, or the operator's when `workspace_id` is null), made once
 * per dedupe key (kind, subject and time window: a storm makes one row), acknowledged by an admin; and a workspace's
 * optional webhook (its signing secret sealed).
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE alerts (
    id text PRIMARY KEY,
    workspace_id text REFERENCES workspaces (id),
    kind text NOT NULL CHECK (kind IN ('rate_limited', 'plan_limit', 'number_disconnected', 'flow_failing', 'margin')),
    severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    subject text NOT NULL,
    dedupe_key text NOT NULL UNIQUE,
    title text NOT NULL,
    message text NOT NULL,
    link text,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by text REFERENCES users (id),
    delivered_at timestamptz,
    CHECK ((kind = 'margin') = (workspace_id IS NULL))
  )`,
    `CREATE INDEX alerts_workspace_newest ON alerts (workspace_id, created_at DESC, id DESC)`,
    `CREATE INDEX alerts_operator_newest ON alerts (created_at DESC, id DESC) WHERE workspace_id IS NULL`,
    `CREATE TABLE alert_webhooks (
    workspace_id text PRIMARY KEY REFERENCES workspaces (id),
    url text NOT NULL,
    sealed_secret text NOT NULL,
    hint text NOT NULL,
    updated_by text NOT NULL REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  ])

export const down = undefined
