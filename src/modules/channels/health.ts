import { sql, type Kysely } from 'kysely'
import type { ChannelsTables } from './channels.tables.ts'

/** Statuses of a number meant to be online: paired, or failed while it was (`needs_qr` / `logged_out` wait for a person). */
const MEANT_ONLINE = ['connecting', 'connected', 'failed'] as const

/**
 * The deployment's WhatsApp numbers in aggregate (the status page; never per workspace): those meant to be online,
 * and those connected — a Cloud number by its status, a QR number only while a process holds its session's lease.
 */
export const numbersHealth = async (db: Kysely<ChannelsTables>) => {
  const row = await db
    .selectFrom('channels')
    .leftJoin('channelSessions', 'channelSessions.channelId', 'channels.id')
    .select((eb) => [
      eb.fn.countAll<string>().as('expected'),
      eb.fn
        .count<string>('channels.id')
        .filterWhere((w) =>
          w.and([
            w('channels.status', '=', 'connected'),
            w.or([w('channels.kind', '=', 'cloud'), w('channelSessions.leaseUntil', '>', sql<Date>`now()`)]),
          ]),
        )
        .as('connected'),
    ])
    .where('channels.status', 'in', [...MEANT_ONLINE])
    .executeTakeFirstOrThrow()
  return { expected: Number(row.expected), connected: Number(row.connected) }
}
