import type { Generated, Selectable } from 'kysely'
import type { ChannelStatus } from '../../../contracts/channels.ts'
import type { NullableTimestamp, Timestamp } from '../../platform/db/columns.ts'
import type { ChannelKind } from './driver.ts'

/** A client's WhatsApp number. Never deleted: its threads and messages point at it. */
export type ChannelsTable = {
  id: string
  workspaceId: string
  clientId: string
  name: string
  kind: ChannelKind
  status: ChannelStatus
  statusReason: string | null
  /** The number as WhatsApp shows it, once known. */
  phone: string | null
  /** Cloud numbers: Meta's phone number id (unique: the webhook tells numbers apart by it). */
  cloudPhoneNumberId: string | null
  cloudBusinessAccountId: string | null
  /** Cloud numbers: the access token, sealed (owner: the channel), and its last characters. */
  cloudToken: string | null
  cloudTokenHint: string | null
  lastSeenAt: NullableTimestamp
  /** Sends a minute this number may make (null: its kind's default); bounded in `limits.ts`. */
  sendPerMinute: number | null
  /** First messages to contacts never written to, a UTC day (null: its kind's default; QR only). */
  newContactsPerDay: number | null
  /** Whether an agent answers the number's contacts (issue 13 §7), and which (null: the customer-support agent). */
  autoReplyEnabled: Generated<boolean>
  autoReplyAgentId: string | null
  createdBy: string
  createdAt: Generated<Date>
  updatedAt: Generated<Date>
}

/**
 * Who drives a number now (ADR 0005 §3): one row per number. `fence` grows at every takeover; a write of the number's
 * auth state holds the fence it took and is refused once the row has moved on.
 */
export type ChannelSessionsTable = {
  channelId: string
  owner: string | null
  leaseUntil: NullableTimestamp
  fence: Generated<string>
  /** The QR the driving process shows now (a new one every 20 s or so), and when it was shown. */
  qr: string | null
  qrAt: NullableTimestamp
  /** The code to type on the phone instead of scanning, once asked for (`POST …/pairing-code`). */
  pairingCode: string | null
  /** Until when someone waits for this number's QR: an unpaired number is started only while someone waits. */
  wantedUntil: NullableTimestamp
  /** Automatic restarts of a failed number since it last connected (the watchdog gives up after a few). */
  restarts: Generated<number>
  updatedAt: Generated<Date>
}

/** Baileys auth state: `creds` (id `''`) and every Signal key, `BufferJSON` text sealed (owner: channel, type, id). */
export type ChannelAuthTable = {
  channelId: string
  type: string
  id: string
  value: string
  updatedAt: Generated<Date>
}

export type ChannelsTables = {
  channels: ChannelsTable
  channelSessions: ChannelSessionsTable
  channelAuth: ChannelAuthTable
}
export type ChannelRow = Selectable<ChannelsTable>
export type { Timestamp }
