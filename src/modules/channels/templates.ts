import type { Kysely } from 'kysely'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { channelsErrors } from './channels.errors.ts'
import { tokenOwner } from './channels.service.ts'
import type { ChannelsTables } from './channels.tables.ts'
import type { GraphClient } from './cloud/graph.ts'
import { SendFailure } from './driver.ts'

/** A Cloud number's message templates, read from Meta each time (they are approved and paused there, not here). */
export const createTemplates = ({
  db,
  box,
  graph,
}: {
  db: Kysely<ChannelsTables>
  box: SecretBox
  graph: GraphClient
}) => ({
  async list(scope: ClientScope, channelId: string) {
    const row = await db
      .selectFrom('channels')
      .select(['id', 'kind', 'cloudBusinessAccountId', 'cloudToken'])
      .where('workspaceId', '=', scope.workspaceId)
      .where('clientId', '=', scope.clientId)
      .where('id', '=', channelId)
      .executeTakeFirst()
    if (!row) throw channelsErrors.not_found()
    if (row.kind !== 'cloud' || !row.cloudToken) throw channelsErrors.templates_need_cloud()
    if (!row.cloudBusinessAccountId) throw channelsErrors.no_business_account()
    try {
      const templates = await graph.templates(row.cloudBusinessAccountId, box.open(row.cloudToken, tokenOwner(row.id)))
      return {
        items: templates.map((t) => ({
          name: t.name,
          language: t.language,
          status: t.status,
          category: t.category,
          components: t.components,
        })),
      }
    } catch (err) {
      if (err instanceof SendFailure) throw channelsErrors.graph_failed({ problem: err.message })
      throw err
    }
  },
})
export type Templates = ReturnType<typeof createTemplates>
