import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { RunKind, Runs } from '../../platform/runs/runs.ts'
import type { MeetingDto, MeetingEvent } from '../../../contracts/boardroom.ts'
import type { Usage } from '../../../contracts/chat.ts'
import { assembleSystemPrompt, type AgentService } from '../agents/agents.module.ts'
import type { ModelsModule } from '../models/models.module.ts'
import { meetings, turns, type Executor } from './boardroom.repository.ts'
import type { BoardroomTables } from './boardroom.tables.ts'
import { runMeeting, TURN_MAX_OUTPUT_TOKENS, type Speaker } from './meeting-runner.ts'
import type { Metering, CreditHold } from '../credits/credits.module.ts'
import type { CatalogEntry } from '../models/models.module.ts'
import { boardroomErrors } from './boardroom.errors.ts'
import { outcomeOf } from './outcome.ts'

type MeetingBody = { topic: string; agentIds: string[]; rounds: number }

type ClientRow = { name: string; website: string | null; notes: string | null }
/** A meeting is a run of this kind, under the meeting's own id (its subject too). */
const RUN_KIND = 'meeting'

type Deps = {
  db: Executor
  runs: Runs
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
- List the decisions the discussion supports under "## Decisions" and concrete next steps under "## Action items", \
each with an owner (one of the agents, or "the agency") and a next step.
## Boundaries
- Do not add ideas nobody raised; flag open disagreements as open questions.`

/** A meeting of 2–5 agents on a topic, streamed live, persisted turn by turn, re-openable. */
export const createBoardroomService = ({ db, runs, agents, models, metering, workspaceName }: Deps) => {
  const load = async (scope: ClientScope, id: string) => {
    const m = id.length <= 64 ? await meetings.get(db, scope, id) : undefined
    if (!m) throw boardroomErrors.meeting_not_found()
    return m
  }
  const toDto = async (scope: ClientScope, id: string): Promise<MeetingDto> => {
    const m = await load(scope, id)
    const run = await runs.get(scope.workspaceId, id)
    return {
      id: m.id,
      clientId: m.clientId,
      topic: m.topic,
      agentIds: m.agentIds,
      rounds: m.rounds,
      status: run?.status ?? 'failed',
      summary: m.summary,
      createdAt: m.createdAt.toISOString(),
      finishedAt: run?.finishedAt?.toISOString() ?? null,
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

  /** What a turn whose process died had said: its saved text, else the deltas it streamed (for the hold sweeper). */
  const recoverTurn = async (hold: CreditHold) => {
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
    return turn.content || (await streamedText(db, turn.meetingId))(turn.id)
  }

  /** What each turn of a meeting streamed, by turn id. */
  const streamedText = async (h: Handle, meetingId: string) => {
    const deltas = await runs.eventData(h, meetingId, 'delta')
    return (turnId: string) =>
      deltas
        .filter((d) => d.turnId === turnId)
        .map((d) => String(d.text ?? ''))
        .join('')
  }

  /** Closes a meeting nobody runs any more (the run layer's sweeper, or a cancel that found no writer). */
  const runKind: RunKind = {
    maxAgeMs: 30 * 60_000,
    async finalise(trx, run, status) {
      await turns.close(own<BoardroomTables>(trx), run.id, status, await streamedText(trx, run.id))
      return { meetingId: run.id, status }
    },
  }

  /** Starts the meeting of `requestId`, or finds the one it started (then `done` is already settled). */
  const open = async (scope: ClientScope & { client: ClientRow }, body: MeetingBody, requestId: string) => {
    // The same request again returns the meeting it started.
    const prior = await meetings.byRequest(db, scope, requestId)
    if (prior) {
      if (prior.clientId !== scope.clientId || prior.topic !== body.topic)
        throw requestErrors.idempotency_mismatch({ usedFor: 'meeting' })
      return { meetingId: prior.id, done: Promise.resolve() }
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
    const meeting = await db
      .transaction()
      .execute(async (trx) => {
        const m = await meetings.insert(trx, scope, {
          id: newId('mtg'),
          topic: body.topic,
          agentIds: speakers.map((s) => s.id),
          rounds: body.rounds,
          requestId,
        })
        await runs.insert(trx, { id: m.id, kind: RUN_KIND, workspaceId: scope.workspaceId, subjectId: m.id })
        return m
      })
      .catch(async (err: unknown) => {
        await firstTurn.settle(null)
        throw err
      })
    const live = runs.start<MeetingEvent>(meeting.id, ({ log, abort }) =>
      runMeeting(db, set, {
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
        finishRun: (trx, status) => runs.finish(trx, scope.workspaceId, meeting.id, status),
      }),
    )
    return { meetingId: meeting.id, done: live.done }
  }

  return {
    runKind,
    recoverTurn,
    async start(scope: ClientScope & { client: ClientRow }, body: MeetingBody, requestId: string) {
      const opened = await open(scope, body, requestId)
      return toDto(scope, opened.meetingId)
    },
    /**
     * A meeting held to its end for a caller that waits (a flow's "Boardroom" step): the meeting of `requestId` if
     * there is one — a retried step never runs or charges it again, whatever state it ended in — else a new one, run
     * in this process. Answers the meeting (its status says how it ended) with the moderator's decisions and action
     * items read from the summary.
     */
    async convene(scope: ClientScope & { client: ClientRow }, body: MeetingBody, requestId: string) {
      const opened = await open(scope, body, requestId)
      await opened.done
      const meeting = await toDto(scope, opened.meetingId)
      // Found running: another process holds it (a step retried while its first attempt still meets).
      if (meeting.status === 'running') throw boardroomErrors.meeting_running()
      const names = new Map<string, string>([['moderator', 'Moderator']])
      for (const id of meeting.agentIds)
        names.set(
          id,
          await agents.resolve(scope, id).then(
            (a) => a.dto.name,
            () => id,
          ),
        )
      return { meeting, outcome: outcomeOf(meeting, (id) => names.get(id) ?? id) }
    },
    get: toDto,
    async list(scope: ClientScope, limit: number) {
      const page = await meetings.list(db, scope, limit)
      const state = await runs.many(
        scope.workspaceId,
        page.map((m) => m.id),
      )
      return page.map((m) => ({
        id: m.id,
        topic: m.topic,
        agentIds: m.agentIds,
        status: state.get(m.id)?.status ?? 'failed',
        createdAt: m.createdAt.toISOString(),
      }))
    },
    /** Ends a running meeting, whichever process runs it (the run layer carries the cancel); what was said is kept. */
    async cancel(scope: ClientScope, id: string) {
      await load(scope, id)
      return { cancelled: await runs.cancel(scope.workspaceId, id) }
    },
    load,
    clientOf: async (id: string) => (await meetings.clientOf(db, id))?.clientId,
  }
}
export type BoardroomService = ReturnType<typeof createBoardroomService>
