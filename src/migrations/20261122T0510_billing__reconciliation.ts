import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Billing: provider invoices imported per day and model (every import a new version, history kept), daily
 * reconciliation runs with their per-model deltas, and the alerts they raised. Money in micro-USD, credits in
 * micro-credits. Days are UTC `YYYY-MM-DD` text, compared as strings and never converted by a driver.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE TABLE provider_cost_imports (
    id text PRIMARY KEY,
    provider text NOT NULL,
    lines integer NOT NULL CHECK (lines > 0),
    total_usd_micro bigint NOT NULL CHECK (total_usd_micro >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE TABLE provider_costs (
    day text NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    provider text NOT NULL,
    model_id text NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    import_id text NOT NULL REFERENCES provider_cost_imports (id),
    line integer NOT NULL,
    cost_usd_micro bigint NOT NULL CHECK (cost_usd_micro >= 0),
    input_tokens bigint CHECK (input_tokens >= 0),
    output_tokens bigint CHECK (output_tokens >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, provider, model_id, version)
  )`,
    `CREATE INDEX provider_costs_import ON provider_costs (import_id)`,
    // An import is evidence: a correction is a new version, never an edit.
    `CREATE TRIGGER provider_cost_imports_append_only BEFORE UPDATE OR DELETE ON provider_cost_imports FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
    `CREATE TRIGGER provider_costs_append_only BEFORE UPDATE OR DELETE ON provider_costs FOR EACH ROW EXECUTE FUNCTION forbid_change()`,

    `CREATE TABLE reconciliation_runs (
    id text PRIMARY KEY,
    day text NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    trigger text NOT NULL CHECK (trigger IN ('cron', 'operator')),
    calls integer NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    recorded_cost_usd_micro bigint NOT NULL,
    imported_cost_usd_micro bigint,
    provider_cost_usd_micro bigint NOT NULL,
    charged bigint NOT NULL,
    revenue_usd_micro bigint NOT NULL,
    margin_bps integer,
    target_margin_bps integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    // The nightly run happens once per day, whatever the retries of its job; operators may run a day again at will.
    `CREATE UNIQUE INDEX reconciliation_runs_one_cron ON reconciliation_runs (day) WHERE trigger = 'cron'`,
    `CREATE INDEX reconciliation_runs_recent ON reconciliation_runs (created_at DESC)`,
    `CREATE TABLE reconciliation_deltas (
    run_id text NOT NULL REFERENCES reconciliation_runs (id),
    model_id text NOT NULL,
    provider text NOT NULL,
    calls integer NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    recorded_usd_micro bigint NOT NULL,
    imported_usd_micro bigint,
    delta_usd_micro bigint,
    import_id text REFERENCES provider_cost_imports (id),
    PRIMARY KEY (run_id, model_id)
  )`,
    `CREATE TRIGGER reconciliation_runs_append_only BEFORE UPDATE OR DELETE ON reconciliation_runs FOR EACH ROW EXECUTE FUNCTION forbid_change()`,
    `CREATE TRIGGER reconciliation_deltas_append_only BEFORE UPDATE OR DELETE ON reconciliation_deltas FOR EACH ROW EXECUTE FUNCTION forbid_change()`,

    // notified_at is set by the webhook job after the receiver accepted the alert.
    `CREATE TABLE billing_alerts (
    id text PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    run_id text NOT NULL REFERENCES reconciliation_runs (id),
    day text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('margin_below_target', 'cost_missing')),
    model_id text,
    message text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}',
    notified_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX billing_alerts_run ON billing_alerts (run_id)`,

    // Telemetry, calibration and reconciliation read calls and holds by time across workspaces.
    `CREATE INDEX model_calls_created ON model_calls (created_at)`,
    `CREATE INDEX credit_holds_created ON credit_holds (created_at) WHERE status IN ('settled', 'expired')`,
  ])

export const down = undefined
