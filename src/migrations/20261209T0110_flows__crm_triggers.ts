import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

// Runs started by what the CRM tells the event bus (issue 14 §10): a sixth kind of trigger, opened in the CRM's
// transaction. Their trigger keys (`crm.lead-imported:<import>:<row>`, …) make one run per flow and event.
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE flow_runs DROP CONSTRAINT flow_runs_trigger_check`,
    `ALTER TABLE flow_runs ADD CONSTRAINT flow_runs_trigger_check
    CHECK (trigger IN ('manual', 'webhook', 'schedule', 'subflow', 'whatsapp', 'crm'))`,
  ])

export const down = undefined
