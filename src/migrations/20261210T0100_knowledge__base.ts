import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * A client's knowledge base (issue 15 §7, ADR 0008). A document row is committed with its bytes (`source`) and the
 * `knowledge.ingest` job that reads them; the job writes the passages and clears `source`. Passages are searched with
 * full-text search in the 'simple' configuration (no stemming: Romanian and English alike), through a generated
 * tsvector and a GIN index. Documents may be deleted (client-provided reference material); their passages go with them.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE knowledge_documents (
    id text PRIMARY KEY,
    workspace_id text NOT NULL,
    client_id text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('pdf', 'docx', 'markdown', 'text', 'web')),
    url text,
    bytes integer,
    sha256 text,
    source bytea,
    status text NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
    error text,
    pages integer,
    characters integer,
    passages integer NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    created_by text NOT NULL,
    idempotency_key text,
    request_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    ready_at timestamptz
  )`,
    `CREATE UNIQUE INDEX knowledge_documents_idempotency_idx ON knowledge_documents (client_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL`,
    `CREATE INDEX knowledge_documents_client_idx ON knowledge_documents (client_id, created_at DESC, id DESC)`,
    `CREATE TABLE knowledge_chunks (
    document_id text NOT NULL REFERENCES knowledge_documents (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    workspace_id text NOT NULL,
    client_id text NOT NULL,
    page integer,
    start_offset integer NOT NULL,
    end_offset integer NOT NULL,
    text text NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
    PRIMARY KEY (document_id, seq)
  )`,
    `CREATE INDEX knowledge_chunks_tsv_idx ON knowledge_chunks USING gin (tsv)`,
    `CREATE INDEX knowledge_chunks_client_idx ON knowledge_chunks (client_id)`,
  ])

export const down = undefined
