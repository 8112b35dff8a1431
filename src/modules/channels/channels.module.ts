import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import type { ModuleParts } from '../../platform/modules/module.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { createAuthStore } from './auth-store.ts'
import { channelRoutes } from './channels.routes.ts'
import { createChannelsService } from './channels.service.ts'
import type { ChannelsTables } from './channels.tables.ts'
import { createGraphClient } from './cloud/graph.ts'
import { cloudWebhookRoutes } from './cloud/webhook.routes.ts'
import { createChannelLimits } from './limits.ts'
import { outboundRoutes } from './outbound.routes.ts'
import { createSender } from './sender.ts'
import { createTemplates } from './templates.ts'
import { createReceivers } from './receivers.ts'
import { createSessions } from './sessions.ts'

/**
 * WhatsApp numbers (ADR 0005): the numbers of each client, who drives each one (a fenced lease), and a QR number's
 * Baileys auth state in the database. The drivers (QR through Baileys, Meta's Cloud API) and the inbox build on these.
 */
export const createChannelsModule = (deps: {
  db: Handle
  box: SecretBox
  audit: AuditService
  entitlements: Entitlements
  scope: ScopeResolver
  /** The Meta app's secrets (comma-separated in WHATSAPP_APP_SECRET) and verify token; absent: no Cloud webhook. */
  cloud: { appSecrets: string[]; verifyToken: string | undefined; graphBase: string; graphVersion: string }
}) => {
  const db = own<ChannelsTables>(deps.db)
  const sessions = createSessions({ db })
  const channels = createChannelsService({ ...deps, db, sessions })
  const auth = createAuthStore({ db, box: deps.box, sessions })
  const receive = createReceivers()
  const graph = createGraphClient({ baseUrl: deps.cloud.graphBase, version: deps.cloud.graphVersion })
  const sender = createSender({ db, box: deps.box, graph })
  const limits = createChannelLimits({ db, audit: deps.audit })
  const templates = createTemplates({ db, box: deps.box, graph })
  return {
    channels,
    sessions,
    auth,
    /** The inbox registers here what stores received messages and statuses. */
    receive: receive.register,
    sender,
    /** Each number's sending limits (the outbox paces by them). */
    limits,
    templates,
    routes: [
      channelRoutes({ channels, scope: deps.scope }),
      outboundRoutes({ templates, limits, clientOf: channels.clientOf, scope: deps.scope }),
      cloudWebhookRoutes({
        db,
        appSecrets: deps.cloud.appSecrets,
        verifyToken: deps.cloud.verifyToken,
        receivers: receive.receivers,
      }),
    ],
    jobs: [],
  } satisfies ModuleParts & Record<string, unknown>
}
export type ChannelsModule = ReturnType<typeof createChannelsModule>

/** What channels count against a plan: the workspace's numbers that are not logged out. */
export const channelsUsage = {
  channelNumbers: (handle: Handle, workspaceId: string) =>
    own<ChannelsTables>(handle)
      .selectFrom('channels')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspaceId', '=', workspaceId)
      .where('status', '<>', 'logged_out')
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n)),
}
