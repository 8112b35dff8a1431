import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * The public status page: incidents the operator posts (their status is the latest update's), the updates themselves
 * (append-only), and a heartbeat per process working jobs (the "workers" component).
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE status_incidents (
    id text PRIMARY KEY,
    title text NOT NULL,
    impact text NOT NULL CHECK (impact IN ('minor', 'major')),
    status text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
  )`,
    // The public page reads open incidents and the recently resolved ones.
    `CREATE INDEX status_incidents_open ON status_incidents (resolved_at DESC NULLS FIRST, created_at DESC)`,
    `CREATE TABLE status_incident_updates (
    id text PRIMARY KEY,
    incident_id text NOT NULL REFERENCES status_incidents (id),
    status text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    message text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX status_incident_updates_incident ON status_incident_updates (incident_id, created_at DESC)`,
    `CREATE TRIGGER status_incident_updates_append_only BEFORE UPDATE OR DELETE ON status_incident_updates
     FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
    `CREATE TABLE ops_worker_heartbeats (
    process_id text PRIMARY KEY,
    hostname text NOT NULL,
    pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    beat_at timestamptz NOT NULL DEFAULT now()
  )`,
  ])

export const down = undefined
