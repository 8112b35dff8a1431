import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // The draft an auto reply paid for, kept before it is queued: a retry after a failed queueing sends this text
    // instead of drafting (and charging) again — or sending nothing.
    `CREATE TABLE inbox_auto_reply_drafts (
    message_id text PRIMARY KEY REFERENCES inbox_messages (id),
    text text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  ])

export const down = undefined
