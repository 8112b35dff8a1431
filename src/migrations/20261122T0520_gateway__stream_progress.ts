import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // What a /v1 stream has sent so far, saved every few seconds while it runs, so that a stream whose process
    // dies is charged for what it generated when the sweeper settles its hold. Removed when the call ends.
    `CREATE TABLE stream_progress (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    request_id text NOT NULL,
    output text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, request_id)
  )`,
  ])

export const down = undefined
