import { sql, type Kysely } from 'kysely'
import { z } from 'zod'
import type { FlowGraph } from '../../../../contracts/flows.ts'
import { own, type Handle } from '../../../platform/db/database.ts'
import { defineJob, type Queue } from '../../../platform/queue/queue.ts'
import type { FlowsTables } from '../flows.tables.ts'
import {
  regexTest,
  WHATSAPP_TRIGGER,
  whatsappTriggerSpec,
  type Match,
  type WhatsAppTriggerConfig,
} from '../nodes/whatsapp.ts'
import type { Engine } from './engine.ts'

/** What the inbox tells flows about a message a contact wrote (its `InboundEvent`, structurally). */
export type WhatsAppMessage = {
  workspaceId: string
  clientId: string
  channelId: string
  threadId: string
  message: { id: string; type: string; text: string | null; at: string }
  contact: { id: string; waId: string; name: string | null; phone: string | null }
  firstFromContact: boolean
}

/** A backstop for the start done after the commit: it finds the runs started, or starts them if that process died. */
const BACKSTOP_MS = 30_000

const Start = z.object({
  input: z.object({
    message: z.object({ id: z.string(), type: z.string(), text: z.string().nullable(), at: z.string() }),
    contact: z.object({ id: z.string(), waId: z.string(), name: z.string().nullable(), phone: z.string().nullable() }),
    thread: z.object({ id: z.string() }),
    channel: z.object({ id: z.string() }),
  }),
  workspaceId: z.string(),
  clientId: z.string(),
  flows: z.array(
    z.object({
      flowId: z.string(),
      versionId: z.string(),
      publisher: z.string(),
      /** Left to decide in the sandbox, after the commit. */
      regex: z.object({ pattern: z.string(), caseSensitive: z.boolean() }).optional(),
    }),
  ),
})
type Start = z.infer<typeof Start>

/** The filters decided without the sandbox: true, false, or 'regex' (the pattern is tested in the sandbox). */
export const matchesWithoutRegex = (config: WhatsAppTriggerConfig, m: WhatsAppMessage): boolean | 'regex' => {
  if (config.channelId && config.channelId !== m.channelId) return false
  if (config.newContact && !m.firstFromContact) return false
  const match: Match | undefined = config.match
  if (!match) return true
  if (m.message.text === null) return false
  if (match.kind === 'regex') return 'regex'
  const fold = (s: string) => (match.caseSensitive ? s : s.toLowerCase())
  const text = fold(m.message.text.trim())
  const value = fold(match.value.trim())
  return match.kind === 'equals' ? text === value : text.includes(value)
}

/**
 * The "WhatsApp message received" trigger. `received` is the inbox's inbound subscriber: in the transaction that stores
 * the messages it finds the client's active published flows that start with this trigger, keeps those whose filters
 * match, and enqueues one `flows.start-whatsapp-runs` job per message (its backstop) in that transaction; after the
 * commit it starts them here at once. Each run's trigger key is `whatsapp:<message id>`, unique per flow: the start
 * here, the backstop and any retry of it make one run per flow and message, and a redelivered message is not stored
 * again, so it is not told again.
 */
