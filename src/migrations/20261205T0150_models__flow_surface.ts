import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // Flows call models too (AI steps, compose-from-a-prompt): their usage records carry the surface 'flow'.
    `ALTER TABLE model_calls DROP CONSTRAINT model_calls_surface_check`,
    `ALTER TABLE model_calls ADD CONSTRAINT model_calls_surface_check CHECK (surface IN ('chat', 'v1', 'boardroom', 'flow'))`,
  ])

export const down = undefined
