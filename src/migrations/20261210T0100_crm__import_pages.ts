import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Lead import from web pages (issue 14 §8, second half): an import is a CSV file or a list of pages. Each page is a
 * row of `crm_import_pages`, claimed (`fetching`) before the job fetches it and resolved (`done` with the leads found,
 * or `failed` with why) in the transaction that stores its leads as import rows — so a retried job never fetches a
 * page twice. A row found on a page keeps that page's URL.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE crm_imports ADD COLUMN kind text NOT NULL DEFAULT 'csv' CHECK (kind IN ('csv', 'pages'))`,
    `ALTER TABLE crm_import_rows ADD COLUMN source_url text`,
    `CREATE TABLE crm_import_pages (
    import_id text NOT NULL REFERENCES crm_imports (id),
    position integer NOT NULL,
    url text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'fetching', 'done', 'failed')),
    method text CHECK (method IN ('structured', 'ai', 'rules')),
    found integer NOT NULL DEFAULT 0,
    demo boolean NOT NULL DEFAULT false,
    error_code text,
    error_message text,
    finished_at timestamptz,
    PRIMARY KEY (import_id, position)
  )`,
  ])

export const down = undefined
