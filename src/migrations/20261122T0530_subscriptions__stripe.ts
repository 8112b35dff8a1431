import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // Every verified Stripe event, stored once by its id before it is processed: a redelivery is a no-op, a failed
    // processing is retried from this row, and an event that kept failing stays here as `dead` for an operator to replay.
    `CREATE TABLE stripe_events (
    id text PRIMARY KEY,
    type text NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'ignored', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    processed_at timestamptz
  )`,
    `CREATE INDEX stripe_events_status_idx ON stripe_events (status, received_at)`,
    // A workspace's Stripe customer and subscription as Stripe last reported them; workspaces.plan follows it.
    `CREATE TABLE workspace_subscriptions (
    workspace_id text PRIMARY KEY REFERENCES workspaces (id),
    stripe_customer_id text NOT NULL UNIQUE,
    stripe_subscription_id text,
    status text,
    plan text,
    current_period_end timestamptz,
    updated_from_event_created timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  ])

export const down = undefined
