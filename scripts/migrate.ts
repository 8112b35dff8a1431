import { loadConfig } from '../src/config.ts'
import { createDatabase } from '../src/platform/db/database.ts'
import { migrateToLatest } from '../src/platform/db/migrator.ts'

const config = loadConfig()
const database = await createDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : `${config.DATA_DIR}/pglite` })
const applied = await migrateToLatest(database.db)
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date')
await database.close()
