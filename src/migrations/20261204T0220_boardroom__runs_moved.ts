import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // A meeting's state, heartbeat and events live in the run layer now, under the meeting's id.
    `ALTER TABLE meetings DROP COLUMN status`,
    `ALTER TABLE meetings DROP COLUMN heartbeat_at`,
    `ALTER TABLE meetings DROP COLUMN finished_at`,
    `DROP TABLE meeting_events`,
  ])

export const down = undefined
