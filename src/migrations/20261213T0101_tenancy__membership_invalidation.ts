import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Every process keeps a user's roles in memory (ADR 0009): a membership added, changed or removed (a workspace deleted
 * by cascade included) tells every process at commit, tagged by the user.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE FUNCTION memberships_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('camarad_invalidate', 'user:' || OLD.user_id); END IF;
      IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('camarad_invalidate', 'user:' || NEW.user_id); END IF;
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER memberships_invalidate AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_invalidate()`,
  ])
