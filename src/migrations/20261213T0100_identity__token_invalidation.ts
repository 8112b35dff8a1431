import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Every process keeps token → owner in memory (ADR 0009): a token's row changing (revoked, expiry or binding changed,
 * deleted, its user deleted by cascade) tells every process at commit. Recording last use does not.
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE FUNCTION api_tokens_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'last_used_at') = (to_jsonb(OLD) - 'last_used_at') THEN
        RETURN NULL;
      END IF;
      PERFORM pg_notify('camarad_invalidate', 'token:' || OLD.id);
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER api_tokens_invalidate AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION api_tokens_invalidate()`,
  ])
