import { streamText } from 'ai'
import { own, type Handle } from '../../platform/db/database.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import type { RunLog } from '../../platform/runs/run-log.ts'
import type { MeetingEvent } from '../../../contracts/boardroom.ts'
import { normalizeUsage, type CatalogEntry, type ModelSet } from '../models/models.module.ts'
import type { MeteredCall } from '../credits/credits.module.ts'
import { AppError } from '../../platform/http/errors.ts'
import { meetings, turns, type Executor } from './boardroom.repository.ts'
import type { BoardroomTables } from './boardroom.tables.ts'

export type Speaker = { id: string; name: string; system: string; modelId: string }
export type MeetingPlan = {
  scope: ClientScope
  meetingId: string
  topic: string
  rounds: number
  requestId: string
  speakers: Speaker[]
  moderator: Speaker
  log: RunLog<MeetingEvent>
  abort: AbortController
  /** Moves the meeting's run out of "running" in the meeting's transaction; false when a cancel got there first. */
  finishRun: (trx: Handle, status: 'completed' | 'cancelled' | 'failed') => Promise<boolean>
  /** Holds credits for a turn (request id `<meeting request id>:<position>`); the first turn's hold was placed when the meeting started. */
  meter: (entry: CatalogEntry, position: number, promptText: string, maxOutputTokens: number) => Promise<MeteredCall>
  firstTurn?: MeteredCall
}

export const TURN_MAX_OUTPUT_TOKENS = 1024

const MEETING_RULES = (names: string[], topic: string) => `
## This is a meeting
You are in a meeting with ${names.join(', ')} about: "${topic}".
- Speak in your role only, in at most 150 words. Build on, question or correct what was said before; do not repeat it.
- End with one concrete proposal from your field.`

const transcriptOf = (said: { name: string; content: string }[]) =>
  said.length ? said.map((s) => `${s.name}: ${s.content}`).join('\n\n') : '(nobody has spoken yet)'

/**
 * Runs a meeting: each round every agent speaks in turn, seeing the transcript so far; then the moderator
 * writes the summary with decisions and action items. Each turn is saved as it ends; a cancel stops the
 * meeting after keeping what was said.
 */
export const runMeeting = async (db: Executor, models: ModelSet, plan: MeetingPlan) => {
  const { scope, log, abort } = plan
  const said: { name: string; content: string }[] = []
  let failed = false
  const speak = async (speaker: Speaker, round: number, position: number, system: string, prompt: string) => {
    const entry = models.find(speaker.modelId)!
    const turnId = newId('turn')
    await turns.insert(db, scope, {
      id: turnId,
      meetingId: plan.meetingId,
      round,
      position,
      speaker: speaker.id,
      modelId: entry.id,
    })
    log.push({ type: 'turn', turnId, round, position, speaker: speaker.id, modelId: entry.id, offline: entry.offline })
    let text = ''
    let reported: Parameters<typeof normalizeUsage>[0]
    let error: { code: string; message: string } | undefined
    const maxOutputTokens = Math.min(entry.maxOutputTokens, TURN_MAX_OUTPUT_TOKENS)
    let metered: MeteredCall | undefined
    try {
      metered =
        position === 0 && plan.firstTurn
          ? plan.firstTurn
          : await plan.meter(entry, position, system + '\n' + prompt, maxOutputTokens)
      const result = streamText({
        model: models.languageModel(entry.id),
        system,
        prompt,
        abortSignal: abort.signal,
        maxRetries: 2,
        maxOutputTokens,
        onError: () => undefined,
      })
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') {
          text += part.text
          log.push({ type: 'delta', turnId, text: part.text })
        } else if (part.type === 'finish') reported = part.totalUsage
        else if (part.type === 'error') throw part.error
      }
    } catch (err) {
      // A refused hold (no credits, a cap, a throttle) ends the meeting with its own message.
      if (err instanceof AppError) error = err
      else if (!abort.signal.aborted) error = models.describeError(err, entry)
    }
    const status = abort.signal.aborted ? 'cancelled' : error ? 'failed' : 'complete'
    const usage = normalizeUsage(reported, { prompt: () => system + prompt, output: text })
    const save = (trx: Handle, charge: { charged: bigint } | null) =>
      turns.finish(own<BoardroomTables>(trx), scope, turnId, {
        content: text,
        status,
        usage: { ...usage, charged: Number(charge?.charged ?? 0n) },
      })
    // A turn whose hold was refused never called the model: its row is closed, nothing is recorded or settled.
    const settled = metered
      ? (
          await metered.complete({
            usage,
            free: Boolean(error && !text),
            agentId: speaker.id === 'moderator' ? null : speaker.id,
            within: async (trx, charge) => {
              await save(trx, charge)
              return status
            },
          })
        ).settled
      : await save(db, null).then(() => undefined)
    log.push({
      type: 'turn-end',
      turnId,
      status,
      usage: { ...usage, charged: Number(settled?.charged ?? 0n) },
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    })
    if (error) failed = true
    return text
  }

  const names = plan.speakers.map((s) => s.name)
  let position = 0
  for (let round = 1; round <= plan.rounds && !abort.signal.aborted && !failed; round++) {
    for (const speaker of plan.speakers) {
      if (abort.signal.aborted || failed) break
      const content = await speak(
        speaker,
        round,
        position++,
        `${speaker.system}${MEETING_RULES(names, plan.topic)}\n\n## Transcript so far (round ${round} of ${plan.rounds})\n${transcriptOf(said)}`,
        `What do you propose on "${plan.topic}"?`,
      )
      said.push({ name: speaker.name, content })
    }
  }
  let summary = ''
  if (!abort.signal.aborted && !failed) {
    summary = await speak(
      plan.moderator,
      plan.rounds + 1,
      position,
      `${plan.moderator.system}\n\n## Transcript\n${transcriptOf(said)}`,
      `Summarise the meeting on "${plan.topic}" with the sections "## Decisions" and "## Action items" (owner and next step for each).`,
    )
  }
  let status: 'completed' | 'cancelled' | 'failed' = abort.signal.aborted
    ? 'cancelled'
    : failed
      ? 'failed'
      : 'completed'
  await db.transaction().execute(async (trx) => {
    // Whoever moves the run out of "running" first decides; a cancel that won keeps the turns said so far.
    if (await plan.finishRun(trx, status)) await meetings.setSummary(trx, scope, plan.meetingId, summary)
    else status = 'cancelled'
  })
  log.push({ type: 'done', meetingId: plan.meetingId, status })
  await log.flush()
}
