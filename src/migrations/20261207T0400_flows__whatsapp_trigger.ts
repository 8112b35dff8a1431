import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

// Runs started by a WhatsApp message a contact wrote (issue 13 §8): a fifth kind of trigger. Their trigger key is
// `whatsapp:<inbox message id>`, so the unique (flow, trigger key) index makes one run per flow and message.
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE flow_runs DROP CONSTRAINT flow_runs_trigger_check`,
    `ALTER TABLE flow_runs ADD CONSTRAINT flow_runs_trigger_check
    CHECK (trigger IN ('manual', 'webhook', 'schedule', 'subflow', 'whatsapp'))`,
  ])

export const down = undefined
