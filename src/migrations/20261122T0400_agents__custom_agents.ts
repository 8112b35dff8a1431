import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // Workspace-made agents; built-in agents live in code (agents.catalog.ts).
    `CREATE TABLE agents (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    avatar text NOT NULL DEFAULT '🤖',
    description text NOT NULL DEFAULT '',
    instructions text NOT NULL CHECK (length(instructions) BETWEEN 1 AND 20000),
    model_id text,
    tools jsonb NOT NULL DEFAULT '[]',
    created_by text NOT NULL REFERENCES users (id),
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX agents_workspace_idx ON agents (workspace_id, created_at)`,
  ])

export const down = undefined
