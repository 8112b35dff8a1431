import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * The guard of the ledger's one-statement holds and settles (`ledger.ts`, `applyMany`): called with
 * whether the statement did everything it was asked, it raises when it did not, so the whole statement (the usage rows
 * it carries included) rolls back and the ops go through the batch, which gives the exact answer (a replay, already
 * resolved, an overage, not found). VOLATILE so the planner never folds it. It replaces the lone settle's guard
 * (`credits_settled_alone`, 20261214T0100), dropped here.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE FUNCTION credits_all_or_nothing(done boolean) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      IF done IS NOT TRUE THEN
        RAISE EXCEPTION 'credits: these ops need the batch' USING ERRCODE = 'P0001';
      END IF;
      RETURN true;
    END $$`,
    `DROP FUNCTION IF EXISTS credits_settled_alone(boolean)`,
  ])