export const createWhatsAppTrigger = ({
  engine,
  queue,
  evaluate,
  log = (m: string, err?: unknown) => console.error(`[flows] ${m}`, err ?? ''),
}: {
  engine: Pick<Engine, 'open' | 'kick'>
  queue: Queue
  evaluate: (source: string, input: unknown, bindings: Record<string, unknown>) => Promise<unknown>
  log?: (m: string, err?: unknown) => void
}) => {
  const startJob = defineJob({
    name: 'flows.start-whatsapp-runs',
    payload: Start,
    retryLimit: 5,
    retryDelaySeconds: 10,
    handler: async (start) => {
      await startRuns(start)
    },
  })

  /** The client's active flows whose published version starts with this trigger, with that trigger's config. */
  const candidates = async (trx: Kysely<FlowsTables>, clientIds: string[]) => {
    const rows = await trx
      .selectFrom('flows')
      .innerJoin('flowVersions', 'flowVersions.id', 'flows.publishedVersionId')
      .select(['flows.id as flowId', 'flows.clientId', 'flowVersions.id as versionId', 'flowVersions.graph'])
      .select('flowVersions.createdBy as publisher')
      .where('flows.clientId', 'in', clientIds)
      .where('flows.state', '=', 'active')
      .where(sql<boolean>`flow_versions.graph -> 'nodes' @> ${JSON.stringify([{ type: WHATSAPP_TRIGGER }])}::jsonb`)
      .execute()
    return rows.flatMap((r) => {
      const node = (r.graph as FlowGraph).nodes.find((n) => n.type === WHATSAPP_TRIGGER)
      const config = whatsappTriggerSpec.config.safeParse(node?.config ?? {})
      return config.success ? [{ ...r, config: config.data }] : []
    })
  }

  const received = async (h: Handle, messages: WhatsAppMessage[]): Promise<() => void> => {
    const flows = await candidates(own<FlowsTables>(h), [...new Set(messages.map((m) => m.clientId))])
    if (!flows.length) return () => {}
    const starts: Start[] = []
    for (const m of messages) {
      const matched = flows.flatMap((f) => {
        if (f.clientId !== m.clientId) return []
        const decided = matchesWithoutRegex(f.config, m)
        if (decided === false) return []
        const regex =
          decided === 'regex'
            ? { pattern: f.config.match!.value, caseSensitive: f.config.match!.caseSensitive }
            : undefined
        return [{ flowId: f.flowId, versionId: f.versionId, publisher: f.publisher, ...(regex ? { regex } : {}) }]
      })
      if (!matched.length) continue
      const start: Start = {
        workspaceId: m.workspaceId,
        clientId: m.clientId,
        input: {
          message: m.message,
          contact: m.contact,
          thread: { id: m.threadId },
          channel: { id: m.channelId },
        },
        flows: matched,
      }
      await queue.enqueue(h, startJob, start, { startAfter: new Date(Date.now() + BACKSTOP_MS) })
      starts.push(start)
    }
    return () => {
      for (const s of starts) {
        const started = startRuns(s)
          .catch((err: unknown) => log(`whatsapp start of ${s.input.message.id}`, err))
          .finally(() => inflight.delete(started))
        inflight.add(started)
      }
    }
  }
  /** Starts after a commit still under way in this process. */
  const inflight = new Set<Promise<unknown>>()

  /** A pattern tested in the sandbox; one that fails or runs past its deadline matches nothing. */
  const regexMatches = async (regex: { pattern: string; caseSensitive: boolean }, text: string | null) => {
    try {
      return (await evaluate(regexTest(regex.pattern, regex.caseSensitive), null, { text })) === true
    } catch (err) {
      log(`whatsapp trigger pattern /${regex.pattern}/ failed`, err)
      return false
    }
  }

  /** Opens (at most once per flow and message) and kicks the runs a message starts. Answers their ids. */
  const startRuns = async (s: Start) => {
    const ids: string[] = []
    for (const f of s.flows) {
      if (f.regex && !(await regexMatches(f.regex, s.input.message.text))) continue
      const { runId, existing } = await engine.open({
        workspaceId: s.workspaceId,
        clientId: s.clientId,
        flowId: f.flowId,
        versionId: f.versionId,
        trigger: 'whatsapp',
        triggerKey: `whatsapp:${s.input.message.id}`,
        actingUserId: f.publisher,
        input: s.input,
      })
      if (!existing) engine.kick(runId)
      ids.push(runId)
    }
    return ids
  }

  return {
    received,
    startRuns,
    /** Resolves once the starts this process began after a commit are done (shutdown, tests). */
    idle: async () => {
      while (inflight.size) await Promise.allSettled([...inflight])
    },
    jobs: [startJob],
  }
}
export type WhatsAppTrigger = ReturnType<typeof createWhatsAppTrigger>
