import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'
import type { IdentityService } from './identity.service.ts'

export const identityJobs = (identity: IdentityService) => [
  defineJob({
    name: 'identity.cleanup-expired-sessions',
    payload: z.object({}).passthrough(),
    cron: '17 * * * *',
    handler: async () => { await identity.cleanupExpiredSessions() },
  }),
]
