import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    // The operator decides disputes; a workspace admin may withdraw one. Nobody refunds themselves.
    `ALTER TABLE credit_disputes DROP CONSTRAINT credit_disputes_status_check`,
    `ALTER TABLE credit_disputes ADD CONSTRAINT credit_disputes_status_check CHECK (status IN ('open', 'approved', 'rejected', 'withdrawn'))`,
    // One dispute per debit, ever: a rejected or withdrawn dispute cannot be filed again. Rows from before this rule
    // (a debit disputed again after a rejection) keep their history; all but the newest are marked and left out.
    `ALTER TABLE credit_disputes ADD COLUMN superseded boolean NOT NULL DEFAULT false`,
    `UPDATE credit_disputes d SET superseded = true
    WHERE EXISTS (SELECT 1 FROM credit_disputes n WHERE n.entry_id = d.entry_id AND (n.created_at, n.id) > (d.created_at, d.id))`,
    // Only this migration marks a row superseded: afterwards nothing can, so nothing slips past the unique index below.
    `CREATE FUNCTION credit_disputes_superseded_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NEW.superseded AND (TG_OP = 'INSERT' OR NOT OLD.superseded) THEN
       RAISE EXCEPTION 'dispute % cannot be marked superseded', NEW.id USING ERRCODE = 'restrict_violation';
     END IF;
     RETURN NEW;
   END $$`,
    `CREATE TRIGGER credit_disputes_superseded_frozen BEFORE INSERT OR UPDATE ON credit_disputes
    FOR EACH ROW EXECUTE FUNCTION credit_disputes_superseded_frozen()`,
    `DROP INDEX credit_disputes_one_open`,
    `CREATE UNIQUE INDEX credit_disputes_one_per_entry ON credit_disputes (entry_id) WHERE NOT superseded`,
    // The operator's queue: open disputes across workspaces, oldest waiting first.
    `CREATE INDEX credit_disputes_open ON credit_disputes (created_at) WHERE status = 'open'`,
    // Notes added by workspace admins while a dispute is open (the operator's decision note stays on the dispute).
    `CREATE TABLE credit_dispute_notes (
    id text PRIMARY KEY,
    dispute_id text NOT NULL REFERENCES credit_disputes (id),
    workspace_id text NOT NULL REFERENCES credit_accounts (workspace_id),
    author_id text NOT NULL REFERENCES users (id),
    note text NOT NULL CHECK (length(note) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
    `CREATE INDEX credit_dispute_notes_dispute ON credit_dispute_notes (dispute_id, created_at)`,
  ])

export const down = undefined
