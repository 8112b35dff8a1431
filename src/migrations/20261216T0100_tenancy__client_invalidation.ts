import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Every process keeps client rows in memory for request scopes (ADR 0009): a client changed or deleted (a workspace
 * deleted by cascade included) tells every process at commit, tagged by the client. A new client needs no message:
 * nothing is cached for an id that was not found.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE FUNCTION clients_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('camarad_invalidate', 'client:' || OLD.id);
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER clients_invalidate AFTER UPDATE OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION clients_invalidate()`,
  ])
