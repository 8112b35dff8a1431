import { randomBytes } from 'node:crypto'
import { generateText, streamText } from 'ai'
import type { Kysely } from 'kysely'
import type { GatewayTables } from './gateway.tables.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import {
  normalizeUsage,
  recordedCall,
  type CatalogEntry,
  type ModelSet,
  type ModelsModule,
} from '../models/models.module.ts'
import type { MeteredCall, Metering, CreditHold } from '../credits/credits.module.ts'
import {
  finishReason,
  openAiUsage,
  toModelMessages,
  toToolChoice,
  toTools,
  type ChatCompletionRequest,
} from './openai-format.ts'

export type Attribution = {
  workspaceId: string
  clientId: string | null
  userId: string
  tokenId: string
  requestId: string
}
type Completion = {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: {
    index: number
    message: { role: 'assistant'; content: string | null; tool_calls?: unknown[] }
    finish_reason: string
    logprobs: null
  }[]
  usage: ReturnType<typeof openAiUsage>
}
type Usage = ReturnType<typeof normalizeUsage>
/** What the caller learns about the charge: the hold before the call, the debit after it. */
export type Billing = { estimate: bigint; charged?: bigint; replay: boolean }

const completionId = () => `chatcmpl-${randomBytes(12).toString('base64url')}`

/** OpenAI Chat Completions on top of the model registry: same models, same usage records as the app's chat. */
const PROGRESS_EVERY_MS = 2000

