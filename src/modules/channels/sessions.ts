import { sql, type Kysely } from 'kysely'
import { own, type Handle } from '../../platform/db/database.ts'
import { channelsErrors } from './channels.errors.ts'
import type { ChannelsTables } from './channels.tables.ts'

/**
 * One writer per number (ADR 0005 §3): a lease with a fencing token. `acquire` takes a number that is free, expired or
 * already this process's, and moves its fence on; everything the holder writes about the number goes through `fenced`,
 * which reads the session row FOR SHARE in the write's transaction and refuses the write when the fence has moved. A
 * takeover updates that row, so it waits for a write in flight to commit, and every later write of the old holder is
 * refused: a paused or partitioned process can never write keys after another took the number.
 */
export const createSessions = ({ db, now = () => new Date() }: { db: Kysely<ChannelsTables>; now?: () => Date }) => ({
  /** The number's new fence when this process now holds it, or null when another process's lease is still running. */
  async acquire(channelId: string, owner: string, leaseMs: number): Promise<bigint | null> {
    await db
      .insertInto('channelSessions')
      .values({ channelId })
      .onConflict((oc) => oc.column('channelId').doNothing())
      .execute()
    const at = now()
    const row = await db
      .updateTable('channelSessions')
      .set((eb) => ({
        owner,
        leaseUntil: new Date(at.getTime() + leaseMs),
        fence: sql<string>`${eb.ref('fence')} + 1`,
        updatedAt: at,
      }))
      .where('channelId', '=', channelId)
      .where((eb) =>
        eb.or([
          eb('owner', 'is', null),
          eb('leaseUntil', 'is', null),
          eb('leaseUntil', '<', at),
          eb('owner', '=', owner),
        ]),
      )
      .returning('fence')
      .executeTakeFirst()
    return row ? BigInt(row.fence) : null
  },

  /** Extends the lease; false when the number has moved on (then the holder must stop driving it). */
  async renew(channelId: string, owner: string, fence: bigint, leaseMs: number) {
    const at = now()
    const r = await db
      .updateTable('channelSessions')
      .set({ leaseUntil: new Date(at.getTime() + leaseMs), updatedAt: at })
      .where('channelId', '=', channelId)
      .where('owner', '=', owner)
      .where('fence', '=', String(fence))
      .executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  },

  /** Gives the number up (a clean stop): another process may take it at once. */
  async release(channelId: string, owner: string, fence: bigint) {
    await db
      .updateTable('channelSessions')
      .set({ owner: null, leaseUntil: null, updatedAt: now() })
      .where('channelId', '=', channelId)
      .where('owner', '=', owner)
      .where('fence', '=', String(fence))
      .execute()
  },

  /**
   * Takes the number away from whoever holds it, in the caller's transaction (a logout): the fence moves on and the
   * lease is freed, so the old holder's next write is refused and it stops.
   */
  async seize(h: Handle, channelId: string) {
    const t = own<ChannelsTables>(h)
    await t
      .insertInto('channelSessions')
      .values({ channelId })
      .onConflict((oc) => oc.column('channelId').doNothing())
      .execute()
    await t
      .updateTable('channelSessions')
      .set((eb) => ({ owner: null, leaseUntil: null, fence: sql<string>`${eb.ref('fence')} + 1`, updatedAt: now() }))
      .where('channelId', '=', channelId)
      .execute()
  },

  /** Runs `write` in a transaction that holds the fence: `channels.stale_owner` when the number has moved on. */
  async fenced<T>(channelId: string, fence: bigint, write: (trx: Kysely<ChannelsTables>) => Promise<T>) {
    return db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('channelSessions')
        .select('fence')
        .where('channelId', '=', channelId)
        .forShare()
        .executeTakeFirst()
      if (!row || BigInt(row.fence) !== fence) throw channelsErrors.stale_owner()
      return write(trx)
    })
  },
})
export type Sessions = ReturnType<typeof createSessions>
