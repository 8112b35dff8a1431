import { z } from 'zod'
import { defineJob } from '../../platform/queue/queue.ts'

/**
 * Revokes a disconnected connection's grant at Google, then forgets its refresh token. Enqueued in the disconnect's
 * transaction (the disconnect also tries at once after its commit); idempotent: a grant already revoked is done.
 */
export const revokeGrantJob = (revoke: (connectionId: string) => Promise<void>) =>
  defineJob({
    name: 'connectors.revoke-google-grant',
    payload: z.object({ connectionId: z.string().min(1) }).passthrough(),
    retryLimit: 10,
    retryDelaySeconds: 60,
    handler: async (payload: { connectionId: string }) => revoke(payload.connectionId),
  })
