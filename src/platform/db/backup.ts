import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { sql } from 'kysely'
import { createDatabase, type Database, type DatabaseKind } from './database.ts'

/**
 * Backups: one directory per backup under the backup directory, named `camarad-<UTC time>`, holding the database dump
 * (`database.pgdump`, pg_dump's custom format, or `pglite.tar.gz`, PGlite's own data directory dump), the embedded
 * secret key when there is one (sealed tokens cannot be opened without it), and `manifest.json`: what it is, when,
 * and each table's row count and content hash, which a restore checks. Written aside and renamed, so a directory
 * with that name is always whole. Retention keeps the newest `keep` and removes older ones of that name only.
 */

export type BackupManifest = {
  format: 1
  kind: DatabaseKind
  createdAt: string
  file: string
  bytes: number
  sha256: string
  /** Migrations applied, newest last: a restore into code that lacks one is refused. */
  migrations: string[]
  /** Every application table (schema `public`): rows and a hash of their content, for the restore's check. */
  tables: Record<string, { rows: number; hash: string }>
  secretKey: boolean
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDatabase = Database<any>

const PREFIX = 'camarad-'
const stamp = (at: Date) => at.toISOString().replace(/[:.]/g, '-')

/** Runs a command, failing with its stderr (a password in a URL is never printed: the URL is passed in the env). */
const run = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<void>((ok, fail) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)))
    child.on('error', (err) => fail(new Error(`${command}: ${err.message}`)))
    child.on('close', (code) =>
      code === 0 ? ok() : fail(new Error(`${command} exited with ${code}: ${stderr.trim() || 'no output'}`)),
    )
  })

/** libpq's settings from a URL, for pg_dump and pg_restore (the URL itself may carry a password: kept off argv). */
const libpqEnv = (url: string): NodeJS.ProcessEnv => {
  const u = new URL(url)
  return {
    PGHOST: decodeURIComponent(u.hostname),
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username) || undefined,
    PGPASSWORD: decodeURIComponent(u.password) || undefined,
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
    ...(u.searchParams.get('sslmode') ? { PGSSLMODE: u.searchParams.get('sslmode')! } : {}),
  }
}

/** Rows and a content hash per application table, each table read in one ordered pass. */
export const tableDigests = async (database: AnyDatabase) => {
  const db = database.db
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db)
  const out: BackupManifest['tables'] = {}
  for (const { name } of tables.rows) {
    const t = sql.id(name)
    const row = await sql<{ rows: string | bigint; hash: string | null }>`
      select count(*) as rows, md5(coalesce(string_agg(h, '' order by h), '')) as hash
      from (select md5(r::text) as h from ${t} as r) as d`.execute(db)
    out[name] = { rows: Number(row.rows[0]!.rows), hash: row.rows[0]!.hash ?? '' }
  }
  return out
}

const migrationsOf = async (database: AnyDatabase) => {
  const found = await sql<{ name: string }>`
    select name from kysely_migration order by name`
    .execute(database.db)
    .catch(() => ({ rows: [] as { name: string }[] }))
  return found.rows.map((r) => r.name)
}

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

