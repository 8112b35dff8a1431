import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4FinishReason,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from '@ai-sdk/provider'
import { countTokens } from '../../platform/tokens/count-tokens.ts'
import { composeOfflineAnswer, promptText } from './offline-answer.ts'

export const OFFLINE_MODEL_MAX_OUTPUT_TOKENS = 1_024
const TEXT_ID = 'offline-text'

/** Word-sized pieces (each with the whitespace before it), so joining them gives back the text exactly. */
const toChunks = (text: string) => text.match(/\s*\S+/g) ?? []

/** Keeps whole chunks while they fit the token budget; `truncated` tells the caller to report 'length'. */
const fitToBudget = (chunks: string[], maxTokens: number) => {
  const kept: string[] = []
  let used = 0
  for (const chunk of chunks) {
    // A chunk's own count is never below its share of the whole text, so the sum bounds the real count.
    used += countTokens(chunk)
    if (used > maxTokens) return { chunks: kept, truncated: true }
    kept.push(chunk)
  }
  return { chunks: kept, truncated: false }
}

const usageOf = (inputTokens: number, text: string): LanguageModelV4Usage => {
  const output = countTokens(text)
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  }
}

const finishReason = (truncated: boolean, aborted = false): LanguageModelV4FinishReason =>
  aborted
    ? { unified: 'other', raw: 'aborted' }
    : truncated
      ? { unified: 'length', raw: 'max_tokens' }
      : { unified: 'stop', raw: 'stop' }

/** Tools are ignored: the offline model only writes text. */
const plan = (call: LanguageModelV4CallOptions) => {
  const answer = fitToBudget(
    toChunks(composeOfflineAnswer(call.prompt)),
    Math.min(call.maxOutputTokens ?? Infinity, OFFLINE_MODEL_MAX_OUTPUT_TOKENS),
  )
  const responseId = `offline-${createHash('sha256').update(JSON.stringify(call.prompt)).digest('hex').slice(0, 24)}`
  return { ...answer, inputTokens: countTokens(promptText(call.prompt)), responseId }
}

/** Resolves false instead of throwing when the caller aborts, so the stream can end cleanly. */
const pause = (ms: number, signal?: AbortSignal) =>
  ms > 0
    ? sleep(ms, undefined, { signal }).then(
        () => !signal?.aborted,
        () => false,
      )
    : Promise.resolve(!signal?.aborted)

async function* streamParts(
  call: LanguageModelV4CallOptions,
  delayMs: number,
): AsyncGenerator<LanguageModelV4StreamPart> {
  const { chunks, truncated, inputTokens, responseId } = plan(call)
  yield { type: 'stream-start', warnings: [] }
  yield { type: 'response-metadata', id: responseId, modelId: 'camarad-offline', timestamp: new Date() }
  yield { type: 'text-start', id: TEXT_ID }
  let text = ''
  let aborted = Boolean(call.abortSignal?.aborted)
  for (const [i, delta] of chunks.entries()) {
    if (aborted || (i > 0 && !(await pause(delayMs, call.abortSignal)))) {
      aborted = true
      break
    }
    text += delta
    yield { type: 'text-delta', id: TEXT_ID, delta }
  }
  yield { type: 'text-end', id: TEXT_ID }
  // Even an aborted answer reports what it produced, so the caller can meter the part that was shown.
  yield { type: 'finish', usage: usageOf(inputTokens, text), finishReason: finishReason(truncated, aborted) }
}

const toReadableStream = <T>(parts: AsyncGenerator<T>) =>
  new ReadableStream<T>({
    async pull(controller) {
      const next = await parts.next()
      if (next.done) controller.close()
      else controller.enqueue(next.value)
    },
    async cancel() {
      await parts.return(undefined)
    },
  })

/**
 * A real provider that never touches the network: it composes a clearly labelled answer from the prompt,
 * deterministically, and streams it word by word with usage counted by gpt-tokenizer.
 */
export const createOfflineModel = (options: { chunkDelayMs: number }): LanguageModelV4 => ({
  specificationVersion: 'v4',
  provider: 'offline',
  modelId: 'camarad-offline',
  supportedUrls: {},
  async doGenerate(call) {
    const { chunks, truncated, inputTokens, responseId } = plan(call)
    const text = chunks.join('')
    return {
      content: [{ type: 'text', text }],
      finishReason: finishReason(truncated),
      usage: usageOf(inputTokens, text),
      response: { id: responseId, modelId: 'camarad-offline', timestamp: new Date() },
      warnings: [],
    }
  },
  async doStream(call) {
    return { stream: toReadableStream(streamParts(call, options.chunkDelayMs)) }
  },
})
