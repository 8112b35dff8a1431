import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'
import type { IdentityService } from './identity.service.ts'

export const identityJobs = (identity: IdentityService, links: { cleanupExpiredLinks(): Promise<number> }) => [
  defineJob({
    name: 'identity.cleanup-expired-links',
    payload: z.object({}).passthrough(),
    cron: '23 3 * * *',
    handler: async () => {
      await links.cleanupExpiredLinks()
    },
  }),
  defineJob({
    name: 'identity.cleanup-expired-sessions',
    payload: z.object({}).passthrough(),
    cron: '17 * * * *',
    handler: async () => {
      await identity.cleanupExpiredSessions()
    },
  }),
]
