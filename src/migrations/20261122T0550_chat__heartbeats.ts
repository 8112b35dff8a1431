import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // The process writing an answer (or a meeting) touches its row every few seconds: a run whose heartbeat stopped has
    // lost its process, and the sweeper closes it within a minute or two instead of a quarter of an hour.
    `ALTER TABLE chat_runs ADD COLUMN heartbeat_at timestamptz`,
    `ALTER TABLE meetings ADD COLUMN heartbeat_at timestamptz`,
  ])

export const down = undefined
