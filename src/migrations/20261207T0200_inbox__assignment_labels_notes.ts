import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // Labels live on the thread: a JSON array of trimmed strings (1–32 characters, at most 20), set by the service.
    `ALTER TABLE inbox_threads ADD COLUMN labels jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(labels) = 'array' AND jsonb_array_length(labels) <= 20)`,
    // The list's filters, each keeping the list's order (latest activity first) so a page reads one index range.
    `CREATE INDEX inbox_threads_assigned_idx ON inbox_threads (client_id, assigned_to, last_message_at DESC, id DESC)`,
    `CREATE INDEX inbox_threads_channel_idx ON inbox_threads (client_id, channel_id, last_message_at DESC, id DESC)`,
    `CREATE INDEX inbox_threads_unread_idx ON inbox_threads (client_id, last_message_at DESC, id DESC) WHERE unread > 0`,
    `CREATE INDEX inbox_threads_labels_idx ON inbox_threads USING gin (labels jsonb_path_ops)`,
    // Internal notes on a thread: what the team says about a conversation, never sent to the contact.
    `CREATE TABLE inbox_notes (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    thread_id text NOT NULL REFERENCES inbox_threads (id),
    author_id text NOT NULL REFERENCES users (id),
    body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX inbox_notes_thread_idx ON inbox_notes (thread_id, created_at DESC, id DESC)`,
    // Notes are never deleted, like the messages beside them.
    `CREATE TRIGGER inbox_notes_never_deleted BEFORE DELETE ON inbox_notes FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
  ])

export const down = undefined
