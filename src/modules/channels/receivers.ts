import type { Handle } from '../../platform/db/database.ts'
import type { InboundMessage, StatusUpdate } from './driver.ts'

/** The number something arrived on. */
export type ChannelRef = { id: string; workspaceId: string; clientId: string }

/** What to do once the transaction that stored something has committed (tell its followers). */
export type AfterCommit = () => void

/**
 * Who stores what the numbers receive: registered at start-up by the inbox (`channels.receive(…)`), called in the
 * transaction that acknowledges the provider, so what is acknowledged is stored; the caller runs what they answer
 * after that transaction commits.
 */
export type Receivers = {
  inbound(h: Handle, channel: ChannelRef, messages: InboundMessage[]): Promise<AfterCommit>
  statuses(h: Handle, channel: ChannelRef, updates: StatusUpdate[]): Promise<AfterCommit>
}

/** Until the inbox registers, receiving is an error (a start-up bug, not something to drop silently). */
export const createReceivers = () => {
  let target: Receivers | undefined
  const get = () => {
    if (!target) throw new Error('channels: no receiver registered for inbound messages')
    return target
  }
  return {
    register(r: Receivers) {
      target = r
    },
    receivers: {
      inbound: (h, c, m) => get().inbound(h, c, m),
      statuses: (h, c, u) => get().statuses(h, c, u),
    } satisfies Receivers,
  }
}
