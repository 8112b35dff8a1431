import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Notes and tasks added by a flow step carry the step's idempotency key (`flow:<run>:<node>:<iteration>`), unique per
 * client: a step tried again after a crash between the CRM's commit and the step's checkpoint finds the note or task
 * its first attempt added instead of adding a second one. Added by a person: no key.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE crm_notes ADD COLUMN idempotency_key text`,
    `ALTER TABLE crm_tasks ADD COLUMN idempotency_key text`,
    `CREATE UNIQUE INDEX crm_notes_key_idx ON crm_notes (client_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    `CREATE UNIQUE INDEX crm_tasks_key_idx ON crm_tasks (client_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
  ])

export const down = undefined
