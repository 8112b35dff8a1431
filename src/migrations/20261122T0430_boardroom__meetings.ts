import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE meetings (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    topic text NOT NULL CHECK (length(topic) BETWEEN 1 AND 2000),
    agent_ids jsonb NOT NULL,
    rounds integer NOT NULL CHECK (rounds BETWEEN 1 AND 3),
    status text NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
    summary text NOT NULL DEFAULT '',
    created_by text NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`,
    `CREATE INDEX meetings_client_idx ON meetings (client_id, created_at DESC, id DESC)`,
    `CREATE TABLE meeting_turns (
    id text PRIMARY KEY,
    meeting_id text NOT NULL REFERENCES meetings (id),
    client_id text NOT NULL REFERENCES clients (id),
    round integer NOT NULL,
    position integer NOT NULL,
    speaker text NOT NULL,
    content text NOT NULL DEFAULT '',
    status text NOT NULL CHECK (status IN ('complete', 'streaming', 'cancelled', 'failed')),
    model_id text NOT NULL,
    usage jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (meeting_id, round, position)
  )`,
    `CREATE TABLE meeting_events (
    meeting_id text NOT NULL REFERENCES meetings (id),
    seq integer NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meeting_id, seq)
  )`,
  ])

export const down = undefined
