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
  type OpenAiEndpoint,
} from '../models/models.module.ts'
import type { MeteredCall, Metering, CreditHold } from '../credits/credits.module.ts'
import { postChatCompletions, readAll, sseData, streamError } from './openai-relay.ts'
import {
  assertToolArguments,
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
type ToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } }

/** Usage as OpenAI-format upstreams report it. */
type WireUsage = {
  prompt_tokens?: number
  completion_tokens?: number
  prompt_tokens_details?: { cached_tokens?: number } | null
  completion_tokens_details?: { reasoning_tokens?: number } | null
}
/** A `chat.completion.chunk` as an upstream sends it: only what the relay reads is typed. */
type WireChunk = {
  id?: string
  model?: string
  created?: number
  error?: unknown
  usage?: WireUsage | null
  choices?: {
    delta?: {
      content?: string | null
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[]
    }
    finish_reason?: string | null
  }[]
}
type WireCompletion = {
  error?: unknown
  usage?: WireUsage | null
  choices?: {
    message?: {
      content?: string | null
      tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[] | null
    }
    finish_reason?: string | null
  }[]
}

/** The upstream's usage in the shape `normalizeUsage` reads (the AI SDK's). */
const reportedUsage = (u: WireUsage | null | undefined): Parameters<typeof normalizeUsage>[0] =>
  u
    ? {
        inputTokens: u.prompt_tokens,
        outputTokens: u.completion_tokens,
        inputTokenDetails: { cacheReadTokens: u.prompt_tokens_details?.cached_tokens },
        outputTokenDetails: { reasoningTokens: u.completion_tokens_details?.reasoning_tokens },
      }
    : undefined

