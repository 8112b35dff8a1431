import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // Every email the server sends: written in the transaction of what it announces, delivered by a job after commit.
    `CREATE TABLE email_outbox (
    id text PRIMARY KEY,
    kind text NOT NULL,
    to_address text NOT NULL,
    subject text NOT NULL,
    text_body text NOT NULL,
    link text,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'stored', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    message_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
  )`,
    `CREATE INDEX email_outbox_newest_idx ON email_outbox (created_at DESC, id DESC)`,
    `CREATE INDEX email_outbox_to_idx ON email_outbox (to_address, created_at DESC)`,
  ])

export const down = undefined
