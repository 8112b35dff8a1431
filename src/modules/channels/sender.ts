import type { Kysely } from 'kysely'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import type { createGraphClient } from './cloud/graph.ts'
import type { ChannelsTables } from './channels.tables.ts'
import { tokenOwner } from './channels.service.ts'
import { SendFailure, type Outgoing } from './driver.ts'

/**
 * Sends one message through a number's driver: `ourId` is Camarad's id for the message, sent along where the provider
 * echoes it (Cloud: `biz_opaque_callback_data`), so a status can name the message even when the send's answer was
 * lost. Every failure is a `SendFailure` whose kind tells the outbox what to do.
 */
export const createSender = ({
  db,
  box,
  graph,
}: {
  db: Kysely<ChannelsTables>
  box: SecretBox
  graph: ReturnType<typeof createGraphClient>
}) => ({
  async send(channelId: string, outgoing: Outgoing, ourId: string) {
    const channel = await db
      .selectFrom('channels')
      .select(['kind', 'status', 'cloudPhoneNumberId', 'cloudToken'])
      .where('id', '=', channelId)
      .executeTakeFirst()
    if (!channel || channel.status === 'logged_out')
      throw new SendFailure('permanent', 'channels.logged_out', 'The number is logged out.')
    if (channel.kind !== 'cloud' || !channel.cloudPhoneNumberId || !channel.cloudToken)
      throw new SendFailure('permanent', 'channels.cannot_send', 'This number cannot send messages yet.')
    const token = box.open(channel.cloudToken, tokenOwner(channelId))
    return graph.send(channel.cloudPhoneNumberId, token, outgoing, { idempotencyKey: ourId })
  },
  /** Whether a number can send now (a Cloud number that is not logged out; QR numbers send once their runtime runs). */
  canSend: async (channelId: string) => {
    const c = await db.selectFrom('channels').select(['kind', 'status']).where('id', '=', channelId).executeTakeFirst()
    return Boolean(c && c.kind === 'cloud' && c.status !== 'logged_out')
  },
})
export type Sender = ReturnType<typeof createSender>
