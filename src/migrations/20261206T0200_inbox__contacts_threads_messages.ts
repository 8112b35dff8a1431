import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE inbox_contacts (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    wa_id text NOT NULL,
    lid text,
    phone text,
    name text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, wa_id)
  )`,
    `CREATE TABLE inbox_threads (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    channel_id text NOT NULL REFERENCES channels (id),
    contact_id text NOT NULL REFERENCES inbox_contacts (id),
    last_message_at timestamptz NOT NULL,
    last_inbound_at timestamptz,
    last_preview text NOT NULL DEFAULT '',
    unread integer NOT NULL DEFAULT 0 CHECK (unread >= 0),
    assigned_to text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, contact_id)
  )`,
    `CREATE INDEX inbox_threads_client_idx ON inbox_threads (client_id, last_message_at DESC, id DESC)`,
    `CREATE TABLE inbox_messages (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    thread_id text NOT NULL REFERENCES inbox_threads (id),
    channel_id text NOT NULL REFERENCES channels (id),
    direction text NOT NULL CHECK (direction IN ('in', 'out')),
    provider_message_id text,
    chat_id text NOT NULL,
    from_me boolean NOT NULL DEFAULT false,
    type text NOT NULL,
    content jsonb NOT NULL,
    reply_to text,
    status text NOT NULL CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'read', 'failed')),
    status_at timestamptz NOT NULL,
    error jsonb,
    sent_by text REFERENCES users (id),
    client_message_id text,
    attempts integer NOT NULL DEFAULT 0,
    at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    // De-duplication by what the message is, not by a time window: a redelivery a week later is still the same row.
    `CREATE UNIQUE INDEX inbox_messages_provider_idx ON inbox_messages (channel_id, chat_id, provider_message_id, direction)
    WHERE provider_message_id IS NOT NULL`,
    `CREATE INDEX inbox_messages_provider_lookup_idx ON inbox_messages (channel_id, provider_message_id)
    WHERE provider_message_id IS NOT NULL`,
    // A composer that retries a send names it: one message per (thread, client message id).
    `CREATE UNIQUE INDEX inbox_messages_client_idx ON inbox_messages (thread_id, client_message_id)
    WHERE client_message_id IS NOT NULL`,
    // The plan's inbox messages a month count what was sent from Camarad.
    `CREATE INDEX inbox_messages_sent_idx ON inbox_messages (workspace_id, created_at) WHERE sent_by IS NOT NULL`,
    `CREATE INDEX inbox_messages_thread_idx ON inbox_messages (thread_id, at DESC, id DESC)`,
    // Messages, threads and contacts are never deleted (erasure, when it comes, is an audited operator action).
    `CREATE TRIGGER inbox_contacts_never_deleted BEFORE DELETE ON inbox_contacts FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
    `CREATE TRIGGER inbox_threads_never_deleted BEFORE DELETE ON inbox_threads FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
    `CREATE TRIGGER inbox_messages_never_deleted BEFORE DELETE ON inbox_messages FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
  ])

export const down = undefined
