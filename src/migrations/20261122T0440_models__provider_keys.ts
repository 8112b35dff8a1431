import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // A workspace's own provider keys, sealed with a key derived from SECRET_KEY and bound to the workspace.
    `CREATE TABLE provider_keys (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    provider text NOT NULL CHECK (provider IN ('openai', 'anthropic', 'google', 'groq', 'openai-compatible')),
    sealed_key text NOT NULL,
    key_hint text NOT NULL,
    base_url text,
    models jsonb NOT NULL DEFAULT '[]',
    updated_by text NOT NULL REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, provider)
  )`,
  ])

export const down = undefined
