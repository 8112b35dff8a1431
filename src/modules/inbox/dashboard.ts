import type { Kysely } from 'kysely'
import type { ChannelDto } from '../../../contracts/channels.ts'
import type { ChannelDashboard } from '../../../contracts/inbox.ts'
import type { PageRequest } from '../../platform/db/pagination.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { SendLimits } from '../channels/limits.ts'
import type { InboxTables } from './inbox.tables.ts'
import type { Pacer } from './pacer.ts'

const DAY_MS = 86_400_000
/** A client has a handful of numbers (the plan caps them): this many pages of the channels' list hold them all. */
const MAX_PAGES = 20

export type ChannelsDirectory = {
  /** The channels module's list of a client's numbers (its public API: the inbox never reads its tables). */
  list(scope: ClientScope, q: PageRequest): Promise<{ items: ChannelDto[]; nextCursor: string | null }>
  limits: { of(channelIds: string[]): Promise<Map<string, SendLimits>> }
}

/**
 * The numbers' dashboard: each number as the channels module lists it, with what the inbox knows of its traffic
 * (queued now, the last day's outcomes, dead letters, last messages in and out) and its bucket.
 */
export const createDashboard = ({
  db,
  channels,
  pacer,
  now = Date.now,
}: {
  db: Kysely<InboxTables>
  channels: ChannelsDirectory
  pacer: Pacer
  now?: () => number
}) => ({
  async of(scope: ClientScope): Promise<ChannelDashboard> {
    const numbers: ChannelDto[] = []
    let cursor: string | undefined
    for (let page = 0; page < MAX_PAGES; page++) {
      const p = await channels.list(scope, { limit: 100, cursor })
      numbers.push(...p.items)
      if (!p.nextCursor) break
      cursor = p.nextCursor
    }
    if (!numbers.length) return { items: [] }
    const at = now()
    const since = new Date(at - DAY_MS)
    const base = () =>
      db
        .selectFrom('inboxMessages')
        .where('workspaceId', '=', scope.workspaceId)
        .where('clientId', '=', scope.clientId)
        .where(
          'channelId',
          'in',
          numbers.map((n) => n.id),
        )
    const rows = await base()
      .select((eb) => [
        'channelId',
        eb.fn
          .countAll<string>()
          .filterWhere((f) => f.and([f('direction', '=', 'out'), f('status', '=', 'queued')]))
          .as('queued'),
        eb.fn
          .countAll<string>()
          .filterWhere((f) =>
            f.and([
              f('direction', '=', 'out'),
              f('createdAt', '>=', since),
              f('status', 'in', ['sent', 'delivered', 'read']),
            ]),
          )
          .as('sent'),
        eb.fn
          .countAll<string>()
          .filterWhere((f) =>
            f.and([f('direction', '=', 'out'), f('createdAt', '>=', since), f('status', 'in', ['delivered', 'read'])]),
          )
          .as('delivered'),
        eb.fn
          .countAll<string>()
          .filterWhere((f) =>
            f.and([f('direction', '=', 'out'), f('createdAt', '>=', since), f('status', '=', 'read')]),
          )
          .as('read'),
        eb.fn
          .countAll<string>()
          .filterWhere((f) =>
            f.and([f('direction', '=', 'out'), f('createdAt', '>=', since), f('status', '=', 'failed')]),
          )
          .as('failed'),
        eb.fn
          .countAll<string>()
          .filterWhere((f) => f.and([f('direction', '=', 'out'), f('deadAt', 'is not', null)]))
          .as('dead'),
        eb.fn.max('at').filterWhere('direction', '=', 'in').as('lastIn'),
        eb.fn.max('at').filterWhere('direction', '=', 'out').as('lastOut'),
      ])
      .groupBy('channelId')
      .execute()
    const stats = new Map(rows.map((r) => [r.channelId, r]))
    const limits = await channels.limits.of(numbers.map((n) => n.id))
    const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null)
    const items = await Promise.all(
      numbers.map(async (n) => {
        const s = stats.get(n.id)
        const l = limits.get(n.id)
        const bucket = l ? await pacer.state(n.id, l, at) : { tokens: 0, pausedUntil: null }
        return {
          channelId: n.id,
          name: n.name,
          kind: n.kind,
          status: n.status,
          phone: n.phone,
          lastSeenAt: n.lastSeenAt,
          lastInboundAt: iso(s?.lastIn),
          lastOutboundAt: iso(s?.lastOut),
          queued: Number(s?.queued ?? 0),
          sent24h: Number(s?.sent ?? 0),
          delivered24h: Number(s?.delivered ?? 0),
          read24h: Number(s?.read ?? 0),
          failed24h: Number(s?.failed ?? 0),
          dead: Number(s?.dead ?? 0),
          rate: {
            perSecond: l?.perSecond ?? 0,
            tokens: Math.floor(bucket.tokens * 100) / 100,
            pausedUntil: bucket.pausedUntil?.toISOString() ?? null,
          },
        }
      }),
    )
    return { items }
  },
})
export type Dashboard = ReturnType<typeof createDashboard>
