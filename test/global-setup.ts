import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { createDatabase } from '../src/platform/db/database.ts'
import { migrateToLatest } from '../src/platform/db/migrator.ts'

/**
 * Migrated databases built once per test run, so each test file starts from a copy instead of running every migration
 * (and, on PGlite, initdb) again: a PGlite data directory dump under `.tmp/test-db/`, and a PostgreSQL template
 * database `camarad_template_<key>`. Both are named by a hash of the migrations (and PGlite's version), so a changed
 * migration builds new ones. `createTestContext` starts from them when they exist; anything else (the migration
 * tests, `createTestDatabaseUrl()`) still starts empty. The app migrates on start either way: on a copy it finds
 * nothing to do.
 */

const ROOT = join(import.meta.dirname, '..')
const MIGRATIONS_DIR = join(ROOT, 'src', 'migrations')
export const SNAPSHOT_DIR = join(ROOT, '.tmp', 'test-db')
const TEMPLATE_PREFIX = 'camarad_template_'
/** A template no run has used for this long belongs to migrations nobody runs any more (another branch, an old run). */
const STALE_TEMPLATE_MS = 24 * 60 * 60 * 1000

/** A hash of every migration file, the migrator, and PGlite's version: what the migrated database depends on. */
export const migrationsKey = () => {
  const hash = createHash('sha256')
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(MIGRATIONS_DIR, file)))
      .update('\0')
  }
  hash.update(readFileSync(join(ROOT, 'src', 'platform', 'db', 'migrator.ts')))
  hash.update(
    JSON.parse(readFileSync(join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')).version,
  )
  return hash.digest('hex').slice(0, 16)
}

export const pgliteSnapshotPath = (key = migrationsKey()) => join(SNAPSHOT_DIR, `pglite-${key}.tar`)
export const postgresTemplateName = (key = migrationsKey()) => `${TEMPLATE_PREFIX}${key}`

/** PGlite: an in-memory database, migrated, dumped as an uncompressed tarball (it loads faster than a gzipped one). */
const buildPgliteSnapshot = async (key: string) => {
  const path = pgliteSnapshotPath(key)
  if (existsSync(path)) return path
  mkdirSync(SNAPSHOT_DIR, { recursive: true })
  const database = await createDatabase({})
  try {
    await migrateToLatest(database.db)
    const dump = await database.pglite!.dumpDataDir('none')
    // Written aside then renamed: a concurrent run (the other project, another vitest) never reads half a file.
    const partial = `${path}.${randomBytes(4).toString('hex')}.partial`
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()))
    renameSync(partial, path)
  } finally {
    await database.close()
  }
  for (const file of readdirSync(SNAPSHOT_DIR)) {
    if (file.startsWith('pglite-') && join(SNAPSHOT_DIR, file) !== path && !file.endsWith('.partial')) {
      rmSync(join(SNAPSHOT_DIR, file), { force: true })
    }
  }
  return path
}

/**
 * PostgreSQL: a database migrated under a scratch name, then renamed to the template's name (so a crash never leaves
 * a half-migrated template), under an advisory lock (the two projects and other runs on the same server build it
 * once). Each run stamps the template it uses; templates of other keys not used for a day are dropped.
 */
const buildPostgresTemplate = async (admin: string, key: string) => {
  const name = postgresTemplateName(key)
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext('camarad test template'))`)
    const exists = (await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name])).rowCount === 1
    if (!exists) {
      const scratch = `${TEMPLATE_PREFIX}build_${randomBytes(4).toString('hex')}`
      await client.query(`CREATE DATABASE ${scratch}`)
      try {
        const url = new URL(admin)
        url.pathname = `/${scratch}`
        const database = await createDatabase({ databaseUrl: url.toString(), poolSize: 1 })
        try {
          await migrateToLatest(database.db)
        } finally {
          await database.close()
        }
        await client.query(`ALTER DATABASE ${scratch} RENAME TO ${name}`)
      } catch (err) {
        await client.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`)
        throw err
      }
    }
    await client.query(`COMMENT ON DATABASE ${name} IS '${new Date().toISOString()}'`)
    const others = await client.query<{ datname: string; used: string | null }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS used FROM pg_database
        WHERE datname LIKE '${TEMPLATE_PREFIX}%' AND datname <> $1`,
      [name],
    )
    for (const { datname, used } of others.rows) {
      const age = Date.now() - (used ? Date.parse(used) : 0)
      // A scratch build has no stamp: one left by a crashed run goes too (a running build holds the lock we hold).
      if (!(age < STALE_TEMPLATE_MS)) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`)
    }
  } finally {
    await client.query(`SELECT pg_advisory_unlock(hashtext('camarad test template'))`).catch(() => {})
    await client.end()
  }
  return name
}

export default async function setup(project: TestProject) {
  const key = migrationsKey()
  if (project.name === 'postgres') {
    const admin = process.env.TEST_DATABASE_URL
    if (admin) await buildPostgresTemplate(admin, key)
  } else {
    await buildPgliteSnapshot(key)
  }
}
