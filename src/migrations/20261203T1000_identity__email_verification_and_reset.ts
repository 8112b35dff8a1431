import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // Free credits go to verified people only: set when the person proves the mailbox (link, reset link, or Google).
    `ALTER TABLE users ADD COLUMN email_verified_at timestamptz`,
    // Single-use secrets sent by email (verification, password reset): only the SHA-256 hash is stored.
    `CREATE TABLE auth_tokens (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash text NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX auth_tokens_user_idx ON auth_tokens (user_id, purpose)`,
  ])

export const down = undefined
