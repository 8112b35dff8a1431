import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Passage embeddings for vector search (ADR 0008 §6). Stored as `real[]`, not pgvector's `vector`, so this migration
 * runs the same on every database, with or without the extension: the column needs no extension, and search casts it
 * (`embedding::vector`) only where the knowledge module found pgvector at boot (PGlite's embedded build; PostgreSQL
 * when installed). One row per passage and embeddings model, with its dimensions; the passage's deletion takes it.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE knowledge_embeddings (
    document_id text NOT NULL,
    seq integer NOT NULL,
    client_id text NOT NULL,
    model text NOT NULL,
    dims integer NOT NULL CHECK (dims > 0),
    embedding real[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, seq, model),
    FOREIGN KEY (document_id, seq) REFERENCES knowledge_chunks (document_id, seq) ON DELETE CASCADE
  )`,
    `CREATE INDEX knowledge_embeddings_client_idx ON knowledge_embeddings (client_id, model)`,
  ])

export const down = undefined
