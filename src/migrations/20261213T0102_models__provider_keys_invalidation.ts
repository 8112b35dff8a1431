import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/** Every process keeps a workspace's provider keys in memory (ADR 0009): a key set, changed or removed tells every process. */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE FUNCTION provider_keys_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('camarad_invalidate', 'keys:' || OLD.workspace_id); END IF;
      IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('camarad_invalidate', 'keys:' || NEW.workspace_id); END IF;
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER provider_keys_invalidate AFTER INSERT OR UPDATE OR DELETE ON provider_keys
    FOR EACH ROW EXECUTE FUNCTION provider_keys_invalidate()`,
  ])
