import { z } from 'zod'
import type { Kysely } from 'kysely'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import { AppError } from '../../../platform/http/errors.ts'
import type { FlowsTables } from '../flows.tables.ts'
import { defineNode, exprOr, fatal, retryable, type NodeType } from '../registry.ts'
import { common, type NodeSpec } from './specs.ts'

/** The War Room's table: the PPC Specialist, the SEO & Content Strategist and the Data Analyst. */
export const DEFAULT_MEETING_AGENTS = ['builtin.ppc-specialist', 'builtin.seo-strategist', 'builtin.data-analyst']

export const boardroomMeetingSpec = {
  type: 'boardroom.meeting',
  kind: 'action',
  label: 'Boardroom',
  description:
    "Holds a boardroom meeting of the client's agents on a brief (an expression can feed it the previous steps' " +
    'figures), metered per turn. Output: meetingId, summary, decisions, actionItems (owner, action) and the turns. A ' +
    'retried step finds its meeting and never holds or charges it twice.',
  icon: 'users',
  config: z.strictObject({
    agentIds: z
      .array(z.string().min(3).max(64))
      .min(2)
      .max(5)
      .refine((ids) => new Set(ids).size === ids.length, 'Each agent can sit at the table once.')
      .default(DEFAULT_MEETING_AGENTS)
      .meta({ title: 'Agents', description: 'Built-in agent ids (builtin.…) or workspace agent ids.' }),
    topic: exprOr(z.string().trim().min(3).max(8000)).meta({
      title: 'Brief',
      description: 'What the meeting is about; an expression can include the figures of earlier steps.',
    }),
    rounds: z.number().int().min(1).max(3).default(1).meta({ title: 'Rounds' }),
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out'],
  effect: 'external',
  timeoutMs: 300_000,
} satisfies NodeSpec

type Turn = {
  round: number
  position: number
  speaker: string
  content: string
  status: string
  usage: { charged?: number | undefined } | null
}
/** What the boardroom's public API answers for a meeting held to its end (`boardroom.convene`). */
export type ConvenedMeeting = {
  meeting: { id: string; status: string; topic: string; summary: string; agentIds: string[]; turns: Turn[] }
  outcome: { decisions: string[]; actionItems: { owner: string; action: string }[]; source: string }
}
export type BoardroomNodeDeps = {
  db: Kysely<FlowsTables>
  stillAllowed(scope: ClientScope): Promise<boolean>
  /** Holds the meeting of `requestId` to its end, or answers the one that request already held. */
  convene(
    scope: ClientScope,
    body: { topic: string; agentIds: string[]; rounds: number },
    requestId: string,
  ): Promise<ConvenedMeeting>
  /** Display names of the agents (for the output and the trace). */
  agentName(scope: ClientScope, agentId: string): Promise<string>
}

/** Another attempt helps only when the meeting is still held elsewhere (the first attempt's process is meeting). */
const RETRYABLE = new Set(['boardroom.meeting_running'])

/**
 * The Boardroom step (issue 15 §8): a meeting through the boardroom's public API, with the step's idempotency key as
 * the meeting's request id (each turn is held and charged under `<key>:<position>`). A retry finds the meeting: a
 * completed one answers its outcome for nothing, a failed or cancelled one fails the step without meeting again.
 */
export const boardroomNodes = (deps: BoardroomNodeDeps): NodeType[] => [
  defineNode({
    ...boardroomMeetingSpec,
    retry: { max: 3, baseMs: 15_000, maxMs: 120_000 },
    execute: async (ctx) => {
      const { config, scope } = ctx
      if (!(await deps.stillAllowed({ ...scope, role: 'member' })))
        throw fatal('flows.publisher_gone', 'The person who published this flow no longer has access to its client.')
      const acting = { ...scope, userId: scope.actingUserId }
      let held: ConvenedMeeting
      try {
        held = await deps.convene(
          acting,
          { topic: config.topic, agentIds: config.agentIds, rounds: config.rounds },
          ctx.idempotencyKey,
        )
      } catch (err) {
        if (err instanceof AppError && RETRYABLE.has(err.code)) throw retryable(err.code, err.message)
        if (err instanceof AppError) throw fatal(err.code, err.message)
        throw err
      }
      const { meeting, outcome } = held
      if (meeting.status !== 'completed') {
        const failed = meeting.turns.find((t) => t.status === 'failed')
        throw fatal(
          'flows.meeting_failed',
          `The meeting ${meeting.id} ended ${meeting.status}${failed ? ` at ${failed.speaker}'s turn` : ''}; it is ` +
            'not held again (the turns said were charged).',
        )
      }
      const names = new Map<string, string>([['moderator', 'Moderator']])
      for (const id of meeting.agentIds) names.set(id, await deps.agentName(acting, id).catch(() => id))
      const credits = meeting.turns.reduce((sum, t) => sum + BigInt(t.usage?.charged ?? 0), 0n)
      const output = {
        meetingId: meeting.id,
        topic: meeting.topic,
        summary: meeting.summary,
        decisions: outcome.decisions,
        actionItems: outcome.actionItems,
        outcomeFrom: outcome.source,
        turns: meeting.turns.map((t) => ({
          round: t.round,
          speaker: t.speaker,
          name: names.get(t.speaker) ?? t.speaker,
          content: t.content,
        })),
      }
      ctx.log(`Meeting ${meeting.id}: ${meeting.turns.length} turns, ${outcome.decisions.length} decisions`, {
        credits: String(credits),
      })
      // The turns were charged by the boardroom; the step shows what they cost.
      await deps.db.transaction().execute((trx) => ctx.checkpoint(trx, { output, credits }))
      return { output, checkpointed: true }
    },
  }),
]
