import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // The inbox calls models too (a suggested reply): its usage records carry the surface 'inbox'.
    `ALTER TABLE model_calls DROP CONSTRAINT model_calls_surface_check`,
    `ALTER TABLE model_calls ADD CONSTRAINT model_calls_surface_check CHECK (surface IN ('chat', 'v1', 'boardroom', 'flow', 'inbox'))`,
  ])

export const down = undefined
