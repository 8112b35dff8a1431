import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

// A number's own sending limits (ADR 0005, "Outbox"): null keeps its kind's default; the service bounds both.
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE channels
    ADD COLUMN send_per_minute integer CHECK (send_per_minute > 0),
    ADD COLUMN new_contacts_per_day integer CHECK (new_contacts_per_day >= 0)`,
  ])

export const down = undefined
