import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

// The QR runtime's short-lived state, beside the lease it belongs to (ADR 0005 §3): the QR the driving process shows
// now, a pairing code it was asked for, and until when someone waits for a QR (the dialog is open).
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE channel_sessions ADD COLUMN qr text`,
    `ALTER TABLE channel_sessions ADD COLUMN qr_at timestamptz`,
    `ALTER TABLE channel_sessions ADD COLUMN pairing_code text`,
    `ALTER TABLE channel_sessions ADD COLUMN wanted_until timestamptz`,
  ])

export const down = undefined
