import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // A refund or a chargeback takes back the unspent credits the charge bought; what the workspace had already spent
    // cannot be taken back and is flagged on the event for the operator (micro-credits), with the workspace it concerns.
    `ALTER TABLE stripe_events ADD COLUMN workspace_id text`,
    `ALTER TABLE stripe_events ADD COLUMN unrecovered_credits bigint CHECK (unrecovered_credits > 0)`,
    `CREATE INDEX stripe_events_unrecovered ON stripe_events (received_at) WHERE unrecovered_credits IS NOT NULL`,
  ])

export const down = undefined
