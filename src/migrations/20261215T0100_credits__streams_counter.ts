import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * The account counts its pending streaming holds (`streams`), kept by the same statement triggers that keep `held`,
 * so a hold's statement checks the concurrent-streams limit against the account row it locks (the freshest version
 * after a lock wait) instead of counting holds in a snapshot taken before the wait. The ledger's one-statement path
 * then places streaming holds too (ADR 0003).
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `ALTER TABLE credit_accounts ADD COLUMN streams integer NOT NULL DEFAULT 0 CHECK (streams >= 0)`,
    `UPDATE credit_accounts a SET streams = s.n
       FROM (SELECT workspace_id, count(*)::int AS n FROM credit_holds
              WHERE status = 'pending' AND streaming GROUP BY workspace_id) s
      WHERE a.workspace_id = s.workspace_id`,
    `CREATE OR REPLACE FUNCTION credit_holds_placed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE credit_accounts a SET held = a.held + s.total, streams = a.streams + s.streams
       FROM (SELECT workspace_id, sum(amount) AS total, count(*) FILTER (WHERE streaming) AS streams
               FROM new_rows WHERE status = 'pending' GROUP BY workspace_id) s
      WHERE a.workspace_id = s.workspace_id;
     RETURN NULL;
   END $$`,
    `CREATE OR REPLACE FUNCTION credit_holds_resolved() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE credit_accounts a SET held = a.held - s.total, streams = a.streams - s.streams
       FROM (SELECT workspace_id, sum(amount) AS total, count(*) FILTER (WHERE streaming) AS streams
               FROM old_rows GROUP BY workspace_id) s
      WHERE a.workspace_id = s.workspace_id;
     RETURN NULL;
   END $$`,
  ])
