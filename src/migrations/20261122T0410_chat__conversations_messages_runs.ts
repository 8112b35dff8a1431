import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE conversations (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    agent_id text NOT NULL,
    title text NOT NULL DEFAULT 'New conversation',
    pinned boolean NOT NULL DEFAULT false,
    archived_at timestamptz,
    created_by text NOT NULL REFERENCES users (id),
    last_message_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX conversations_client_page_idx ON conversations (client_id, last_message_at DESC, id DESC)`,
    `CREATE TABLE messages (
    id text PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    conversation_id text NOT NULL REFERENCES conversations (id),
    client_id text NOT NULL REFERENCES clients (id),
    role text NOT NULL CHECK (role IN ('user', 'assistant')),
    content text NOT NULL DEFAULT '',
    parts jsonb NOT NULL DEFAULT '[]',
    status text NOT NULL CHECK (status IN ('complete', 'streaming', 'cancelled', 'failed')),
    agent_id text,
    model_id text,
    usage jsonb,
    error jsonb,
    author_id text REFERENCES users (id),
    request_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
  )`,
    `CREATE INDEX messages_conversation_idx ON messages (conversation_id, seq)`,
    // One run per assistant answer: its streamed events are persisted so a client can resume with Last-Event-ID.
    `CREATE TABLE chat_runs (
    id text PRIMARY KEY,
    conversation_id text NOT NULL REFERENCES conversations (id),
    client_id text NOT NULL REFERENCES clients (id),
    message_id text NOT NULL REFERENCES messages (id),
    status text NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`,
    `CREATE UNIQUE INDEX chat_runs_one_running ON chat_runs (conversation_id) WHERE status = 'running'`,
    `CREATE TABLE chat_events (
    run_id text NOT NULL REFERENCES chat_runs (id),
    seq integer NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
  )`,
    // Messages are never deleted.
    `CREATE TRIGGER messages_never_deleted BEFORE DELETE ON messages FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
  ])

export const down = undefined
