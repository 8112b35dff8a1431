import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * The guard of the ledger's one-statement settle (`ledger.ts`, `settleAlone`): called with whether the statement
 * settled its hold, it raises when it did not, so the whole statement (the usage row it carries included) rolls back
 * and the settle goes through the batch, which gives the exact answer (already resolved, overage, not found).
 * VOLATILE so the planner never folds it.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE FUNCTION credits_settled_alone(settled boolean) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      IF settled IS NOT TRUE THEN
        RAISE EXCEPTION 'credits: this settle needs the batch' USING ERRCODE = 'P0001';
      END IF;
      RETURN true;
    END $$`,
  ])
