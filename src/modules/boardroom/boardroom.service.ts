import type { Db } from '../../schema.ts'
import { newId } from '../../platform/db/ids.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { createRunHub, createRunLog, type LoggedEvent } from '../../platform/realtime/event-log.ts'
import type { MeetingDto, MeetingEvent } from '../../../contracts/boardroom.ts'
import type { Usage } from '../../../contracts/chat.ts'
import { assembleSystemPrompt, type AgentService } from '../agents/agents.module.ts'
import type { ModelsModule } from '../models/models.module.ts'
import { meetingEvents, meetings, turns } from './boardroom.repository.ts'
import { runMeeting, TURN_MAX_OUTPUT_TOKENS, type Speaker } from './meeting-runner.ts'
import type { Metering } from '../credits/credits.module.ts'
import type { CatalogEntry } from '../models/models.module.ts'
import { boardroomErrors } from './boardroom.errors.ts'

type ClientRow = { name: string; website: string | null; notes: string | null }
type Deps = {
  db: Db
  agents: AgentService
  models: ModelsModule
  metering: Metering
  workspaceName: (scope: ClientScope) => Promise<string>
}

const MODERATOR_SYSTEM = (
  workspace: string,
  client: string,
) => `You are the moderator of a meeting of specialist agents at the agency "${workspace}" about the client "${client}".
## What you do
- Summarise the discussion faithfully in a few sentences; name who proposed what.
- List the decisions the discussion supports under "## Decisions" and concrete next steps under "## Action items", each with an owner (one of the agents, or "the agency") and a next step.
## Boundaries
- Do not add ideas nobody raised; flag open disagreements as open questions.`

