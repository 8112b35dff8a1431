import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Credits: prices, credit rates, one account per workspace, an append-only ledger of entries and holds that
 * resolve once. The cached figures on an account (balance, held) are maintained by triggers in the same
 * statement as the entry or hold that moves them, and a CHECK keeps available (balance − held) at zero or more:
 * the database enforces the invariants, the service only decides what to ask for.
 * Units: credits in micro-credits (1 credit = 1 000 000), prices in micro-USD per million tokens (= pico-USD per token).
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE model_prices (
    id text PRIMARY KEY,
    model_id text NOT NULL,
    input_per_m bigint NOT NULL CHECK (input_per_m >= 0),
    output_per_m bigint NOT NULL CHECK (output_per_m >= 0),
    cached_input_per_m bigint NOT NULL CHECK (cached_input_per_m >= 0),
    source text NOT NULL CHECK (source IN ('catalog', 'operator', 'shadow-sync')),
    valid_from timestamptz NOT NULL DEFAULT now(),
    valid_to timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
  )`,
    `CREATE UNIQUE INDEX model_prices_current ON model_prices (model_id) WHERE valid_to IS NULL`,

    `CREATE TABLE credit_rates (
    id text PRIMARY KEY,
    scope text NOT NULL CHECK (scope IN ('live', 'shadow')),
    usd_micro_per_credit bigint NOT NULL CHECK (usd_micro_per_credit > 0),
    buffer_bps integer NOT NULL CHECK (buffer_bps BETWEEN 0 AND 100000),
    margin_bps integer NOT NULL CHECK (margin_bps BETWEEN 0 AND 100000),
    note text NOT NULL DEFAULT '',
    valid_from timestamptz NOT NULL DEFAULT now(),
    valid_to timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
  )`,
    `CREATE UNIQUE INDEX credit_rates_current ON credit_rates (scope) WHERE valid_to IS NULL`,
    // 1 credit = 1 US cent; estimates carry a 25 % buffer; charges are provider cost + 100 % (a 50 % gross margin).
    `INSERT INTO credit_rates (id, scope, usd_micro_per_credit, buffer_bps, margin_bps, note)
   VALUES ('rate_live_initial', 'live', 10000, 2500, 10000, 'initial rate'), ('rate_shadow_initial', 'shadow', 10000, 2500, 10000, 'initial rate')`,

    `CREATE TABLE credit_accounts (
    workspace_id text PRIMARY KEY REFERENCES workspaces (id),
    balance bigint NOT NULL DEFAULT 0,
    held bigint NOT NULL DEFAULT 0,
    per_request_cap bigint CHECK (per_request_cap > 0),
    requests_per_minute_user integer CHECK (requests_per_minute_user > 0),
    requests_per_minute_workspace integer CHECK (requests_per_minute_workspace > 0),
    max_concurrent_streams integer CHECK (max_concurrent_streams > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_accounts_held_positive CHECK (held >= 0),
    CONSTRAINT credit_accounts_available_positive CHECK (balance - held >= 0)
  )`,
    `INSERT INTO credit_accounts (workspace_id) SELECT id FROM workspaces`,

    // Optional caps: per day and per calendar month, for the whole workspace, one client or one user (a sub-budget).
    `CREATE TABLE credit_caps (
    workspace_id text NOT NULL REFERENCES credit_accounts (workspace_id),
    subject_kind text NOT NULL CHECK (subject_kind IN ('workspace', 'client', 'user')),
    subject_id text NOT NULL,
    daily bigint CHECK (daily > 0),
    monthly bigint CHECK (monthly > 0),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, subject_kind, subject_id)
  )`,

    `CREATE TABLE credit_holds (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES credit_accounts (workspace_id),
    request_id text NOT NULL,
    client_id text REFERENCES clients (id),
    user_id text REFERENCES users (id),
    token_id text,
    surface text NOT NULL,
    model_id text NOT NULL,
    streaming boolean NOT NULL DEFAULT false,
    amount bigint NOT NULL CHECK (amount >= 0),
    input_tokens integer NOT NULL DEFAULT 0,
    params_hash text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'settled', 'released', 'expired')),
    charged bigint CHECK (charged >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    resolved_at timestamptz,
    CHECK ((status = 'pending') = (resolved_at IS NULL))
  )`,
    // One hold per request id: a replay finds the first one.
    `CREATE UNIQUE INDEX credit_holds_request ON credit_holds (workspace_id, request_id)`,
    `CREATE INDEX credit_holds_pending ON credit_holds (workspace_id, expires_at) WHERE status = 'pending'`,
    `CREATE INDEX credit_holds_expiry ON credit_holds (expires_at) WHERE status = 'pending'`,
    `CREATE INDEX credit_holds_workspace ON credit_holds (workspace_id, created_at DESC)`,

    `CREATE TABLE credit_entries (
    id text PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    workspace_id text NOT NULL REFERENCES credit_accounts (workspace_id),
    kind text NOT NULL CHECK (kind IN ('grant', 'purchase', 'debit', 'refund', 'adjustment', 'expiry')),
    amount bigint NOT NULL,
    request_id text NOT NULL,
    hold_id text REFERENCES credit_holds (id),
    refund_of text REFERENCES credit_entries (id),
    client_id text,
    user_id text,
    model_id text,
    surface text,
    reason text NOT NULL DEFAULT '',
    created_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (CASE kind WHEN 'grant' THEN amount > 0 WHEN 'purchase' THEN amount > 0 WHEN 'refund' THEN amount > 0
      WHEN 'debit' THEN amount <= 0 WHEN 'expiry' THEN amount < 0 ELSE amount <> 0 END),
    CHECK ((kind = 'refund') = (refund_of IS NOT NULL))
  )`,
    // At most one entry of a kind per (workspace, request id): a retried request never charges twice.
    `CREATE UNIQUE INDEX credit_entries_request ON credit_entries (workspace_id, request_id, kind)`,
    `CREATE UNIQUE INDEX credit_entries_one_refund ON credit_entries (refund_of) WHERE refund_of IS NOT NULL`,
    // The welcome grant: once per person, whatever the number of workspaces they create.
    `CREATE UNIQUE INDEX credit_entries_welcome ON credit_entries (request_id) WHERE kind = 'grant' AND request_id LIKE 'welcome:%'`,
    `CREATE INDEX credit_entries_workspace ON credit_entries (workspace_id, seq DESC)`,

    // A debit larger than its hold is logged here first (the trigger below refuses it otherwise).
    `CREATE TABLE credit_overages (
    hold_id text PRIMARY KEY REFERENCES credit_holds (id),
    workspace_id text NOT NULL REFERENCES credit_accounts (workspace_id),
    request_id text NOT NULL,
    held bigint NOT NULL,
    cost bigint NOT NULL,
    charged bigint NOT NULL,
    uncollected bigint NOT NULL CHECK (uncollected >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (cost > held AND charged <= cost AND uncollected = cost - charged)
  )`,

    `CREATE TRIGGER credit_entries_append_only BEFORE UPDATE OR DELETE ON credit_entries FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
    `CREATE TRIGGER credit_overages_append_only BEFORE UPDATE OR DELETE ON credit_overages FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
    `CREATE TRIGGER credit_holds_no_delete BEFORE DELETE ON credit_holds FOR EACH ROW EXECUTE FUNCTION forbid_change()`,

    // The balance is the sum of the entries: moved by the statement that inserts them.
    `CREATE FUNCTION credit_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE credit_accounts a SET balance = a.balance + s.total
       FROM (SELECT workspace_id, sum(amount) AS total FROM new_rows GROUP BY workspace_id) s
      WHERE a.workspace_id = s.workspace_id;
     RETURN NULL;
   END $$`,
    `CREATE TRIGGER credit_entries_balance AFTER INSERT ON credit_entries REFERENCING NEW TABLE AS new_rows
   FOR EACH STATEMENT EXECUTE FUNCTION credit_entries_apply()`,

    // A debit tied to a hold may exceed it only when the overage was logged.
    `CREATE FUNCTION credit_debit_within_hold() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE held_amount bigint;
   BEGIN
     IF NEW.kind = 'debit' AND NEW.hold_id IS NOT NULL THEN
       SELECT amount INTO held_amount FROM credit_holds WHERE id = NEW.hold_id;
       IF -NEW.amount > held_amount AND NOT EXISTS (SELECT 1 FROM credit_overages WHERE hold_id = NEW.hold_id) THEN
         RAISE EXCEPTION 'debit % exceeds hold % without an overage entry', -NEW.amount, held_amount USING ERRCODE = 'check_violation';
       END IF;
     END IF;
     RETURN NEW;
   END $$`,
    `CREATE TRIGGER credit_entries_within_hold BEFORE INSERT ON credit_entries FOR EACH ROW EXECUTE FUNCTION credit_debit_within_hold()`,

    // Held is the sum of the pending holds: placed by their insert, freed by the update that resolves them.
    `CREATE FUNCTION credit_holds_placed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE credit_accounts a SET held = a.held + s.total
       FROM (SELECT workspace_id, sum(amount) AS total FROM new_rows WHERE status = 'pending' GROUP BY workspace_id) s
      WHERE a.workspace_id = s.workspace_id;
     RETURN NULL;
   END $$`,
    `CREATE TRIGGER credit_holds_insert AFTER INSERT ON credit_holds REFERENCING NEW TABLE AS new_rows
   FOR EACH STATEMENT EXECUTE FUNCTION credit_holds_placed()`,
    // A hold resolves once: pending → settled | released | expired, and nothing else about it changes.
    `CREATE FUNCTION credit_holds_resolve_once() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF OLD.status <> 'pending' OR NEW.status = 'pending' THEN
       RAISE EXCEPTION 'hold % is already %', OLD.id, OLD.status USING ERRCODE = 'restrict_violation';
     END IF;
     IF NEW.amount <> OLD.amount OR NEW.workspace_id <> OLD.workspace_id OR NEW.request_id <> OLD.request_id THEN
       RAISE EXCEPTION 'hold % can only be resolved', OLD.id USING ERRCODE = 'restrict_violation';
     END IF;
     RETURN NEW;
   END $$`,
    `CREATE TRIGGER credit_holds_once BEFORE UPDATE ON credit_holds FOR EACH ROW EXECUTE FUNCTION credit_holds_resolve_once()`,
    `CREATE FUNCTION credit_holds_resolved() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE credit_accounts a SET held = a.held - s.total
       FROM (SELECT workspace_id, sum(amount) AS total FROM old_rows GROUP BY workspace_id) s
      WHERE a.workspace_id = s.workspace_id;
     RETURN NULL;
   END $$`,
    `CREATE TRIGGER credit_holds_update AFTER UPDATE ON credit_holds REFERENCING OLD TABLE AS old_rows
   FOR EACH STATEMENT EXECUTE FUNCTION credit_holds_resolved()`,

    // What each call cost: the provider's price, our charge and the shadow rate's, with the versions used.
    `ALTER TABLE model_calls ADD COLUMN hold_id text`,
    `ALTER TABLE model_calls ADD COLUMN agent_id text`,
    `ALTER TABLE model_calls ADD COLUMN price_id text`,
    `ALTER TABLE model_calls ADD COLUMN rate_id text`,
    `ALTER TABLE model_calls ADD COLUMN shadow_rate_id text`,
    `ALTER TABLE model_calls ADD COLUMN cost_usd_micro bigint`,
    `ALTER TABLE model_calls ADD COLUMN charged bigint`,
    `ALTER TABLE model_calls ADD COLUMN shadow_charged bigint`,
    // What a /v1 caller received, so that a replay of the same request id returns it instead of calling again.
    `ALTER TABLE model_calls ADD COLUMN response jsonb`,
    `CREATE UNIQUE INDEX model_calls_one_per_request ON model_calls (workspace_id, request_id)`,
    `DROP INDEX model_calls_request_idx`,
    `ALTER TABLE meetings ADD COLUMN request_id text`,
    `CREATE UNIQUE INDEX meetings_request ON meetings (workspace_id, request_id)`,

    // Disputes: a member contests a debit; an admin approves (a refund entry) or rejects with a note.
    `CREATE TABLE credit_disputes (
    id text PRIMARY KEY,
    workspace_id text NOT NULL REFERENCES credit_accounts (workspace_id),
    entry_id text NOT NULL REFERENCES credit_entries (id),
    opened_by text NOT NULL REFERENCES users (id),
    reason text NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected')),
    resolution_note text,
    resolved_by text REFERENCES users (id),
    refund_entry_id text REFERENCES credit_entries (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
  )`,
    `CREATE UNIQUE INDEX credit_disputes_one_open ON credit_disputes (entry_id) WHERE status <> 'rejected'`,
    `CREATE INDEX credit_disputes_workspace ON credit_disputes (workspace_id, created_at DESC)`,

    // Monthly statements, built by a job from the ledger: one per workspace ('' user) and one per user.
    `CREATE TABLE credit_statements (
    workspace_id text NOT NULL REFERENCES credit_accounts (workspace_id),
    month text NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    user_id text NOT NULL DEFAULT '',
    granted bigint NOT NULL, purchased bigint NOT NULL, charged bigint NOT NULL, refunded bigint NOT NULL, adjusted bigint NOT NULL,
    calls integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, month, user_id)
  )`,
  ])

export const down = undefined