/** Backs the open database up into a new directory under `dir`; answers its path and manifest. */
export const backupDatabase = async (
  database: AnyDatabase,
  options: { dir: string; secretKeyFile?: string; keep?: number; now?: Date },
) => {
  const at = options.now ?? new Date()
  const root = resolve(options.dir)
  mkdirSync(root, { recursive: true })
  const name = `${PREFIX}${stamp(at)}`
  const partial = join(root, `.${name}.${randomBytes(4).toString('hex')}.partial`)
  mkdirSync(partial, { mode: 0o700 })
  try {
    let file: string
    if (database.kind === 'postgres') {
      file = 'database.pgdump'
      await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${join(partial, file)}`], {
        ...libpqEnv(database.connectionString!),
      })
    } else {
      file = 'pglite.tar.gz'
      // A checkpoint first: the dump then needs no WAL replay on restore (it would be consistent without, just slower).
      await sql`checkpoint`.execute(database.db)
      const dump = await database.pglite!.dumpDataDir('gzip')
      writeFileSync(join(partial, file), Buffer.from(await dump.arrayBuffer()), { mode: 0o600 })
    }
    // The digests are read after the dump: rows written in between make a restore's check fail loudly, never pass
    // wrongly — a backup of a busy database is checked against its own dump below.
    const secretKey = Boolean(options.secretKeyFile && existsSync(options.secretKeyFile))
    if (secretKey) writeFileSync(join(partial, 'secret.key'), readFileSync(options.secretKeyFile!), { mode: 0o600 })
    const manifest: BackupManifest = {
      format: 1,
      kind: database.kind,
      createdAt: at.toISOString(),
      file,
      bytes: statSync(join(partial, file)).size,
      sha256: sha256File(join(partial, file)),
      migrations: await migrationsOf(database),
      tables: await digestsOfDump(database.kind, join(partial, file), database),
      secretKey,
    }
    writeFileSync(join(partial, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 })
    const path = join(root, name)
    renameSync(partial, path)
    const removed = options.keep ? prune(root, options.keep) : []
    return { path, manifest, removed }
  } catch (err) {
    rmSync(partial, { recursive: true, force: true })
    throw err
  }
}

/**
 * The digests a restore must find: for PGlite read from the dump itself (opened in memory), so the manifest describes
 * exactly the file; for PostgreSQL read from the live database right after pg_dump (its snapshot is not shared), which
 * is exact for a database nobody writes during the backup and otherwise makes the restore's check report the tables
 * that moved.
 */
const digestsOfDump = async (kind: DatabaseKind, file: string, live: AnyDatabase) => {
  if (kind === 'postgres') return tableDigests(live)
  const copy = await createDatabase({ loadDataDir: new Blob([gunzipSync(readFileSync(file))]) })
  try {
    return await tableDigests(copy)
  } finally {
    await copy.close()
  }
}

/** The backups under `dir`, newest first. */
export const listBackups = (dir: string) => {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((n) => n.startsWith(PREFIX) && existsSync(join(dir, n, 'manifest.json')))
    .sort()
    .reverse()
    .map((n) => ({ name: n, path: join(dir, n) }))
}

const prune = (dir: string, keep: number) => {
  const old = listBackups(dir).slice(keep)
  for (const b of old) rmSync(b.path, { recursive: true, force: true })
  return old.map((b) => b.name)
}

export const readManifest = (backupPath: string): BackupManifest => {
  const manifest = JSON.parse(readFileSync(join(backupPath, 'manifest.json'), 'utf8')) as BackupManifest
  if (manifest.format !== 1 || !['postgres', 'pglite'].includes(manifest.kind))
    throw new Error(`${backupPath}: not a Camarad backup (format ${String(manifest.format)})`)
  return manifest
}

export type RestoreTarget = { databaseUrl: string } | { dataDir: string; secretKeyFile?: string }

/**
 * Restores a backup into an empty target: a PostgreSQL database without application tables, or a PGlite data
 * directory that does not exist yet. Then opens it and compares every table with the manifest; answers the tables
 * that differ (none for a good restore).
 */
export const restoreDatabase = async (backupPath: string, target: RestoreTarget) => {
  const manifest = readManifest(backupPath)
  const file = join(backupPath, manifest.file)
  if (sha256File(file) !== manifest.sha256) throw new Error(`${file}: the file does not match its manifest (sha256)`)
  let database: Database
  if ('databaseUrl' in target) {
    if (manifest.kind !== 'postgres')
      throw new Error('This is a PGlite backup: restore it into a data directory (DATA_DIR, without DATABASE_URL).')
    const existing = await createDatabase({ databaseUrl: target.databaseUrl, poolSize: 1 })
    try {
      const tables = await sql<{ n: string }>`
        select count(*) as n from information_schema.tables where table_schema = 'public'`.execute(existing.db)
      if (Number(tables.rows[0]!.n) > 0)
        throw new Error('The target database is not empty: restore into a new database (createdb), then point at it.')
    } finally {
      await existing.close()
    }
    const env = libpqEnv(target.databaseUrl)
    await run(
      'pg_restore',
      ['--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${env.PGDATABASE}`, file],
      env,
    )
    database = await createDatabase({ databaseUrl: target.databaseUrl, poolSize: 1 })
  } else {
    if (manifest.kind !== 'pglite')
      throw new Error('This is a PostgreSQL backup: restore it into a PostgreSQL database (DATABASE_URL).')
    if (existsSync(target.dataDir) && readdirSync(target.dataDir).length > 0)
      throw new Error(`${target.dataDir} is not empty: move it aside first (it is never overwritten).`)
    if (manifest.secretKey && target.secretKeyFile) {
      const key = readFileSync(join(backupPath, 'secret.key'))
      if (existsSync(target.secretKeyFile) && !readFileSync(target.secretKeyFile).equals(key))
        throw new Error(`${target.secretKeyFile} holds another key: move it aside first (it is never overwritten).`)
      mkdirSync(dirname(target.secretKeyFile), { recursive: true })
      writeFileSync(target.secretKeyFile, key, { mode: 0o600 })
    }
    // Loading the dump into the directory writes it there; closing flushes it.
    database = await createDatabase({
      dataDir: target.dataDir,
      loadDataDir: new Blob([gunzipSync(readFileSync(file))]),
    })
  }
  try {
    const found = await tableDigests(database)
    const differ = Object.keys({ ...manifest.tables, ...found })
      .filter((t) => manifest.tables[t]?.hash !== found[t]?.hash || manifest.tables[t]?.rows !== found[t]?.rows)
      .sort()
    return { manifest, differ, tables: found }
  } finally {
    await database.close()
  }
}
