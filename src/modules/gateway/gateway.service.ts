import { randomBytes } from 'node:crypto'
import { generateText, streamText } from 'ai'
import type { Db } from '../../platform/db/database.ts'
import { normalizeUsage, recordModelCall, type CatalogEntry, type ModelSet, type ModelsModule } from '../models/models.module.ts'
import { finishReason, openAiUsage, toModelMessages, toToolChoice, toTools, type ChatCompletionRequest } from './openai-format.ts'

export type Attribution = { workspaceId: string; clientId: string | null; userId: string; tokenId: string; requestId: string }

const completionId = () => `chatcmpl-${randomBytes(12).toString('base64url')}`

/** OpenAI Chat Completions on top of the model registry: same models, same usage records as the app's chat. */
export const createGatewayService = ({ db, models }: { db: Db; models: ModelsModule }) => {
  /** `gpt-4o-mini` or `openai:gpt-4o-mini`: a bare model id names the first configured catalog entry with it. */
  /** The workspace's models, and the entry a request names: `gpt-4o-mini` means the first configured entry with that model id. */
  const resolveModel = async (workspaceId: string, name: string): Promise<{ set: ModelSet; entry: CatalogEntry }> => {
    const set = await models.forWorkspace(workspaceId)
    const entry = set.find(name) ?? set.catalog().find((e) => e.modelId === name)
    set.languageModel(entry?.id ?? name) // throws model.unknown with the catalog's wording
    return { set, entry: entry! }
  }

  const callOptions = (set: ModelSet, entry: CatalogEntry, body: ChatCompletionRequest, abortSignal?: AbortSignal) => {
    const { system, messages } = toModelMessages(body.messages)
    return {
      model: set.languageModel(entry.id), system, messages, abortSignal, maxRetries: 2,
      tools: toTools(body.tools), toolChoice: toToolChoice(body.tool_choice),
      maxOutputTokens: Math.min(body.max_completion_tokens ?? body.max_tokens ?? entry.maxOutputTokens, entry.maxOutputTokens),
      temperature: body.temperature ?? undefined, topP: body.top_p ?? undefined,
      stopSequences: body.stop ? ([] as string[]).concat(body.stop) : undefined,
      promptText: () => JSON.stringify(body.messages),
    }
  }

  const record = (who: Attribution, entry: CatalogEntry, status: 'complete' | 'cancelled' | 'failed', usage: ReturnType<typeof normalizeUsage>) =>
    recordModelCall(db, { ...who, surface: 'v1', modelId: entry.id, status, usage })

  return {
    resolveModel,

    async complete(who: Attribution, { set, entry }: { set: ModelSet; entry: CatalogEntry }, body: ChatCompletionRequest) {
      const { promptText, ...options } = callOptions(set, entry, body)
      let result
      try {
        result = await generateText(options)
      } catch (err) {
        await record(who, entry, 'failed', normalizeUsage(undefined, { prompt: promptText, output: '' }))
        throw set.describeError(err, entry)
      }
      const usage = normalizeUsage(result.totalUsage, { prompt: promptText, output: result.text })
      await record(who, entry, 'complete', usage)
      const toolCalls = result.toolCalls.map((c) => ({ id: c.toolCallId, type: 'function' as const, function: { name: c.toolName, arguments: JSON.stringify(c.input) } }))
      return {
        id: completionId(), object: 'chat.completion' as const, created: Math.floor(Date.now() / 1000), model: entry.id,
        choices: [{ index: 0, message: { role: 'assistant' as const, content: result.text || (toolCalls.length ? null : ''), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: finishReason(result.finishReason), logprobs: null }],
        usage: openAiUsage(usage),
      }
    },

    /** Yields `chat.completion.chunk` objects; the caller writes them as `data:` lines. Usage is recorded at the end. */
    async *stream(who: Attribution, { set, entry }: { set: ModelSet; entry: CatalogEntry }, body: ChatCompletionRequest, abortSignal: AbortSignal) {
      const { promptText, ...options } = callOptions(set, entry, body, abortSignal)
      const base = { id: completionId(), object: 'chat.completion.chunk' as const, created: Math.floor(Date.now() / 1000), model: entry.id }
      const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })
      let text = ''
      let toolIndex = 0
      let reported: Parameters<typeof normalizeUsage>[0]
      let reason = 'stop'
      let status: 'complete' | 'cancelled' | 'failed' = 'complete'
      let started = false
      // The first chunk is sent only once the model has answered, so an upstream refusal (401, 429, 5xx)
      // still reaches the caller as an HTTP error with its status, not as an event after a 200.
      const start = function* () {
        if (!started) { started = true; yield chunk({ role: 'assistant', content: '' }) }
      }
      try {
        for await (const part of streamText({ ...options, onError: () => undefined }).fullStream) {
          if (part.type === 'text-delta' || part.type === 'tool-call' || part.type === 'finish') yield* start()
          if (part.type === 'text-delta') { text += part.text; yield chunk({ content: part.text }) }
          else if (part.type === 'tool-call') yield chunk({ tool_calls: [{ index: toolIndex++, id: part.toolCallId, type: 'function', function: { name: part.toolName, arguments: JSON.stringify(part.input) } }] })
          else if (part.type === 'finish') { reported = part.totalUsage; reason = part.finishReason }
          else if (part.type === 'abort') status = 'cancelled'
          else if (part.type === 'error') throw part.error
        }
      } catch (err) {
        status = abortSignal.aborted ? 'cancelled' : 'failed'
        if (status === 'failed') {
          const e = set.describeError(err, entry)
          if (!started) {
            await record(who, entry, 'failed', normalizeUsage(reported, { prompt: promptText, output: text }))
            throw e
          }
          yield { error: { message: e.message, type: 'api_error', code: e.code } }
        }
      }
      yield* start()
      const usage = normalizeUsage(reported, { prompt: promptText, output: text })
      await record(who, entry, abortSignal.aborted ? 'cancelled' : status, usage)
      if (status === 'complete') {
        yield chunk({}, finishReason(reason))
        if (body.stream_options?.include_usage) yield { ...base, choices: [], usage: openAiUsage(usage) }
      }
    },
  }
}
export type GatewayService = ReturnType<typeof createGatewayService>
