import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * A client's own time zone (IANA, checked with Intl when set): a booking drafted from a conversation that names no zone
 * takes it, before the first zone of the default country. Null: that fallback alone.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE crm_settings ADD COLUMN time_zone text CHECK (char_length(time_zone) BETWEEN 1 AND 64)`,
  ])

export const down = undefined