/** What the model generated, as text to count when the upstream reported no usage (its text and its tool calls). */
const generated = (text: string, toolCalls: ToolCall[]) =>
  toolCalls.length ? text + toolCalls.map((c) => c.function.name + c.function.arguments).join('') : text
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
  /**
   * Once the call is settled its saved progress is of no use. Progress is saved only by the call that streams (a
   * request id seen before is replayed, never streamed again): nothing saved, nothing to delete.
   */
  const dropProgress = async (who: Attribution, saving: Promise<unknown> | undefined) => {
    if (!saving) return
    await saving
    await db
      .deleteFrom('streamProgress')
      .where('workspaceId', '=', who.workspaceId)
      .where('requestId', '=', who.requestId)
      .execute()
  }

  /** The workspace's models, and the entry a request names: `gpt-4o-mini` means the first configured entry with that model id. */
  const resolveModel = async (
    workspaceId: string,
    name: string,
    since?: number,
  ): Promise<{ set: ModelSet; entry: CatalogEntry }> => {
    const set = await models.forWorkspace(workspaceId, since)
    const entry = set.find(name) ?? set.catalog().find((e) => e.modelId === name)
    set.languageModel(entry?.id ?? name) // throws model.unknown with the catalog's wording
    return { set, entry: entry! }
  }

  const maxOutputTokens = (entry: CatalogEntry, body: ChatCompletionRequest) =>
    Math.min(body.max_completion_tokens ?? body.max_tokens ?? entry.maxOutputTokens, entry.maxOutputTokens)

  /**
   * The caller's request as the upstream gets it: every parameter passed through, but the model is the entry's
   * provider id, the output cap is ours, one choice (`n` dropped), and a stream always asks for its usage.
   */
  const upstreamRequest = (entry: CatalogEntry, body: ChatCompletionRequest, stream: boolean) => {
    const {
      model: _model,
      stream: _stream,
      stream_options: streamOptions,
      max_tokens: _maxTokens,
      max_completion_tokens: maxCompletionTokens,
      n: _n,
      ...params
    } = body as ChatCompletionRequest & { n?: unknown }
    const request: Record<string, unknown> = { ...params, model: entry.modelId }
    // OpenAI takes max_completion_tokens for every chat model (max_tokens is refused by its reasoning models);
    // an OpenAI-compatible server gets the field its caller used, max_tokens (the one all of them know) by default.
    if (entry.provider === 'openai' || maxCompletionTokens != null)
      request.max_completion_tokens = maxOutputTokens(entry, body)
    else request.max_tokens = maxOutputTokens(entry, body)
    if (stream) {
      request.stream = true
      request.stream_options = { ...streamOptions, include_usage: true }
    }
    return request
  }

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
    const call = models.callStatement({ ...who, surface: 'v1', modelId: entry.id, status, usage, charge, response })
    const settled = await metered.settle(charge, { record: call.insert })
    call.written()
    return settled
  }

  /** The hold for a call, or the first result of a request id seen before. */
  const meter = async (
    who: Attribution,
    { set, entry }: { set: ModelSet; entry: CatalogEntry },
    body: ChatCompletionRequest,
    streaming: boolean,
  ) => {
    // Refused before any hold is taken: nothing to release.
    assertToolArguments(body.messages)
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

  const newCompletion = (
    entry: CatalogEntry,
    text: string,
    toolCalls: ToolCall[],
    reason: string | null | undefined,
    usage: Usage,
    base = { id: completionId(), created: Math.floor(Date.now() / 1000) },
  ): Completion => ({
    id: base.id,
    object: 'chat.completion',
    created: base.created,
    model: entry.id,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || (toolCalls.length ? null : ''),
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: reason || 'stop',
        logprobs: null,
      },
    ],
    usage: openAiUsage(usage),
  })

  /** A non-streaming call relayed to an OpenAI-format upstream: one JSON answer, parsed once. */
  const relayComplete = async (
    who: Attribution,
    set: ModelSet,
    entry: CatalogEntry,
    endpoint: OpenAiEndpoint,
    metered: MeteredCall,
    body: ChatCompletionRequest,
  ) => {
    const promptText = () => JSON.stringify(body.messages)
    let answer: WireCompletion
    try {
      const res = await postChatCompletions(endpoint, upstreamRequest(entry, body, false), { stream: false })
      answer = JSON.parse((await readAll(res)).toString('utf8')) as WireCompletion
      if (answer?.error) throw streamError(answer.error)
    } catch (err) {
      await finish(who, entry, metered, 'failed', normalizeUsage(undefined, { prompt: promptText, output: '' }), '')
      throw set.describeError(err, entry)
    }
    const choice = answer.choices?.[0]
    const text = typeof choice?.message?.content === 'string' ? choice.message.content : ''
    const toolCalls: ToolCall[] = (choice?.message?.tool_calls ?? []).map((c) => ({
      id: c.id ?? '',
      type: 'function',
      function: { name: c.function?.name ?? '', arguments: c.function?.arguments ?? '' },
    }))
    const usage = normalizeUsage(reportedUsage(answer.usage), {
      prompt: promptText,
      output: generated(text, toolCalls),
    })
    const completion = newCompletion(entry, text, toolCalls, choice?.finish_reason, usage)
    const settled = await finish(who, entry, metered, 'complete', usage, text || JSON.stringify(toolCalls), completion)
    return { completion, charged: settled.charged }
  }

  /**
   * A stream relayed from an OpenAI-format upstream: its chunks are parsed as they arrive (for the text the sweeper
   * saves, the tool calls and the usage) and passed on with our id and model. Behaves as the AI SDK path: the first
   * chunk only once the model has produced output, the finishing chunk only once the call is settled, usage sent
   * only when the caller asked for it (the upstream is always asked), progress saved every 2 s.
   */
  async function* relayStream(
    who: Attribution,
    set: ModelSet,
    entry: CatalogEntry,
    endpoint: OpenAiEndpoint,
    metered: MeteredCall,
    body: ChatCompletionRequest,
    abortSignal: AbortSignal,
  ) {
    const promptText = () => JSON.stringify(body.messages)
    const base = {
      id: completionId(),
      object: 'chat.completion.chunk' as const,
      created: Math.floor(Date.now() / 1000),
      model: entry.id,
    }
    let text = ''
    const toolCalls: ToolCall[] = []
    let reported: Parameters<typeof normalizeUsage>[0]
    let reason: string | null = null
    let status: 'complete' | 'cancelled' | 'failed' = 'complete'
    // Chunks before the model's first output (the role chunk) wait with it; the finishing chunk waits for the settle.
    let started = false
    const before: WireChunk[] = []
    let finishing: WireChunk | undefined
    let savedAt = Date.now()
    let saving: Promise<unknown> | undefined
    try {
      const res = await postChatCompletions(endpoint, upstreamRequest(entry, body, true), {
        signal: abortSignal,
        stream: true,
      })
      for await (const data of sseData(res.body)) {
        if (abortSignal.aborted) {
          status = 'cancelled'
          break
        }
        const chunk = JSON.parse(data) as WireChunk
        if (chunk.error) throw streamError(chunk.error)
        if (chunk.usage) reported = reportedUsage(chunk.usage)
        const choice = chunk.choices?.[0]
        // The usage chunk (no choices): ours, from the settled usage, is sent at the end when the caller asked.
        if (!choice) continue
        chunk.id = base.id
        chunk.model = base.model
        chunk.created = base.created
        delete chunk.usage
        const delta = choice.delta
        let output = false
        if (delta?.content) {
          text += delta.content
          output = true
        }
        if (delta?.tool_calls?.length) {
          for (const d of delta.tool_calls) {
            const call = (toolCalls[d.index ?? toolCalls.length] ??= {
              id: '',
              type: 'function',
              function: { name: '', arguments: '' },
            })
            if (d.id) call.id = d.id
            if (d.function?.name && !call.function.name) call.function.name = d.function.name
            if (d.function?.arguments) call.function.arguments += d.function.arguments
          }
          output = true
        }
        if (output && Date.now() - savedAt >= PROGRESS_EVERY_MS) {
          savedAt = Date.now()
          const snapshot = generated(text, toolCalls)
          saving = (saving ?? Promise.resolve()).then(() => saveProgress(who, snapshot)).catch(() => undefined)
        }
        if (choice.finish_reason) {
          reason = choice.finish_reason
          finishing = chunk
          continue
        }
        if (!started) {
          if (!output) {
            before.push(chunk)
            continue
          }
          started = true
          yield* before
        }
        yield chunk
      }
    } catch (err) {
      status = abortSignal.aborted ? 'cancelled' : 'failed'
      if (status === 'failed') {
        const e = set.describeError(err, entry)
        if (!started) {
          const output = generated(text, toolCalls)
          await finish(who, entry, metered, 'failed', normalizeUsage(reported, { prompt: promptText, output }), output)
          throw e
        }
        yield { error: { message: e.message, type: 'api_error', code: e.code } }
      }
    }
    if (!started) {
      if (before.length) yield* before
      else
        yield {
          ...base,
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }],
        }
    }
    const calls = toolCalls.filter(Boolean)
    const usage = normalizeUsage(reported, { prompt: promptText, output: generated(text, calls) })
    const final = abortSignal.aborted ? 'cancelled' : status
    await finish(
      who,
      entry,
      metered,
      final,
      usage,
      text || JSON.stringify(calls),
      final === 'complete' ? newCompletion(entry, text, calls, reason, usage, base) : undefined,
    )
    await dropProgress(who, saving)
    if (status === 'complete') {
      yield (
        finishing ?? { ...base, choices: [{ index: 0, delta: {}, finish_reason: reason || 'stop', logprobs: null }] }
      )
      if (body.stream_options?.include_usage) yield { ...base, choices: [], usage: openAiUsage(usage) }
    }
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
      const endpoint = set.openAiEndpoint(entry)
      if (endpoint) {
        const { completion, charged } = await relayComplete(who, set, entry, endpoint, metered, body)
        return { completion, billing: { estimate: metered.hold.amount, charged, replay: false } }
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
      const completion = newCompletion(entry, result.text, toolCalls, finishReason(result.finishReason), usage)
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
      const endpoint = set.openAiEndpoint(entry)
      if (endpoint) return yield* relayStream(who, set, entry, endpoint, metered, body, abortSignal)
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
      const completion = newCompletion(entry, text, toolCalls, finishReason(reason), usage, base)
      await finish(
        who,
        entry,
        metered,
        final,
        usage,
        text || JSON.stringify(toolCalls),
        final === 'complete' ? completion : undefined,
      )
      await dropProgress(who, saving)
      if (status === 'complete') {
        yield chunk({}, finishReason(reason))
        if (body.stream_options?.include_usage) yield { ...base, choices: [], usage: openAiUsage(usage) }
      }
    },
  }
}
export type GatewayService = ReturnType<typeof createGatewayService>
