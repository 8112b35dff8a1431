import {
  InvalidToolInputError,
  NoSuchToolError,
  streamText,
  type LanguageModel,
  type ModelMessage,
  type StepResult,
  type ToolSet,
} from 'ai'
import { AppError } from '../../platform/http/errors.ts'
import { ToolRefusedError } from '../tools/tools.module.ts'
import type { Handle } from '../../platform/db/database.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'
import { normalizeUsage, type CatalogEntry, type ModelSet } from '../models/models.module.ts'
import { creditsErrors, type MeteredCall } from '../credits/credits.module.ts'
import { messages } from './chat.repository.ts'
import type { ChatEvent } from '../../../contracts/chat.ts'
import type { RunLog } from '../../platform/runs/run-log.ts'
import { own } from '../../platform/db/database.ts'
import type { ChatTables } from './chat.tables.ts'

export type RunInput = {
  scope: ClientScope
  requestId: string
  tokenId: string | null
  runId: string
  messageId: string
  entry: CatalogEntry
  model: LanguageModel
  system: string
  history: ModelMessage[]
  tools: ToolSet
  /** Parts recorded as the answer goes (tool calls, results, hand-offs), saved with it. */
  parts: unknown[]
  log: RunLog<ChatEvent>
  abort: AbortController
  /** Moves the run out of "running" in the answer's transaction; false when a cancel got there first. */
  finishRun: (trx: Handle, status: 'completed' | 'cancelled' | 'failed') => Promise<boolean>
  agentId: string
  /** The credits held for this answer: settled on what it used once it is saved. */
  metered: MeteredCall
}

/** Model steps one answer may take (tool rounds, then the answer). */
const MAX_STEPS = 4

/** What the user may read about a failed tool call: our own errors say what happened; anything else stays generic. */
const toolErrorMessage = (err: unknown) =>
  err instanceof AppError || err instanceof ToolRefusedError
    ? err.message
    : NoSuchToolError.isInstance(err)
      ? 'This agent cannot use that tool here.'
      : InvalidToolInputError.isInstance(err)
        ? 'The tool was called with input it does not accept.'
        : 'The tool failed.'

/**
 * Runs one answer to the end whatever happens to the HTTP request that started it: the text is saved as it
 * completes, a cancel (from this process, or from another one through the run's row) stops it and keeps what
 * was generated, and a provider failure is saved as a clear error.
 */
export const executeRun = async (models: ModelSet, input: RunInput) => {
  const { scope, log, abort } = input
  let text = ''
  const { parts } = input
  let reported: Parameters<typeof normalizeUsage>[0]
  let failure: { code: string; message: string } | undefined
  // Before each further step (a tool round), hold credits for it; when that hold is refused the answer stops there,
  // charged for the steps it took, which its holds covered.
  let refused: AppError | undefined
  const promptOf = (steps: StepResult<ToolSet>[]) =>
    [
      input.system,
      ...input.history.map((m) => JSON.stringify(m.content)),
      ...steps.flatMap((st) => st.response.messages.map((m) => JSON.stringify(m.content))),
    ].join('\n')
  const stopBeforeNextStep = async ({ steps }: { steps: StepResult<ToolSet>[] }) => {
    if (steps.length >= MAX_STEPS || abort.signal.aborted) return true
    try {
      await input.metered.holdNextStep(promptOf(steps))
      return false
    } catch (err) {
      refused = err instanceof AppError ? err : creditsErrors.hold_unavailable()
      return true
    }
  }
  try {
    const result = streamText({
      model: input.model,
      system: input.system,
      messages: input.history,
      abortSignal: abort.signal,
      maxOutputTokens: Math.min(input.entry.maxOutputTokens, 4096),
      maxRetries: 2,
      tools: input.tools,
      stopWhen: stopBeforeNextStep,
      // Failures arrive as `error` parts below; without this the SDK prints them, request body (the prompt) included.
      onError: () => undefined,
    })
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') {
        text += part.text
        log.push({ type: 'delta', text: part.text })
      } else if (part.type === 'tool-call') {
        const call = {
          type: 'tool-call' as const,
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: part.input,
        }
        parts.push(call)
        log.push(call)
      } else if (part.type === 'tool-result' || part.type === 'tool-error') {
        const result = {
          type: 'tool-result' as const,
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          ...(part.type === 'tool-result' ? { output: part.output } : { error: toolErrorMessage(part.error) }),
        }
        parts.push(result)
        log.push(result)
      } else if (part.type === 'finish') {
        reported = part.totalUsage
      } else if (part.type === 'error') {
        throw part.error
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) {
      const e = models.describeError(err, input.entry)
      failure = { code: e.code, message: e.message }
    }
  }
  if (refused && !failure && !abort.signal.aborted)
    failure = { code: refused.code, message: `The answer stopped before its next step: ${refused.message}` }
  const usage = normalizeUsage(reported, {
    prompt: () => input.system + input.history.map((m) => JSON.stringify(m.content)).join('\n'),
    output: text,
  })
  let status: 'complete' | 'cancelled' | 'failed' = abort.signal.aborted ? 'cancelled' : failure ? 'failed' : 'complete'
  // A call that failed before the provider wrote anything is not charged; a cancelled one pays for what it wrote.
  // After the commit: if this process dies before the settle, the sweeper settles the hold from the recorded call.
  const { settled } = await input.metered.complete({
    usage,
    free: Boolean(failure && !text && !parts.length),
    agentId: input.agentId,
    within: async (trx, charge) => {
      // Whoever moves the run out of "running" first decides; a cancel that won keeps the partial text as cancelled.
      if (!(await input.finishRun(trx, status === 'complete' ? 'completed' : status))) status = 'cancelled'
      await messages.finish(own<ChatTables>(trx), scope, input.messageId, {
        content: text,
        status,
        usage: { ...usage, charged: Number(charge?.charged ?? 0n) },
        error: failure ?? null,
        parts,
      })
      return status
    },
  })
  log.push({
    type: 'usage',
    usage: { ...usage, charged: Number(settled.charged) },
    charged: Number(settled.charged),
    available: Number(settled.available),
  })
  if (failure) log.push({ type: 'error', ...failure })
  log.push({ type: 'done', messageId: input.messageId, status })
  await log.flush()
}
