import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/** Tables whose rows are the members' data: never deleted (archive, merge and the operator's erasure update them). */
const NEVER_DELETED = [
  'crm_settings',
  'crm_companies',
  'crm_field_definitions',
  'crm_contacts',
  'crm_contact_phones',
  'crm_contact_emails',
  'crm_contact_identities',
  'crm_pipelines',
  'crm_stages',
  'crm_deals',
  'crm_bookings',
  'crm_contact_profiles',
  'crm_contact_spend',
  'crm_notes',
  'crm_tasks',
]

/**
 * The CRM (issue 14, ADR 0006): contacts with their phones, emails and WhatsApp identities (unique per client among
 * live contacts: de-duplication by index, not by a read), companies, custom fields, pipelines and deals with an
 * append-only stage history, bookings, and per-contact profile figures kept in the booking writes' transactions.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE crm_settings (
    client_id text PRIMARY KEY REFERENCES clients (id),
    workspace_id text NOT NULL REFERENCES workspaces (id),
    default_country text CHECK (default_country ~ '^[A-Z]{2}$'),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE TABLE crm_companies (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    domain text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX crm_companies_client_idx ON crm_companies (client_id, created_at DESC, id DESC)`,
    `CREATE TABLE crm_field_definitions (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    entity text NOT NULL CHECK (entity IN ('contact', 'booking')),
    key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    label text NOT NULL,
    type text NOT NULL CHECK (type IN ('text', 'number', 'date', 'boolean', 'select')),
    options jsonb,
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, entity, key)
  )`,
    `CREATE TABLE crm_contacts (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    name text NOT NULL,
    tags jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tags) = 'array'),
    fields jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(fields) = 'object'),
    owner_id text REFERENCES users (id),
    company_id text REFERENCES crm_companies (id),
    archived_at timestamptz,
    merged_into text REFERENCES crm_contacts (id),
    erased_at timestamptz,
    created_by text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (merged_into IS NULL OR archived_at IS NOT NULL)
  )`,
    `CREATE INDEX crm_contacts_client_idx ON crm_contacts (client_id, created_at DESC, id DESC)`,
    `CREATE INDEX crm_contacts_tags_idx ON crm_contacts USING gin (tags jsonb_path_ops)`,
    // A phone, email or identity belongs to one live contact of a client: the unique index decides a race. Their order
    // is the order they were added (clock_timestamp: several are added in one transaction).
    `CREATE TABLE crm_contact_phones (
    id text PRIMARY KEY,
    client_id text NOT NULL REFERENCES clients (id),
    contact_id text NOT NULL REFERENCES crm_contacts (id),
    phone text,
    state text NOT NULL CHECK (state IN ('active', 'inactive', 'removed')),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
  )`,
    `CREATE UNIQUE INDEX crm_contact_phones_live_idx ON crm_contact_phones (client_id, phone) WHERE state = 'active'`,
    `CREATE INDEX crm_contact_phones_contact_idx ON crm_contact_phones (contact_id)`,
    `CREATE TABLE crm_contact_emails (
    id text PRIMARY KEY,
    client_id text NOT NULL REFERENCES clients (id),
    contact_id text NOT NULL REFERENCES crm_contacts (id),
    email text,
    state text NOT NULL CHECK (state IN ('active', 'inactive', 'removed')),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
  )`,
    `CREATE UNIQUE INDEX crm_contact_emails_live_idx ON crm_contact_emails (client_id, email) WHERE state = 'active'`,
    `CREATE INDEX crm_contact_emails_contact_idx ON crm_contact_emails (contact_id)`,
    `CREATE TABLE crm_contact_identities (
    id text PRIMARY KEY,
    client_id text NOT NULL REFERENCES clients (id),
    contact_id text NOT NULL REFERENCES crm_contacts (id),
    wa_id text,
    state text NOT NULL CHECK (state IN ('active', 'inactive', 'removed')),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
  )`,
    // An identity stays with its contact while archived (a message from it does not make a new contact).
    `CREATE UNIQUE INDEX crm_contact_identities_live_idx ON crm_contact_identities (client_id, wa_id)
    WHERE state <> 'removed'`,
    `CREATE INDEX crm_contact_identities_contact_idx ON crm_contact_identities (contact_id)`,
    `CREATE TABLE crm_pipelines (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    name text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    // One default pipeline per client, created on first use by whoever gets there first (ON CONFLICT DO NOTHING).
    `CREATE UNIQUE INDEX crm_pipelines_default_idx ON crm_pipelines (client_id) WHERE is_default`,
    `CREATE INDEX crm_pipelines_client_idx ON crm_pipelines (client_id, created_at)`,
    `CREATE TABLE crm_stages (
    id text PRIMARY KEY,
    client_id text NOT NULL REFERENCES clients (id),
    pipeline_id text NOT NULL REFERENCES crm_pipelines (id),
    name text NOT NULL,
    position integer NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('open', 'won', 'lost')),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX crm_stages_pipeline_idx ON crm_stages (pipeline_id, position)`,
    `CREATE TABLE crm_deals (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    pipeline_id text NOT NULL REFERENCES crm_pipelines (id),
    stage_id text NOT NULL REFERENCES crm_stages (id),
    contact_id text NOT NULL REFERENCES crm_contacts (id),
    title text NOT NULL,
    value_minor bigint NOT NULL DEFAULT 0 CHECK (value_minor >= 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    position double precision NOT NULL DEFAULT 0,
    status text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    lost_reason text,
    closed_at timestamptz,
    created_by text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'lost' OR lost_reason IS NOT NULL)
  )`,
    `CREATE INDEX crm_deals_client_idx ON crm_deals (client_id, created_at DESC, id DESC)`,
    `CREATE INDEX crm_deals_contact_idx ON crm_deals (contact_id, created_at DESC, id DESC)`,
    `CREATE TABLE crm_deal_stage_changes (
    id text PRIMARY KEY,
    client_id text NOT NULL REFERENCES clients (id),
    deal_id text NOT NULL REFERENCES crm_deals (id),
    from_stage_id text REFERENCES crm_stages (id),
    to_stage_id text NOT NULL REFERENCES crm_stages (id),
    moved_by text REFERENCES users (id),
    lost_reason text,
    at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX crm_deal_stage_changes_deal_idx ON crm_deal_stage_changes (deal_id, at DESC, id DESC)`,
    `CREATE TRIGGER crm_deal_stage_changes_append_only BEFORE UPDATE OR DELETE ON crm_deal_stage_changes
    FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
    `CREATE TABLE crm_bookings (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    contact_id text NOT NULL REFERENCES crm_contacts (id),
    date text NOT NULL CHECK (date ~ '^\\d{4}-\\d{2}-\\d{2}$'),
    time text CHECK (time ~ '^\\d{2}:\\d{2}$'),
    time_zone text NOT NULL,
    location text,
    items jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(items) = 'array'),
    amount_minor bigint CHECK (amount_minor >= 0),
    currency text CHECK (currency ~ '^[A-Z]{3}$'),
    status text NOT NULL CHECK (status IN ('tentative', 'confirmed', 'cancelled', 'done')),
    notes text,
    fields jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(fields) = 'object'),
    source_thread_id text,
    source_message_ids jsonb,
    created_by text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((amount_minor IS NULL) = (currency IS NULL))
  )`,
    `CREATE INDEX crm_bookings_client_idx ON crm_bookings (client_id, created_at DESC, id DESC)`,
    `CREATE INDEX crm_bookings_contact_idx ON crm_bookings (contact_id, created_at DESC, id DESC)`,
    `CREATE TABLE crm_contact_profiles (
    contact_id text PRIMARY KEY REFERENCES crm_contacts (id),
    client_id text NOT NULL REFERENCES clients (id),
    bookings_count integer NOT NULL DEFAULT 0 CHECK (bookings_count >= 0),
    first_booking_date text,
    last_booking_date text,
    last_contact_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE TABLE crm_contact_spend (
    contact_id text NOT NULL REFERENCES crm_contacts (id),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
    PRIMARY KEY (contact_id, currency)
  )`,
    `CREATE TABLE crm_notes (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    contact_id text NOT NULL REFERENCES crm_contacts (id),
    body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
    author_id text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX crm_notes_contact_idx ON crm_notes (contact_id, created_at DESC, id DESC)`,
    `CREATE TABLE crm_tasks (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    client_id text NOT NULL REFERENCES clients (id),
    contact_id text NOT NULL REFERENCES crm_contacts (id),
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 300),
    due_date text CHECK (due_date ~ '^\\d{4}-\\d{2}-\\d{2}$'),
    done_at timestamptz,
    created_by text REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX crm_tasks_contact_idx ON crm_tasks (contact_id, created_at DESC, id DESC)`,
    ...NEVER_DELETED.map(
      (t) => `CREATE TRIGGER ${t}_never_deleted BEFORE DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION forbid_delete()`,
    ),
  ])

export const down = undefined
