import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Saved views of the contacts list: a member's named filters (search, tag, owner, archived), private or shared with the
 * client's members. UI preferences, not customer records: their owner may delete them (no never-delete trigger).
 * A name is unique among its owner's views of the client (case-insensitive).
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE crm_views (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    user_id text NOT NULL REFERENCES users (id),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    shared boolean NOT NULL DEFAULT false,
    filters jsonb NOT NULL CHECK (jsonb_typeof(filters) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE UNIQUE INDEX crm_views_name_idx ON crm_views (client_id, user_id, lower(name))`,
    `CREATE INDEX crm_views_shared_idx ON crm_views (client_id) WHERE shared`,
  ])

export const down = undefined
