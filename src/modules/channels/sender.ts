import type { Kysely } from 'kysely'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import type { createGraphClient } from './cloud/graph.ts'
import type { ChannelsTables } from './channels.tables.ts'
import { tokenOwner } from './channels.service.ts'
import { SendFailure, type Outgoing } from './driver.ts'

/** A number this process drives itself (a QR number's Baileys session): what the sender hands its sends to. */
export type LocalDriver = { send(outgoing: Outgoing, ourId: string): Promise<{ providerMessageId: string }> }

/**
 * Sends one message through a number's driver: `ourId` is Camarad's id for the message, sent along where the provider
 * echoes it (Cloud: `biz_opaque_callback_data`; QR: the WhatsApp message id is derived from it), so a status can name
 * the message even when the send's answer was lost. Every failure is a `SendFailure` whose kind tells the outbox what
 * to do. A Cloud number sends from any process; a QR number only from the process whose session drives it
 * (`attach`), and `drivenHere` tells the outbox which numbers those are.
 */
export const createSender = ({
  db,
  box,
  graph,
}: {
  db: Kysely<ChannelsTables>
  box: SecretBox
  graph: ReturnType<typeof createGraphClient>
}) => {
  const local = new Map<string, LocalDriver>()
  return {
    async send(channelId: string, outgoing: Outgoing, ourId: string) {
      const channel = await db
        .selectFrom('channels')
        .select(['kind', 'status', 'cloudPhoneNumberId', 'cloudToken'])
        .where('id', '=', channelId)
        .executeTakeFirst()
      if (!channel || channel.status === 'logged_out')
        throw new SendFailure('permanent', 'channels.logged_out', 'The number is logged out.')
      if (channel.kind === 'qr') {
        const driver = local.get(channelId)
        if (!driver)
          throw new SendFailure('retry_later', 'channels.not_driven_here', 'This process does not drive the number.')
        return driver.send(outgoing, ourId)
      }
      if (!channel.cloudPhoneNumberId || !channel.cloudToken)
        throw new SendFailure('permanent', 'channels.cannot_send', 'This number cannot send messages.')
      const token = box.open(channel.cloudToken, tokenOwner(channelId))
      return graph.send(channel.cloudPhoneNumberId, token, outgoing, { idempotencyKey: ourId })
    },
    /** Whether a number can send at all (not logged out; a QR number once paired): the composer's check. */
    canSend: async (channelId: string) => {
      const c = await db
        .selectFrom('channels')
        .select(['kind', 'status', 'phone'])
        .where('id', '=', channelId)
        .executeTakeFirst()
      if (!c || c.status === 'logged_out') return false
      return c.kind === 'cloud' || c.phone !== null
    },
    /** A QR session of this process now drives the number (its sends go through it) — or no longer does. */
    attach: (channelId: string, driver: LocalDriver) => void local.set(channelId, driver),
    detach: (channelId: string, driver: LocalDriver) =>
      void (local.get(channelId) === driver && local.delete(channelId)),
    /** The QR numbers this process drives now. */
    drivenHere: () => [...local.keys()],
  }
}
export type Sender = ReturnType<typeof createSender>
