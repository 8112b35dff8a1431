import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // A built-in agent adjusted for one client: extra instructions and a preferred model.
    `CREATE TABLE agent_overrides (
    client_id text NOT NULL REFERENCES clients (id),
    agent_id text NOT NULL,
    instructions text NOT NULL DEFAULT '' CHECK (length(instructions) <= 20000),
    model_id text,
    updated_by text NOT NULL REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, agent_id)
  )`,
  ])

export const down = undefined
