import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

// Issue 13 §7: a number may answer its contacts with an agent of the client; off unless an admin turns it on.
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE channels
    ADD COLUMN auto_reply_enabled boolean NOT NULL DEFAULT false,
    ADD COLUMN auto_reply_agent_id text CHECK (char_length(auto_reply_agent_id) BETWEEN 1 AND 100)`,
  ])

export const down = undefined
