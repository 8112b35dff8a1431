import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import { Gauge, type Registry } from 'prom-client'
import type { ModuleParts } from '../../platform/modules/module.ts'
import type { Bus } from '../../platform/realtime/bus.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { createAuthStore } from './auth-store.ts'
import { channelRoutes } from './channels.routes.ts'
import { createChannelsService } from './channels.service.ts'
import type { ChannelsTables } from './channels.tables.ts'
import { createGraphClient } from './cloud/graph.ts'
import { createMediaFetcher } from './media.ts'
import { cloudWebhookRoutes } from './cloud/webhook.routes.ts'
import type { FeatureGate } from '../features/features.module.ts'
import { createAutoReplySettings, type AgentCheck } from './auto-reply.ts'
import { createChannelLimits } from './limits.ts'
import { numbersHealth } from './health.ts'
import { outboundRoutes } from './outbound.routes.ts'
import { createSender } from './sender.ts'
import { createTemplates } from './templates.ts'
import { createReceivers } from './receivers.ts'
import { createSessions } from './sessions.ts'
import { createQrSupervisor, type QrSupervisorDeps } from './qr/supervisor.ts'
import { loadBaileysSocketFactory, type QrSocketFactory } from './qr/socket.ts'

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
  bus: Bus
  /** The agents module's word on an agent id (auto-reply names one of the client's agents). */
  agentExists: AgentCheck
  /** Risky features: linking by QR (`whatsapp_qr`) and auto-reply (`auto_reply`) may be off for a workspace. */
  features: FeatureGate
  qr: {
    /** A QR number's lease (a dead process's numbers move within this). */
    leaseMs: number
    /** Baileys' socket by default; tests and the e2e stand-in pass theirs. */
    socketFactory?: () => Promise<QrSocketFactory>
    /** WhatsApp's media host (received QR media is fetched there); tests and the e2e stand-in pass their loopback one. */
    mediaOrigin?: string
  }
  /** The Meta app's secrets (comma-separated in WHATSAPP_APP_SECRET) and verify token; absent: no Cloud webhook. */
  cloud: { appSecrets: string[]; verifyToken: string | undefined; graphBase: string; graphVersion: string }
  /** Told when a connected QR number stops (WhatsApp logged it out, it failed): alerts. */
  onDisconnected?: QrSupervisorDeps['onDisconnected']
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
  const media = createMediaFetcher({ db, box: deps.box, graph, qrOrigin: deps.qr.mediaOrigin })
  const autoReply = createAutoReplySettings({
    db,
    audit: deps.audit,
    agentExists: deps.agentExists,
    features: deps.features,
  })
  /** Runs QR numbers in this process once started (`npm start`'s worker, or a `worker` process). */
  const supervisor = createQrSupervisor({
    db,
    sessions,
    auth,
    sender,
    receivers: receive.receivers,
    bus: deps.bus,
    audit: deps.audit,
    socketFactory: deps.qr.socketFactory ?? loadBaileysSocketFactory,
    leaseMs: deps.qr.leaseMs,
    onDisconnected: deps.onDisconnected,
  })
  return {
    channels,
    sessions,
    auth,
    /** The inbox registers here what stores received messages and statuses. */
    receive: receive.register,
    sender,
    /** Fetches received media files (the inbox stores them). */
    media,
    supervisor,
    /** The status page's aggregate: numbers meant to be online, and those connected (no workspace data). */
    health: () => numbersHealth(db),
    /**
     * Prometheus: the numbers by kind and status (the deployment's, read at scrape time; bounded labels), and the QR
     * numbers this process drives.
     */
    registerMetrics(registry: Registry) {
      new Gauge({
        name: 'camarad_whatsapp_numbers',
        help: 'WhatsApp numbers by kind and status',
        labelNames: ['kind', 'status'] as const,
        registers: [registry],
        async collect() {
          const rows = await db
            .selectFrom('channels')
            .select(['kind', 'status', (eb) => eb.fn.countAll<string>().as('n')])
            .groupBy(['kind', 'status'])
            .execute()
            .catch(() => [])
          this.reset()
          for (const r of rows) this.set({ kind: r.kind, status: r.status }, Number(r.n))
        },
      })
      // A QR number that should be online (connecting or connected) is `driven` while a process holds its lease, else
      // `orphaned` (no process runs it: the supervisors take it over when they next look).
      new Gauge({
        name: 'camarad_whatsapp_sessions',
        help: 'QR numbers that should be online, by session state (driven: a process holds the lease; orphaned: none)',
        labelNames: ['state'] as const,
        registers: [registry],
        async collect() {
          const rows = await db
            .selectFrom('channels')
            .leftJoin('channelSessions', 'channelSessions.channelId', 'channels.id')
            .select((eb) => [
              eb
                .case()
                .when('channelSessions.leaseUntil', '>', new Date())
                .then('driven')
                .else('orphaned')
                .end()
                .as('state'),
              eb.fn.countAll<string>().as('n'),
            ])
            .where('channels.kind', '=', 'qr')
            .where('channels.status', 'in', ['connecting', 'connected'])
            .groupBy('state')
            .execute()
            .catch(() => undefined)
          if (!rows) return
          for (const state of ['driven', 'orphaned'])
            this.set({ state }, Number(rows.find((r) => r.state === state)?.n ?? 0))
        },
      })
      new Gauge({
        name: 'camarad_whatsapp_sessions_driven',
        help: 'QR numbers this process drives now',
        registers: [registry],
        collect() {
          this.set(supervisor.driven().length)
        },
      })
    },
    /** /readyz: the session store (leases and auth state) answers. */
    sessionStoreReady: async () => {
      await db.selectFrom('channelSessions').select('channelId').limit(1).execute()
      await db.selectFrom('channelAuth').select('channelId').limit(1).execute()
      return true
    },
    /** Each number's sending limits (the outbox paces by them). */
    limits,
    /** Each number's auto-reply setting (issue 13 §7): `autoReply.of(channelId)`. */
    autoReply,
    templates,
    routes: [
      channelRoutes({ channels, scope: deps.scope }),
      outboundRoutes({ templates, limits, autoReply, clientOf: channels.clientOf, scope: deps.scope }),
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
export type { MediaFetcher } from './media.ts'

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
