import type { Kysely } from 'kysely'
import { runStatements } from '../platform/db/migrator.ts'

/**
 * Every process keeps the current prices and credit rates in memory (`price-book.ts`): a new version, from any
 * process or a hand-written fix, tells every process at commit (tag `prices`, ADR 0009's channel).
 */
export const up = (db: Kysely<unknown>) =>
  runStatements(db, [
    `CREATE FUNCTION credits_prices_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('camarad_invalidate', 'prices');
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER model_prices_invalidate AFTER INSERT OR UPDATE OR DELETE ON model_prices
    FOR EACH STATEMENT EXECUTE FUNCTION credits_prices_invalidate()`,
    `CREATE TRIGGER credit_rates_invalidate AFTER INSERT OR UPDATE OR DELETE ON credit_rates
    FOR EACH STATEMENT EXECUTE FUNCTION credits_prices_invalidate()`,
  ])
