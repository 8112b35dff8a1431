import { z } from 'zod'
import { backupDatabase } from '../../platform/db/backup.ts'
import type { Database } from '../../platform/db/database.ts'
import { defineJob } from '../../platform/queue/queue.ts'

/**
 * The scheduled backup (BACKUP_CRON): the process that works jobs dumps its own database — for PGlite the only
 * process that may open it. A failed backup fails the job (pg-boss retries it and keeps the error).
 */
export const backupJob = (deps: {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  database: Database<any>
  cron: string
  dir: string
  keep: number
  secretKeyFile?: string
  log?: (line: string) => void
}) =>
  defineJob({
    name: 'ops.backup',
    payload: z.object({}).passthrough(),
    cron: deps.cron,
    retryLimit: 2,
    retryDelaySeconds: 300,
    handler: async () => {
      const { path, manifest, removed } = await backupDatabase(deps.database, {
        dir: deps.dir,
        keep: deps.keep,
        ...(deps.secretKeyFile ? { secretKeyFile: deps.secretKeyFile } : {}),
      })
      const rows = Object.values(manifest.tables).reduce((n, t) => n + t.rows, 0)
      ;(deps.log ?? console.log)(
        `[backup] ${path}: ${manifest.bytes} bytes, ${rows} rows` +
          (removed.length ? `; removed ${removed.join(', ')}` : ''),
      )
    },
  })
