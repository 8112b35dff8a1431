import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Every process keeps a session cookie → its user in memory (ADR 0009), as it does for API tokens: a session's row
 * changing or going (sign-out, a password change ending the other sessions, the user deleted by cascade) tells every
 * process at commit.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE FUNCTION sessions_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('camarad_invalidate', 'session:' || OLD.id);
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER sessions_invalidate AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_invalidate()`,
  ])
