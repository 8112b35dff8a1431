import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // The CRM calls models too (booking extraction, Ask AI on a contact): its usage records carry the surface 'crm'.
    `ALTER TABLE model_calls DROP CONSTRAINT model_calls_surface_check`,
    `ALTER TABLE model_calls ADD CONSTRAINT model_calls_surface_check CHECK (surface IN ('chat', 'v1', 'boardroom', 'flow', 'inbox', 'crm'))`,
  ])

export const down = undefined
