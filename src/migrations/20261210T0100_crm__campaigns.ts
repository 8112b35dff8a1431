import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Campaigns (issue 14 §9): a broadcast to a segment of a client's contacts through the WhatsApp outbox. A campaign's
 * recipients are frozen when it starts (one row per campaign and contact); the `crm.run-campaign` job queues the
 * pending ones in batches, each recipient pointing at its outbox message. Opt-outs (STOP) are an append-only log per
 * client and WhatsApp address: the newest row says whether the address is opted out; an opt-in back is a new row.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE crm_campaigns (
    id text PRIMARY KEY,
    workspace_id text NOT NULL,
    client_id text NOT NULL,
    created_by text NOT NULL,
    name text NOT NULL,
    channel_id text NOT NULL,
    channel_kind text NOT NULL CHECK (channel_kind IN ('qr', 'cloud')),
    segment jsonb NOT NULL,
    message jsonb NOT NULL,
    status text NOT NULL CHECK (status IN ('draft', 'sending', 'done', 'cancelled')),
    total integer NOT NULL DEFAULT 0,
    queued integer NOT NULL DEFAULT 0,
    skipped integer NOT NULL DEFAULT 0,
    started_by text,
    started_at timestamptz,
    cancelled_by text,
    cancelled_at timestamptz,
    finished_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX crm_campaigns_client_idx ON crm_campaigns (client_id, created_at DESC, id DESC)`,
    `CREATE TABLE crm_campaign_recipients (
    campaign_id text NOT NULL REFERENCES crm_campaigns (id),
    contact_id text NOT NULL,
    client_id text NOT NULL,
    seq integer NOT NULL,
    name text NOT NULL,
    address text,
    state text NOT NULL CHECK (state IN ('pending', 'queued', 'skipped')),
    reason text CHECK (reason IN ('opted_out', 'no_whatsapp', 'plan_limit', 'window_closed', 'cancelled')),
    message_id text,
    queued_at timestamptz,
    PRIMARY KEY (campaign_id, contact_id),
    UNIQUE (campaign_id, seq)
  )`,
    `CREATE INDEX crm_campaign_recipients_pending_idx ON crm_campaign_recipients (campaign_id, seq)
    WHERE state = 'pending'`,
    `CREATE INDEX crm_campaign_recipients_state_idx ON crm_campaign_recipients (campaign_id, state, seq)`,
    `CREATE TABLE crm_opt_outs (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    workspace_id text NOT NULL,
    client_id text NOT NULL,
    address text NOT NULL,
    state text NOT NULL CHECK (state IN ('opted_out', 'opted_in')),
    contact_id text,
    keyword text,
    message_id text,
    actor_user_id text,
    reason text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX crm_opt_outs_address_idx ON crm_opt_outs (client_id, address, seq DESC)`,
    `CREATE TRIGGER crm_campaigns_never_deleted BEFORE DELETE ON crm_campaigns
    FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
    `CREATE TRIGGER crm_campaign_recipients_never_deleted BEFORE DELETE ON crm_campaign_recipients
    FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
    `CREATE TRIGGER crm_opt_outs_append_only BEFORE UPDATE OR DELETE ON crm_opt_outs
    FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
  ])

export const down = undefined
