import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

// The outbox (ADR 0005, "Outbox"): messages are claimed by due time, each attempt is written before the provider is
// called, a message that keeps failing is set aside as dead; a token bucket per number paces the sends.
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE inbox_messages
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN send_started_at timestamptz,
    ADD COLUMN echo_wait_until timestamptz,
    ADD COLUMN claimed_by text,
    ADD COLUMN dead_at timestamptz,
    ADD COLUMN replayed_at timestamptz,
    ADD COLUMN new_contact boolean NOT NULL DEFAULT false`,
    // What was queued before the outbox had due times is due now.
    `UPDATE inbox_messages SET next_attempt_at = created_at WHERE status = 'queued'`,
    // The dispatcher's claim: due outbound messages of one number, oldest first.
    `CREATE INDEX inbox_messages_due_idx ON inbox_messages (channel_id, next_attempt_at, at)
    WHERE status = 'queued' AND direction = 'out'`,
    `CREATE INDEX inbox_messages_dead_idx ON inbox_messages (dead_at DESC, id DESC) WHERE dead_at IS NOT NULL`,
    // The dashboard's and the new-contact rule's reads: a number's outbound messages, newest first, per chat.
    `CREATE INDEX inbox_messages_channel_out_idx ON inbox_messages (channel_id, created_at DESC) WHERE direction = 'out'`,
    `CREATE INDEX inbox_messages_chat_out_idx ON inbox_messages (channel_id, chat_id) WHERE direction = 'out'`,
    // The PostgreSQL token bucket (without Redis): one row per number, updated under its row lock.
    `CREATE TABLE inbox_send_buckets (
    channel_id text PRIMARY KEY REFERENCES channels (id),
    tokens double precision NOT NULL,
    at timestamptz NOT NULL,
    paused_until timestamptz
  )`,
    // New contacts a QR number wrote to, per UTC day (its daily cap).
    `CREATE TABLE inbox_new_contacts (
    channel_id text NOT NULL REFERENCES channels (id),
    day date NOT NULL,
    count integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (channel_id, day)
  )`,
  ])

export const down = undefined
