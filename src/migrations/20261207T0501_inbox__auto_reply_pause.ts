import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

// Human takeover (issue 13 §7): a person writing in a thread pauses its number's auto-reply there until resumed.
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [`ALTER TABLE inbox_threads ADD COLUMN auto_reply_paused_at timestamptz`])

export const down = undefined
