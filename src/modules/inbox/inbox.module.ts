import type { Redis } from 'ioredis'
import type { FeatureGate } from '../features/features.module.ts'
import { own, type Handle } from '../../platform/db/database.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { ModuleParts } from '../../platform/modules/module.ts'
import type { Bus } from '../../platform/realtime/bus.ts'
import type { RunStreams } from '../../platform/runs/run-stream.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { Receivers } from '../channels/receivers.ts'
import type { Sender } from '../channels/sender.ts'
import type { Entitlements } from '../plans/plans.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Queue } from '../../platform/queue/queue.ts'
import { createAutoReplier, type AutoReplyDirectory } from './auto-reply.ts'
import { createDashboard, type ChannelsDirectory } from './dashboard.ts'
import { dashboardRoutes } from './dashboard.routes.ts'
import { OUTBOX_DEFAULTS, type OutboxSettings } from './dispatcher.ts'
import { inboxRoutes } from './inbox.routes.ts'
import { createInboxService, type InboundEvent } from './inbox.service.ts'
import { createFlowSend } from './flow-send.ts'
import { createBroadcast } from './broadcast.ts'
import type { InboxTables } from './inbox.tables.ts'
import { createTriage, type MemberCheck } from './triage.ts'
import type { Metering } from '../credits/credits.module.ts'
import type { ModelSet } from '../models/models.module.ts'
import { createSuggester, type SuggestAgent } from './suggest.ts'
import { createInboxLive } from './live.ts'
import { createMediaStore } from './media.ts'
import { mediaRoutes } from './media.routes.ts'
import type { MediaFetcher } from '../channels/channels.module.ts'
import { createOutbox, sentThisMonth } from './outbox.ts'
import { createOutboxMetrics } from './outbox.metrics.ts'
import { outboxRoutes } from './outbox.routes.ts'
import { createPgPacer, createRedisPacer } from './pacer.ts'

/**
 * The inbox (ADR 0005 §2): contacts as WhatsApp knows them, a thread per number and contact, messages in and out —
 * never deleted, stored once, statuses only forward — and the outbox that sends them. It receives from the channels
 * module through the receivers it registers there, and reads numbers through the channels' public API, so neither
 * reads the other's tables.
 */
