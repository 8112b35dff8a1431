import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // The knowledge base calls models too (embeddings of passages and of search queries): surface 'knowledge'.
    `ALTER TABLE model_calls DROP CONSTRAINT model_calls_surface_check`,
    `ALTER TABLE model_calls ADD CONSTRAINT model_calls_surface_check
      CHECK (surface IN ('chat', 'v1', 'boardroom', 'flow', 'inbox', 'crm', 'knowledge'))`,
  ])

export const down = undefined
