import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // Every Checkout session a workspace admin opened, by Stripe's session id: who started what, and the page they
    // come back to asks for its outcome by this id (scoped to the workspace). What it bought is applied by the webhook.
    `CREATE TABLE billing_checkouts (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    mode text NOT NULL CHECK (mode IN ('subscription', 'payment')),
    plan text,
    credits integer CHECK (credits IS NULL OR credits > 0),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((mode = 'subscription') = (plan IS NOT NULL)),
    CHECK ((mode = 'payment') = (credits IS NOT NULL))
  )`,
    `CREATE INDEX billing_checkouts_workspace_idx ON billing_checkouts (workspace_id, created_at)`,
  ])

export const down = undefined