/** A meeting of 2–5 agents on a topic, streamed live, persisted turn by turn, re-openable. */
export const createBoardroomService = ({ db, agents, models, metering, workspaceName }: Deps) => {
  const hub = createRunHub()
  const inflight = new Map<string, { abort: AbortController; done: Promise<void> }>()

  const load = async (scope: ClientScope, id: string) => {
    const m = id.length <= 64 ? await meetings.get(db, scope, id) : undefined
    if (!m) throw boardroomErrors.meeting_not_found()
    return m
  }
  const toDto = async (scope: ClientScope, id: string): Promise<MeetingDto> => {
    const m = await load(scope, id)
    return {
      id: m.id,
      clientId: m.clientId,
      topic: m.topic,
      agentIds: m.agentIds,
      rounds: m.rounds,
      status: m.status,
      summary: m.summary,
      createdAt: m.createdAt.toISOString(),
      finishedAt: m.finishedAt?.toISOString() ?? null,
      turns: (await turns.list(db, scope, id)).map((t) => ({
        id: t.id,
        round: t.round,
        position: t.position,
        speaker: t.speaker,
        content: t.content,
        status: t.status,
        modelId: t.modelId,
        offline: Boolean(models.find(t.modelId)?.offline),
        usage: (t.usage as Usage | null) ?? null,
      })),
    }
  }

  // What a turn whose process died had said: its saved text, else the deltas it streamed.
  metering.recoverWith('boardroom', async (hold) => {
    const [meetingRequest, position] = [
      hold.requestId.slice(0, hold.requestId.lastIndexOf(':')),
      Number(hold.requestId.slice(hold.requestId.lastIndexOf(':') + 1)),
    ]
    const turn = await db
      .selectFrom('meetings')
      .innerJoin('meetingTurns', 'meetingTurns.meetingId', 'meetings.id')
      .select(['meetingTurns.id', 'meetingTurns.content', 'meetings.id as meetingId'])
      .where('meetings.workspaceId', '=', hold.workspaceId)
      .where('meetings.requestId', '=', meetingRequest)
      .where('meetingTurns.position', '=', position)
      .executeTakeFirst()
    if (!turn) return ''
    if (turn.content) return turn.content
    const deltas = await db
      .selectFrom('meetingEvents')
      .select('data')
      .where('meetingId', '=', turn.meetingId)
      .where('type', '=', 'delta')
      .orderBy('seq')
      .execute()
    return deltas
      .filter((d) => d.data.turnId === turn.id)
      .map((d) => String(d.data.text ?? ''))
      .join('')
  })

  return {
    hub,
    async start(
      scope: ClientScope & { client: ClientRow },
      body: { topic: string; agentIds: string[]; rounds: number },
      requestId: string,
    ) {
      // The same request again returns the meeting it started.
      const prior = await meetings.byRequest(db, scope, requestId)
      if (prior) {
        if (prior.clientId !== scope.clientId || prior.topic !== body.topic)
          throw requestErrors.idempotency_mismatch({ usedFor: 'meeting' })
        return toDto(scope, prior.id)
      }
      const resolved = await Promise.all(body.agentIds.map((id) => agents.resolve(scope, id)))
      const set = await models.forWorkspace(scope.workspaceId)
      const ctx = { workspaceName: await workspaceName(scope), client: scope.client, tools: [], today: new Date() }
      const speakers: Speaker[] = resolved.map((a) => ({
        id: a.dto.id,
        name: a.dto.name,
        system: assembleSystemPrompt(a.prompt, ctx),
        modelId: a.dto.modelId ?? set.defaultModelId(a.tier),
      }))
      for (const s of speakers) set.languageModel(s.modelId) // an unknown model fails the request, not the meeting
      const moderator = {
        id: 'moderator',
        name: 'Moderator',
        system: MODERATOR_SYSTEM(ctx.workspaceName, scope.client.name),
        modelId: set.defaultModelId(),
      }
      const meter = (entry: CatalogEntry, position: number, promptText: string, maxOutputTokens: number) =>
        metering.begin({
          workspaceId: scope.workspaceId,
          clientId: scope.clientId,
          userId: scope.userId,
          tokenId: null,
          surface: 'boardroom',
          requestId: `${requestId}:${position}`,
          entry,
          billedBy: set.billedBy(entry),
          promptText,
          maxOutputTokens,
          streaming: true,
          params: { meeting: requestId, position },
        })
      // A meeting that cannot pay for its first turn is refused before it starts (402 / 429 / 403 to the caller).
      const first = set.find(speakers[0]!.modelId)!
      const firstTurn = await meter(
        first,
        0,
        `${speakers[0]!.system}\n${body.topic}`,
        Math.min(first.maxOutputTokens, TURN_MAX_OUTPUT_TOKENS),
      )
      if (firstTurn.replay) throw requestErrors.in_progress()
      const meeting = await meetings
        .insert(db, scope, {
          id: newId('mtg'),
          topic: body.topic,
          agentIds: speakers.map((s) => s.id),
          rounds: body.rounds,
          requestId,
        })
        .catch(async (err: unknown) => {
          await firstTurn.settle(null)
          throw err
        })
      const log = createRunLog<MeetingEvent>((rows) => meetingEvents.append(db, meeting.id, rows), hub, meeting.id)
      const abort = new AbortController()
      const done = runMeeting(db, set, {
        scope,
        meetingId: meeting.id,
        topic: body.topic,
        rounds: body.rounds,
        requestId,
        speakers,
        moderator,
        log,
        abort,
        meter,
        firstTurn,
      })
        .catch((err: unknown) => {
          console.error(`[boardroom] meeting ${meeting.id} crashed:`, err)
        })
        .finally(() => inflight.delete(meeting.id))
      inflight.set(meeting.id, { abort, done })
      return toDto(scope, meeting.id)
    },
    get: toDto,
    async list(scope: ClientScope, limit: number) {
      return (await meetings.list(db, scope, limit)).map((m) => ({
        id: m.id,
        topic: m.topic,
        agentIds: m.agentIds,
        status: m.status,
        createdAt: m.createdAt.toISOString(),
      }))
    },
    async cancel(scope: ClientScope, id: string) {
      const m = await load(scope, id)
      if (m.status !== 'running') return { cancelled: false }
      inflight.get(id)?.abort.abort()
      await meetings.finish(db, scope, id, 'cancelled', m.summary)
      await inflight.get(id)?.done
      return { cancelled: true }
    },
    load,
    meetingDone: (id: string) => meetingEvents.isDone(db, id),
    eventsAfter: async (id: string, seq: number) => (await meetingEvents.after(db, id, seq)) as LoggedEvent[],
    clientOf: async (id: string) => (await meetings.clientOf(db, id))?.clientId,
    async drain(ms = 10_000) {
      const timeout = new Promise((ok) => setTimeout(ok, ms).unref())
      await Promise.race([Promise.all([...inflight.values()].map((r) => r.done)), timeout])
      for (const r of inflight.values()) r.abort.abort()
      await Promise.all([...inflight.values()].map((r) => r.done))
    },
  }
}
export type BoardroomService = ReturnType<typeof createBoardroomService>