export const createGatewayService = ({
  db,
  models,
  metering,
}: {
  db: Kysely<GatewayTables>
  models: ModelsModule
  metering: Metering
}) => {
  /** A stream whose process died: the sweeper charges the prompt plus what it had sent (saved every 2 s). */
  const recoverStream = async (hold: CreditHold) =>
    (
      await db
        .selectFrom('streamProgress')
        .select('output')
        .where('workspaceId', '=', hold.workspaceId)
        .where('requestId', '=', hold.requestId)
        .executeTakeFirst()
    )?.output ?? ''
  const saveProgress = (who: Attribution, output: string) =>
    db
      .insertInto('streamProgress')
      .values({ workspaceId: who.workspaceId, requestId: who.requestId, output })
      .onConflict((oc) => oc.columns(['workspaceId', 'requestId']).doUpdateSet({ output, updatedAt: new Date() }))
      .execute()

  /** `gpt-4o-mini` or `openai:gpt-4o-mini`: a bare model id names the first configured catalog entry with it. */
  /** The workspace's models, and the entry a request names: `gpt-4o-mini` means the first configured entry with that model id. */
  const resolveModel = async (workspaceId: string, name: string): Promise<{ set: ModelSet; entry: CatalogEntry }> => {
    const set = await models.forWorkspace(workspaceId)
    const entry = set.find(name) ?? set.catalog().find((e) => e.modelId === name)
    set.languageModel(entry?.id ?? name) // throws model.unknown with the catalog's wording
    return { set, entry: entry! }
  }

  const maxOutputTokens = (entry: CatalogEntry, body: ChatCompletionRequest) =>
    Math.min(body.max_completion_tokens ?? body.max_tokens ?? entry.maxOutputTokens, entry.maxOutputTokens)

  const callOptions = (set: ModelSet, entry: CatalogEntry, body: ChatCompletionRequest, abortSignal?: AbortSignal) => {
    const { system, messages } = toModelMessages(body.messages)
    return {
      model: set.languageModel(entry.id),
      system,
      messages,
      abortSignal,
      maxRetries: 2,
      tools: toTools(body.tools),
      toolChoice: toToolChoice(body.tool_choice),
      maxOutputTokens: maxOutputTokens(entry, body),
      temperature: body.temperature ?? undefined,
      topP: body.top_p ?? undefined,
      stopSequences: body.stop ? ([] as string[]).concat(body.stop) : undefined,
      promptText: () => JSON.stringify(body.messages),
    }
  }

  /**
   * Records the call with its charge and settles its hold, in one transaction (the ledger's batch): the usage row
   * and the debit commit together, before the answer is sent. A call that failed before the provider wrote
   * anything is not charged; a cancelled one is charged for what was generated.
   */
  const finish = async (
    who: Attribution,
    entry: CatalogEntry,
    metered: MeteredCall,
    status: 'complete' | 'cancelled' | 'failed',
    usage: Usage,
    output: string,
    response?: Completion,
  ) => {
    const charge = await metered.price(status === 'failed' && !output ? null : usage)
    return metered.settle(charge, (trx) =>
      models.recordCall(trx, { ...who, surface: 'v1', modelId: entry.id, status, usage, charge, response }),
    )
  }

  /** The hold for a call, or the first result of a request id seen before. */
  const meter = async (
    who: Attribution,
    { set, entry }: { set: ModelSet; entry: CatalogEntry },
    body: ChatCompletionRequest,
    streaming: boolean,
  ) => {
    const { stream: _s, stream_options: _o, ...params } = body
    const metered = await metering.begin({
      ...who,
      surface: 'v1',
      entry,
      billedBy: set.billedBy(entry),
      streaming,
      params,
      promptText: JSON.stringify(body.messages) + (body.tools ? JSON.stringify(body.tools) : ''),
      maxOutputTokens: maxOutputTokens(entry, body),
    })
    if (!metered.replay) return { metered, replayed: undefined }
    const prior = await recordedCall(db, who.workspaceId, who.requestId)
    if (!prior?.response) throw requestErrors.not_replayable({ why: prior ? 'failed' : 'running' })
    return { metered, replayed: { completion: prior.response as Completion, charged: prior.charged ?? 0n } }
  }

  return {
    recoverStream,
    resolveModel,
    meter,

    async complete(
      who: Attribution,
      resolved: { set: ModelSet; entry: CatalogEntry },
      body: ChatCompletionRequest,
    ): Promise<{ completion: Completion; billing: Billing }> {
      const { set, entry } = resolved
      const { metered, replayed } = await meter(who, resolved, body, false)
      if (replayed)
        return {
          completion: replayed.completion,
          billing: { estimate: metered.hold.amount, charged: replayed.charged, replay: true },
        }
      const { promptText, ...options } = callOptions(set, entry, body)
      let result
      try {
        result = await generateText(options)
      } catch (err) {
        await finish(who, entry, metered, 'failed', normalizeUsage(undefined, { prompt: promptText, output: '' }), '')
        throw set.describeError(err, entry)
      }
      const usage = normalizeUsage(result.totalUsage, { prompt: promptText, output: result.text })
      const toolCalls = result.toolCalls.map((c) => ({
        id: c.toolCallId,
        type: 'function' as const,
        function: { name: c.toolName, arguments: JSON.stringify(c.input) },
      }))
      const completion: Completion = {
        id: completionId(),
        object: 'chat.completion' as const,
        created: Math.floor(Date.now() / 1000),
        model: entry.id,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant' as const,
              content: result.text || (toolCalls.length ? null : ''),
              ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
            },
            finish_reason: finishReason(result.finishReason),
            logprobs: null,
          },
        ],
        usage: openAiUsage(usage),
      }
      const settled = await finish(
        who,
        entry,
        metered,
        'complete',
        usage,
        result.text || JSON.stringify(toolCalls),
        completion,
      )
      return { completion, billing: { estimate: metered.hold.amount, charged: settled.charged, replay: false } }
    },

    /** A stored completion replayed as the chunks a stream would have sent. */
    *replayChunks(completion: Completion, includeUsage: boolean) {
      const base = {
        id: completion.id,
        object: 'chat.completion.chunk' as const,
        created: completion.created,
        model: completion.model,
      }
      const choice = completion.choices[0]!
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
        ...base,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      })
      yield chunk({ role: 'assistant', content: '' })
      if (choice.message.content) yield chunk({ content: choice.message.content })
      if (choice.message.tool_calls?.length)
        yield chunk({ tool_calls: choice.message.tool_calls.map((c, index) => ({ index, ...(c as object) })) })
      yield chunk({}, choice.finish_reason)
      if (includeUsage) yield { ...base, choices: [], usage: completion.usage }
    },

    /** Yields `chat.completion.chunk` objects; the caller writes them as `data:` lines. Usage is recorded at the end. */
    async *stream(
      who: Attribution,
      { set, entry }: { set: ModelSet; entry: CatalogEntry },
      metered: MeteredCall,
      body: ChatCompletionRequest,
      abortSignal: AbortSignal,
    ) {
      const { promptText, ...options } = callOptions(set, entry, body, abortSignal)
      const base = {
        id: completionId(),
        object: 'chat.completion.chunk' as const,
        created: Math.floor(Date.now() / 1000),
        model: entry.id,
      }
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
        ...base,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      })
      let text = ''
      const toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = []
      let reported: Parameters<typeof normalizeUsage>[0]
      let reason = 'stop'
      let status: 'complete' | 'cancelled' | 'failed' = 'complete'
      let started = false
      let savedAt = Date.now()
      let saving: Promise<unknown> | undefined
      // The first chunk is sent only once the model has answered, so an upstream refusal (401, 429, 5xx)
      // still reaches the caller as an HTTP error with its status, not as an event after a 200.
      const start = function* () {
        if (!started) {
          started = true
          yield chunk({ role: 'assistant', content: '' })
        }
      }
      try {
        for await (const part of streamText({ ...options, onError: () => undefined }).fullStream) {
          if (part.type === 'text-delta' || part.type === 'tool-call' || part.type === 'finish') yield* start()
          if (part.type === 'text-delta') {
            text += part.text
            yield chunk({ content: part.text })
            if (Date.now() - savedAt >= PROGRESS_EVERY_MS) {
              savedAt = Date.now()
              const snapshot = text
              saving = (saving ?? Promise.resolve()).then(() => saveProgress(who, snapshot)).catch(() => undefined)
            }
          } else if (part.type === 'tool-call') {
            const call = {
              id: part.toolCallId,
              type: 'function' as const,
              function: { name: part.toolName, arguments: JSON.stringify(part.input) },
            }
            yield chunk({ tool_calls: [{ index: toolCalls.length, ...call }] })
            toolCalls.push(call)
          } else if (part.type === 'finish') {
            reported = part.totalUsage
            reason = part.finishReason
          } else if (part.type === 'abort') status = 'cancelled'
          else if (part.type === 'error') throw part.error
        }
      } catch (err) {
        status = abortSignal.aborted ? 'cancelled' : 'failed'
        if (status === 'failed') {
          const e = set.describeError(err, entry)
          if (!started) {
            await finish(
              who,
              entry,
              metered,
              'failed',
              normalizeUsage(reported, { prompt: promptText, output: text }),
              text,
            )
            throw e
          }
          yield { error: { message: e.message, type: 'api_error', code: e.code } }
        }
      }
      yield* start()
      const usage = normalizeUsage(reported, { prompt: promptText, output: text })
      const final = abortSignal.aborted ? 'cancelled' : status
      const completion: Completion = {
        ...base,
        object: 'chat.completion',
        usage: openAiUsage(usage),
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: text || (toolCalls.length ? null : ''),
              ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
            },
            finish_reason: finishReason(reason),
            logprobs: null,
          },
        ],
      }
      await finish(
        who,
        entry,
        metered,
        final,
        usage,
        text || JSON.stringify(toolCalls),
        final === 'complete' ? completion : undefined,
      )
      // Progress is saved only by this call (a request id seen before is replayed, never streamed again): nothing saved, nothing to delete.
      if (saving) {
        await saving
        await db
          .deleteFrom('streamProgress')
          .where('workspaceId', '=', who.workspaceId)
          .where('requestId', '=', who.requestId)
          .execute()
      }
      if (status === 'complete') {
        yield chunk({}, finishReason(reason))
        if (body.stream_options?.include_usage) yield { ...base, choices: [], usage: openAiUsage(usage) }
      }
    },
  }
}
export type GatewayService = ReturnType<typeof createGatewayService>
