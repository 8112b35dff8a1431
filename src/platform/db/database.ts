import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { CamelCasePlugin, CompiledQuery, Kysely, PGliteDialect, PostgresDialect, sql, type Dialect } from 'kysely'
import pg from 'pg'
import { isTracing } from '../observability/tracing.ts'
import { tracedDialect } from './traced-dialect.ts'
/**
 * A handle or an open transaction handed across a module boundary (e.g. chat's transaction to credits' ledger).
 * Each module queries only through a handle typed to its own tables (`Kysely<XTables>`); what crosses a boundary is
 * this untyped view, and the receiving module looks at it through its own tables with `own`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handle = Kysely<any>
/** The receiving module's view of a handle from another module: the same connection or transaction, its own tables. */
export const own = <T>(handle: Handle): Kysely<T> => handle as Kysely<T>

export type DatabaseKind = 'pglite' | 'postgres'

/**
 * An open database. `T` is the tables the holder sees: the container and tests pass the whole schema
 * (`DB`, `src/schema.ts`); platform code never names a table, so it knows none.
 */
export type Database<T = unknown> = {
  db: Kysely<T>
  kind: DatabaseKind
  /** Runs one SQL text that may hold several statements and no parameters (migrations, pg-boss schema). */
  execScript(sql: string): Promise<void>
  /** The connection string for libraries that open their own pool (PostgreSQL only). */
  connectionString?: string
  /** Raw PGlite instance (embedded only), for adapters that must share its single connection. */
  pglite?: PGlite
  close(): Promise<void>
}

const INT8_OID = 20
/** 64-bit integers are read as JS bigint on both drivers: one mapping, no silent precision loss. */
const parseInt8 = (value: string) => BigInt(value)

export type DatabaseOptions = {
  databaseUrl?: string
  dataDir?: string
  poolSize?: number
  /** PGlite only, tests only: start from this data directory dump (an already migrated database) instead of initdb. */
  loadDataDir?: Blob
}

/**
 * Marks a hot statement (`sql\`${PREPARED}WITH …\``) to run as a named prepared statement on PostgreSQL: planned once per
 * connection and text, not on every execution. The ledger's batch statement is one (bench/README, issue 16: its plan
 * cost ≈ 0.26 ms of ≈ 0.66 ms back to back). Only the first `MAX_PREPARED` distinct marked texts of a process are
 * prepared, so a connection never keeps more than that many; the rest run as before. PGlite reads it as a comment.
 */
export const PREPARED = sql.raw('/* prepared */ ')
const PREPARED_MARK = '/* prepared */ '
const MAX_PREPARED = 64
const preparedNames = new Map<string, string>()
const preparedName = (text: string) => {
  let name = preparedNames.get(text)
  if (!name && preparedNames.size < MAX_PREPARED) {
    name = `camarad_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`
    preparedNames.set(text, name)
  }
  return name
}
/** Kysely calls `client.query(text, values)`; a marked text goes out with a name (one round trip, as before). */
const prepareMarked = (client: pg.PoolClient) => {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  client.query = ((...args: unknown[]) => {
    const [text, values] = args
    const name = args.length === 2 && typeof text === 'string' && text.startsWith(PREPARED_MARK) && preparedName(text)
    return name ? query({ name, text, values }) : query(...args)
  }) as typeof client.query
}

const plugins = [new CamelCasePlugin()]
/** A span per query while tracing is on (decided when the database opens: start tracing first). */
const traced = (dialect: Dialect) => (isTracing() ? tracedDialect(dialect) : dialect)

export const createDatabase = async <T = unknown>(options: DatabaseOptions): Promise<Database<T>> => {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID && format !== 'binary'
            ? parseInt8
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    })
    pool.on('connect', prepareMarked)
    // An idle connection closed by the server (restart, failover) is dropped by the pool; it must not crash the process.
    pool.on('error', (err) => {
      console.error(`[db] idle connection lost: ${err.message}`)
    })
    const db = new Kysely<T>({ dialect: traced(new PostgresDialect({ pool })), plugins })
    return {
      db,
      kind: 'postgres',
      connectionString: options.databaseUrl,
      execScript: async (script) => {
        await pool.query(script)
      },
      close: () => db.destroy(),
    }
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
  const pglite = new PGlite(options.dataDir ?? 'memory://', {
    parsers: { [INT8_OID]: parseInt8 },
    // pgvector, embedded: available to `CREATE EXTENSION vector` (the knowledge module's vector search, ADR 0008).
    extensions: { vector },
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  })
  await pglite.waitReady
  const db = new Kysely<T>({ dialect: traced(new PGliteDialect({ pglite })), plugins })
  return {
    db,
    kind: 'pglite',
    pglite,
    // Holding Kysely's connection lock keeps the script from interleaving with another request's transaction.
    execScript: (script) =>
      db.connection().execute(async () => {
        await pglite.exec(script)
      }),
    close: () => db.destroy(),
  }
}

/** Runs a parameterised statement on the handle's connection (inside its transaction, if any). */
export const executeRaw = async (executor: Handle, text: string, values: unknown[] = []) =>
  (await executor.executeQuery(CompiledQuery.raw(text, values))).rows
