import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { sql, type Kysely } from 'kysely'
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration'

const MIGRATIONS_DIR = join(import.meta.dirname, '..', '..', 'migrations')
const MIGRATION_FILE = /^\d{8}T\d{4}_[a-z-]+__[a-z0-9_-]+\.ts$/

/** Forward-only migrations from src/migrations, ordered by their timestamped file names. */
const provider: MigrationProvider = {
  async getMigrations() {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => MIGRATION_FILE.test(f)).sort()
    const entries = await Promise.all(
      files.map(async (f) => [f.replace(/\.ts$/, ''), (await import(join(MIGRATIONS_DIR, f))) as Migration] as const),
    )
    return Object.fromEntries(entries)
  },
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const createMigrator = (db: Kysely<any>) => new Migrator({ db, provider, allowUnorderedMigrations: false })

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const migrateToLatest = async (db: Kysely<any>) => {
  const { error, results } = await createMigrator(db).migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/** Migrates up to and including `name` (tests of a migration that moves data: the state just before it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const migrateTo = async (db: Kysely<any>, name: string) => {
  const { error } = await createMigrator(db).migrateTo(name)
  if (error) throw error instanceof Error ? error : new Error(String(error))
}

/** Names of migrations that exist in code but are not applied (used by /readyz). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const pendingMigrations = async (db: Kysely<any>) =>
  (await createMigrator(db).getMigrations()).filter((m) => !m.executedAt).map((m) => m.name)

/** Runs statements one by one: PGlite's extended protocol accepts a single statement per query. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const runStatements = async (db: Kysely<any>, statements: string[]) => {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
