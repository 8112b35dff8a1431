import { databaseOptions, loadConfig } from '../src/config.ts'
import { createDatabase } from '../src/platform/db/database.ts'
import { migrateToLatest } from '../src/platform/db/migrator.ts'

const config = loadConfig()
const database = await createDatabase(databaseOptions(config))
const applied = await migrateToLatest(database.db)
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date')
await database.close()