export const createInboxModule = (deps: {
  db: Handle
  scope: ScopeResolver
  sender: Sender
  /** The channels module's public face: its numbers, their sending limits and auto-reply settings. */
  channels: ChannelsDirectory & { autoReply: AutoReplyDirectory }
  queue: Queue
  entitlements: Entitlements
  bus: Bus
  streams: RunStreams
  audit: AuditService
  /** Tenancy's lookup: assignees must be members of the workspace. */
  memberOf: MemberCheck
  /** Risky features: auto-reply may be off for a workspace (operator). */
  features: Pick<FeatureGate, 'enabled'>
  /** The models a workspace may call, the credits meter, and an agent's prompt: for suggested replies. */
  models: { forWorkspace(workspaceId: string): Promise<ModelSet> }
  metering: Metering
  agent: SuggestAgent
  operator: OperatorGuard
  /** The channels' media fetcher (received files are stored here, within `mediaMaxBytes`). */
  media: MediaFetcher
  mediaMaxBytes: number
  /** Token buckets in Redis when configured, else in PostgreSQL. */
  redis?: Redis
  outbox?: Partial<OutboxSettings>
}) => {
  const db = own<InboxTables>(deps.db)
  const live = createInboxLive(deps.bus)
  const inbox = createInboxService({ db })
  const triage = createTriage({ db, inbox, live, audit: deps.audit, memberOf: deps.memberOf })
  const suggester = createSuggester({ db, models: deps.models, metering: deps.metering, agent: deps.agent })
  const pacer = deps.redis ? createRedisPacer(deps.redis) : createPgPacer(db)
  const outboxMetrics = createOutboxMetrics(db)
  const outbox = createOutbox({
    db,
    sender: deps.sender,
    limits: deps.channels.limits,
    pacer,
    entitlements: deps.entitlements,
    live,
    bus: deps.bus,
    audit: deps.audit,
    settings: { ...OUTBOX_DEFAULTS, ...deps.outbox },
    observe: outboxMetrics.observe,
  })
  const broadcast = createBroadcast({
    sender: deps.sender,
    channels: deps.channels,
    entitlements: deps.entitlements,
    live,
    announce: outbox.announce,
  })
  const autoReply = createAutoReplier({
    db,
    queue: deps.queue,
    settings: deps.channels.autoReply,
    suggester,
    outbox,
    audit: deps.audit,
    memberOf: deps.memberOf,
    features: deps.features,
  })
  const dashboard = createDashboard({ db, channels: deps.channels, pacer })
  const media = createMediaStore({
    db,
    queue: deps.queue,
    fetcher: deps.media,
    live,
    maxBytes: deps.mediaMaxBytes,
  })
  // Auto-reply first: a flow subscribed later sees the same messages in the same transaction.
  const subscribers: InboundSubscriber[] = [autoReply.received]
  /** What the channels call with what a number received: stored in their transaction, followers told after it. */
  const receivers: Receivers = {
    inbound: async (h, channel, messages) => {
      const stored = await inbox.receive(h, channel, messages)
      await media.track(
        h,
        channel,
        stored.flatMap((s) => (s.media ? [{ messageId: s.messageId, threadId: s.threadId, ...s.media }] : [])),
      )
      const events = stored.flatMap((s) => (s.event ? [s.event] : []))
      const after: (() => void)[] = []
      // Subscribers act in the same transaction (a flow run starts exactly when the message is stored).
      if (events.length) for (const subscriber of subscribers) after.push(await subscriber(h, events))
      return () => {
        live.publish(
          channel.clientId,
          stored.map((s) => s.threadId),
        )
        for (const fn of after) fn()
      }
    },
    statuses: async (h, channel, updates) => {
      const threads = await inbox.applyStatuses(h, channel, updates)
      return () => live.publish(channel.clientId, threads)
    },
    sentContent: inbox.sentContent,
    oldestPerChat: inbox.oldestPerChat,
  }
  return {
    /** Prometheus: the outbox's backlog and dead letters (scrape time), sends by number and outcome, send latency. */
    registerMetrics: outboxMetrics.register,
    inbox,
    outbox,
    triage,
    suggester,
    autoReply,
    pacer,
    dashboard,
    live,
    media,
    receivers,
    /**
     * Subscribes to what contacts write: called in the transaction that stores their messages (a redelivered message is
     * not stored again, so not told again); what it answers runs after the commit.
     */
    onInbound: (subscriber: InboundSubscriber) => void subscribers.push(subscriber),
    /** Sends from a flow step (no HTTP request): see `flow-send.ts`. */
    flowSend: createFlowSend(outbox),
    /** Queues messages to addresses in the caller's transaction (CRM campaigns): see `broadcast.ts`. */
    broadcast,
    routes: [
      dashboardRoutes({ dashboard, scope: deps.scope }),
      inboxRoutes({ inbox, outbox, triage, suggester, autoReply, live, streams: deps.streams, scope: deps.scope }),
      outboxRoutes({ outbox, operator: deps.operator }),
      mediaRoutes({ media, scope: deps.scope }),
    ],
    jobs: [...outbox.jobs, ...autoReply.jobs, ...media.jobs],
  } satisfies ModuleParts & Record<string, unknown>
}

export type { InboundEvent } from './inbox.service.ts'
export type { FlowSend } from './flow-send.ts'
export {
  messageStatuses,
  type Broadcast,
  type BroadcastContent,
  type BroadcastItem,
  type BroadcastOutcome,
} from './broadcast.ts'
/** A person's messages across the client's conversations, and a source check: for the CRM (`contact-history.ts`). */
export { contactMessages, messagesInThread, type HistoryMessage } from './contact-history.ts'
export { clientOfThread, threadMessages, type ThreadMessage } from './thread-read.ts'
export type InboundSubscriber = (h: Handle, events: InboundEvent[]) => Promise<() => void>

/** What the inbox counts against a plan: messages sent from Camarad this calendar month. */
export const inboxUsage = { messagesPerMonth: sentThisMonth }
export type InboxModule = ReturnType<typeof createInboxModule>
