import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // A received media message's file, stored with it: fetched after the message is stored (job inbox.fetch-media),
    // within a size cap per kind. `source` is the driver's reference to fetch it (a Cloud media id, or a QR message's
    // encrypted file and key); `data` is the file once stored.
    `CREATE TABLE inbox_media (
    message_id text PRIMARY KEY REFERENCES inbox_messages (id),
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    channel_id text NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'stored', 'too_large', 'failed')),
    mime text NOT NULL,
    bytes bigint,
    sha256 text,
    data bytea,
    source jsonb NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    error jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    stored_at timestamptz,
    CHECK ((state = 'stored') = (data IS NOT NULL))
  )`,
    // Stored with the message, never deleted with it (erasure, when it comes, is an audited operator action).
    `CREATE TRIGGER inbox_media_never_deleted BEFORE DELETE ON inbox_media FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
  ])

export const down = undefined
