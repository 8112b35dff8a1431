import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // An answer points at its run (the run layer's `runs` row, same id as the chat run it replaces).
    `ALTER TABLE messages ADD COLUMN run_id text`,
    `UPDATE messages m SET run_id = r.id FROM chat_runs r WHERE r.message_id = m.id`,
    `CREATE UNIQUE INDEX messages_run_idx ON messages (run_id) WHERE run_id IS NOT NULL`,
    `DROP TABLE chat_events`,
    `DROP TABLE chat_runs`,
  ])

export const down = undefined
