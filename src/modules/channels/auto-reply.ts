import type { Kysely } from 'kysely'
import type { FeatureGate } from '../features/features.module.ts'
import type { ChannelAutoReplyBody, ChannelAutoReplyDto } from '../../../contracts/channels.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import type { AuditService } from '../audit/audit.module.ts'
import { channelsErrors } from './channels.errors.ts'
import type { ChannelsTables } from './channels.tables.ts'

/** Whether an agent id names one of the client's agents (a built-in, or the workspace's own, not archived). */
export type AgentCheck = (scope: ClientScope, agentId: string) => Promise<boolean>

/** A number's auto-reply as the inbox reads it: the setting and the number's creator (who its replies are sent as). */
export type AutoReplySetting = ChannelAutoReplyDto & {
  workspaceId: string
  clientId: string
  createdBy: string
}

/**
 * A number's auto-reply setting (issue 13 §7), the channels module's public face for it: off by default; admins turn it
 * on with one of the client's agents. The inbox reads it through `of`, never the `channels` table.
 */
export const createAutoReplySettings = ({
  db,
  audit,
  agentExists,
  features,
}: {
  db: Kysely<ChannelsTables>
  audit: AuditService
  agentExists: AgentCheck
  features: FeatureGate
}) => ({
  /** The setting of a number (undefined: no such number); `h` reads inside the caller's transaction. */
  async of(channelId: string, h?: Handle): Promise<AutoReplySetting | undefined> {
    const row = await (h ? own<ChannelsTables>(h) : db)
      .selectFrom('channels')
      .select(['workspaceId', 'clientId', 'createdBy', 'autoReplyEnabled', 'autoReplyAgentId', 'status'])
      .where('id', '=', channelId)
      .executeTakeFirst()
    if (!row) return undefined
    return {
      workspaceId: row.workspaceId,
      clientId: row.clientId,
      createdBy: row.createdBy,
      // A logged-out number answers nobody, whatever it was set to.
      enabled: row.autoReplyEnabled && row.status !== 'logged_out',
      agentId: row.autoReplyAgentId,
    }
  },

  /** Sets a number's auto-reply (admins): the agent must be one of the client's. Audited. */
  async set(scope: ClientScope, channelId: string, body: ChannelAutoReplyBody, meta: RequestMeta) {
    if (body.enabled) await features.require(scope.workspaceId, 'auto_reply')
    if (body.agentId !== null && !(await agentExists(scope, body.agentId)))
      throw channelsErrors.auto_reply_agent_unknown()
    return db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('channels')
        .set({ autoReplyEnabled: body.enabled, autoReplyAgentId: body.agentId, updatedAt: new Date() })
        .where('workspaceId', '=', scope.workspaceId)
        .where('clientId', '=', scope.clientId)
        .where('id', '=', channelId)
        .returning(['autoReplyEnabled', 'autoReplyAgentId'])
        .executeTakeFirst()
      if (!row) throw channelsErrors.not_found()
      await audit.record(trx, {
        action: 'channel.auto_reply_changed',
        workspaceId: scope.workspaceId,
        actorUserId: scope.userId,
        targetType: 'channel',
        targetId: channelId,
        ip: meta.ip,
        metadata: { clientId: scope.clientId, enabled: body.enabled, agentId: body.agentId },
      })
      return { enabled: row.autoReplyEnabled, agentId: row.autoReplyAgentId } satisfies ChannelAutoReplyDto
    })
  },
})
export type AutoReplySettings = ReturnType<typeof createAutoReplySettings>
