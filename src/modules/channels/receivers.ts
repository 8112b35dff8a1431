import type { Handle } from '../../platform/db/database.ts'
import type { InboundMessage, MessageContent, StatusUpdate } from './driver.ts'

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
  /** What a number sent under a provider id (WhatsApp asks again for a message a recipient could not decrypt). */
  sentContent(channelId: string, providerMessageId: string): Promise<MessageContent | undefined>
  /** The oldest stored message of each of a number's chats, the latest active first: where a backfill starts. */
  oldestPerChat(channelId: string, limit: number): Promise<OldestOfChat[]>
}
export type OldestOfChat = { chatId: string; oldest: { providerMessageId: string; fromMe: boolean; at: Date } }

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
      sentContent: (c, id) => get().sentContent(c, id),
      oldestPerChat: (c, limit) => get().oldestPerChat(c, limit),
    } satisfies Receivers,
  }
}
