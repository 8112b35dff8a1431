import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { databaseOptions, loadConfig } from '../src/config.ts'
import { listBackups, restoreDatabase } from '../src/platform/db/backup.ts'

/**
 * `npm run restore -- <backup directory>` restores a backup into the database of DATABASE_URL (an empty one: createdb
 * first) or into DATA_DIR (no PGlite data there yet), then checks every table against the backup's manifest.
 * `npm run restore -- --list` lists the backups in BACKUP_DIR, newest first. Nothing existing is ever overwritten.
 */
// Without SECRET_KEY, loading the configuration would generate a key into DATA_DIR: the backup's own key goes there.
const config = loadConfig({
  ...process.env,
  SECRET_KEY: process.env.SECRET_KEY ?? randomBytes(36).toString('base64url'),
})
const arg = process.argv[2]
if (!arg || arg === '--list') {
  const found = listBackups(config.BACKUP_DIR)
  if (!arg) console.error('usage: npm run restore -- <backup directory>   (npm run restore -- --list)')
  console.log(found.length ? found.map((b) => b.path).join('\n') : `no backups in ${config.BACKUP_DIR}`)
  process.exit(arg ? 0 : 2)
}
const options = databaseOptions(config)
const target = options.databaseUrl
  ? { databaseUrl: options.databaseUrl }
  : options.dataDir
    ? { dataDir: options.dataDir, secretKeyFile: join(config.DATA_DIR, 'secret.key') }
    : undefined
if (!target) {
  console.error('DATA_DIR=:memory: cannot be restored into: set DATA_DIR or DATABASE_URL.')
  process.exit(2)
}
try {
  const { manifest, differ, tables } = await restoreDatabase(arg, target)
  const rows = Object.values(tables).reduce((n, t) => n + t.rows, 0)
  console.log(
    `restored ${manifest.kind} backup of ${manifest.createdAt}: ${Object.keys(tables).length} tables, ${rows} rows`,
  )
  if (differ.length) {
    console.error(`these tables differ from the backup's manifest: ${differ.join(', ')}`)
    process.exit(1)
  }
  console.log('every table matches the manifest')
} catch (err) {
  console.error(`restore failed: ${(err as Error).message}`)
  process.exit(1)
}
