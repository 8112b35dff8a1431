import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // One run layer for every long-running surface (chat answers, meetings; flows and the WhatsApp outbox next).
    `CREATE TABLE runs (
    id text PRIMARY KEY,
    kind text NOT NULL,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    subject_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
    error jsonb,
    heartbeat_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`,
    `CREATE UNIQUE INDEX runs_one_running_per_subject ON runs (kind, subject_id) WHERE status = 'running'`,
    `CREATE INDEX runs_subject_idx ON runs (kind, subject_id, created_at DESC)`,
    `CREATE INDEX runs_running_idx ON runs (created_at) WHERE status = 'running'`,
    `CREATE TABLE run_events (
    run_id text NOT NULL REFERENCES runs (id),
    seq integer NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
  )`,
    // The one move of run state out of chat and boardroom: this copy reads their old tables (chat_runs, chat_events,
    // meetings' run columns, meeting_events), which a migration otherwise never does across modules. Ids are kept, so
    // a chat answer's run id and a meeting's id (its run's id) still hold; the chat and boardroom migrations that
    // follow drop the old tables and columns.
    `INSERT INTO runs (id, kind, workspace_id, subject_id, status, heartbeat_at, created_at, finished_at)
    SELECT r.id, 'chat', c.workspace_id, r.conversation_id, r.status, r.heartbeat_at, r.created_at, r.finished_at
    FROM chat_runs r JOIN conversations c ON c.id = r.conversation_id`,
    `INSERT INTO run_events (run_id, seq, type, data, created_at) SELECT run_id, seq, type, data, created_at FROM chat_events`,
    `INSERT INTO runs (id, kind, workspace_id, subject_id, status, heartbeat_at, created_at, finished_at)
    SELECT id, 'meeting', workspace_id, id, status, heartbeat_at, created_at, finished_at FROM meetings`,
    `INSERT INTO run_events (run_id, seq, type, data, created_at)
    SELECT meeting_id, seq, type, data, created_at FROM meeting_events`,
  ])

export const down = undefined
