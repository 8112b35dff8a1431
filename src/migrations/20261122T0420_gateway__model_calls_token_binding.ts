import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // A token may be bound to a workspace (and a client): calls made with it are attributed there.
    `ALTER TABLE api_tokens ADD COLUMN workspace_id text REFERENCES workspaces (id)`,
    `ALTER TABLE api_tokens ADD COLUMN client_id text REFERENCES clients (id)`,
    // Every model call, whatever surface made it, with its request id and the usage the provider reported.
    `CREATE TABLE model_calls (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text REFERENCES clients (id),
    user_id text NOT NULL REFERENCES users (id),
    token_id text REFERENCES api_tokens (id),
    surface text NOT NULL CHECK (surface IN ('chat', 'v1', 'boardroom')),
    request_id text NOT NULL,
    model_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('complete', 'cancelled', 'failed')),
    input_tokens integer NOT NULL DEFAULT 0,
    output_tokens integer NOT NULL DEFAULT 0,
    cached_input_tokens integer NOT NULL DEFAULT 0,
    reasoning_tokens integer NOT NULL DEFAULT 0,
    usage_estimated boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX model_calls_workspace_idx ON model_calls (workspace_id, created_at DESC)`,
    `CREATE INDEX model_calls_request_idx ON model_calls (workspace_id, request_id)`,
  ])

export const down = undefined
