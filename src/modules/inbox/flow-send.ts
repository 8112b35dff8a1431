import { createHash } from 'node:crypto'
import type { Outbox } from './outbox.ts'

/**
 * A send on behalf of a flow step: no HTTP request, so the scope is the run's (its client, its acting user — the
 * publisher, who is counted as the sender). The outbox's `clientMessageId` is derived from the step's idempotency key,
 * so a retried step answers the message its first attempt queued instead of queueing a second one. Refusals are the
 * outbox's own errors (window closed, number cannot send, plan limit), which fail the step with their code.
 */
export const createFlowSend =
  (outbox: Pick<Outbox, 'send'>) =>
  async (
    run: { workspaceId: string; clientId: string; actingUserId: string },
    threadId: string,
    text: string,
    idempotencyKey: string,
  ) => {
    const { message, created } = await outbox.send(
      { userId: run.actingUserId, workspaceId: run.workspaceId, clientId: run.clientId, role: 'member' },
      threadId,
      { text, clientMessageId: clientMessageIdOf(idempotencyKey) },
    )
    return { messageId: message.id, threadId: message.threadId, status: message.status, queued: created }
  }
export type FlowSend = ReturnType<typeof createFlowSend>

/** `flow_` + 40 characters of the key's sha256 (base64url): within the composer ids' alphabet and length. */
export const clientMessageIdOf = (idempotencyKey: string) =>
  `flow_${createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 40)}`
