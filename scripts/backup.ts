import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { databaseOptions, loadConfig } from '../src/config.ts'
import { backupDatabase } from '../src/platform/db/backup.ts'
import { createDatabase } from '../src/platform/db/database.ts'

/**
 * `npm run backup [-- --force]`: backs the database of DATABASE_URL (pg_dump) or DATA_DIR (PGlite's dump) up into a new
 * directory under BACKUP_DIR, keeping the newest BACKUP_KEEP. PGlite allows one process: while Camarad runs on it, use
 * BACKUP_CRON (the running process backs itself up) — or stop it first.
 */
const config = loadConfig()
const options = databaseOptions(config)
if (options.dataDir && existsSync(join(options.dataDir, 'postmaster.pid')) && !process.argv.includes('--force')) {
  console.error(
    `${options.dataDir} is open (Camarad is running on it, or stopped without closing it). PGlite allows one process: ` +
      'stop Camarad and run this again, or set BACKUP_CRON so the running process makes the backup. ' +
      'If you are sure nothing runs on it, add -- --force.',
  )
  process.exit(1)
}
const database = await createDatabase(options)
try {
  const { path, manifest, removed } = await backupDatabase(database, {
    dir: config.BACKUP_DIR,
    keep: config.BACKUP_KEEP,
    ...(config.secretKeyFile ? { secretKeyFile: config.secretKeyFile } : {}),
  })
  const rows = Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0)
  console.log(`backup: ${path}`)
  console.log(
    `  ${manifest.kind}, ${manifest.bytes} bytes, ${Object.keys(manifest.tables).length} tables, ${rows} rows`,
  )
  if (!manifest.secretKey && !config.secretKeyFile)
    console.log('  SECRET_KEY is set in the environment: keep it with your backups, sealed secrets need it.')
  if (removed.length) console.log(`  removed (older than the newest ${config.BACKUP_KEEP}): ${removed.join(', ')}`)
} finally {
  await database.close()
}
