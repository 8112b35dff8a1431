import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'

/** Delivers one email of the outbox after the transaction that wrote it committed. */
export const deliverEmail = (deliver: (emailId: string) => Promise<void>) =>
  defineJob({
    name: 'mail.deliver-email',
    payload: z.object({ emailId: z.string().min(3).max(64) }),
    retryLimit: 5,
    retryDelaySeconds: 30,
    handler: async ({ emailId }) => {
      await deliver(emailId)
    },
  })
