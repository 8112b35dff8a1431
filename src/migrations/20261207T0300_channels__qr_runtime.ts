import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

// The QR runtime's short-lived state, beside the lease it belongs to (ADR 0005 §3): the QR the driving process shows
// now, a pairing code it was asked for, until when someone waits for a QR (the dialog is open), and the watchdog's
// automatic restarts.
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE channel_sessions ADD COLUMN qr text`,
    `ALTER TABLE channel_sessions ADD COLUMN qr_at timestamptz`,
    `ALTER TABLE channel_sessions ADD COLUMN pairing_code text`,
    `ALTER TABLE channel_sessions ADD COLUMN wanted_until timestamptz`,
    // Automatic restarts of a failed number since it was last connected (the watchdog stops at a few).
    `ALTER TABLE channel_sessions ADD COLUMN restarts integer NOT NULL DEFAULT 0`,
  ])

export const down = undefined
