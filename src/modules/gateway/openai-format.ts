import { jsonSchema, tool, type ModelMessage, type ToolSet } from 'ai'
import { z } from 'zod'
import { gatewayErrors } from './gateway.errors.ts'

const Text = z.union([
  z.string(),
  z.array(
    z.looseObject({
      type: z.string(),
      text: z.string().optional(),
      image_url: z.looseObject({ url: z.string() }).optional(),
    }),
  ),
])
const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
})
const Message = z.discriminatedUnion('role', [
  z.looseObject({ role: z.enum(['system', 'developer']), content: Text }),
  z.looseObject({ role: z.literal('user'), content: Text }),
  z.looseObject({
    role: z.literal('assistant'),
    content: Text.nullable().optional(),
    tool_calls: z.array(ToolCall).optional(),
  }),
  z.looseObject({ role: z.literal('tool'), tool_call_id: z.string(), content: Text }),
])

/**
 * The Chat Completions request as OpenAI clients send it. Unlike our own API, unknown fields are accepted
 * (and ignored): clients send many optional parameters and must keep working against Camarad.
 */
export const ChatCompletionRequest = z
  .looseObject({
    model: z.string().min(1).max(120),
    messages: z.array(Message).min(1).max(500),
    stream: z.boolean().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string())])
      .nullable()
      .optional(),
    tools: z
      .array(
        z.looseObject({
          type: z.literal('function'),
          function: z.looseObject({
            name: z.string().max(64),
            description: z.string().optional(),
            parameters: z.record(z.string(), z.unknown()).optional(),
          }),
        }),
      )
      .max(128)
      .optional(),
    tool_choice: z
      .union([
        z.enum(['auto', 'none', 'required']),
        z.looseObject({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
      ])
      .optional(),
  })
  .meta({ id: 'ChatCompletionRequest' })
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>

/**
 * The most text one request may carry, in characters: message contents, tool-call arguments and tool definitions
 * together. Counting, estimating and relaying a request are linear in it; the body limit (BODY_LIMIT_BYTES) alone
 * would let escaped or multi-byte text through several times over.
 */
export const MAX_REQUEST_CONTENT_CHARS = 400_000

const contentChars = (content: z.infer<typeof Text> | null | undefined) =>
  typeof content === 'string'
    ? content.length
    : (content ?? []).reduce((n, p) => n + (p.text?.length ?? 0) + (p.image_url?.url.length ?? 0), 0)

/**
 * Bounds what one request makes us do: 413 `gateway.content_too_large` past `MAX_REQUEST_CONTENT_CHARS` characters
 * of text. (JSON nested too deep never gets here: the platform's input guard refuses it for every route.)
 */
export const assertRequestBounds = (body: ChatCompletionRequest) => {
  let chars = body.tools ? JSON.stringify(body.tools).length : 0
  for (const m of body.messages) {
    chars += contentChars(m.content as z.infer<typeof Text> | null | undefined)
    if (m.role === 'assistant') for (const c of m.tool_calls ?? []) chars += c.function.arguments.length
  }
  if (chars > MAX_REQUEST_CONTENT_CHARS) {
    throw gatewayErrors.content_too_large({ chars, maxChars: MAX_REQUEST_CONTENT_CHARS })
  }
}

const textOf = (content: z.infer<typeof Text> | null | undefined) =>
  typeof content === 'string'
    ? content
    : (content ?? [])
        .filter((p) => p.type === 'text')
        .map((p) => p.text ?? '')
        .join('')

/**
 * 400 `gateway.invalid_tool_arguments` when an assistant message's tool call carries arguments that are not JSON: the
 * same refusal whether the request then goes through the AI SDK (which parses them) or is relayed as sent.
 */
export const assertToolArguments = (messages: ChatCompletionRequest['messages']) => {
  for (const m of messages) {
    if (m.role !== 'assistant' || !m.tool_calls) continue
    for (const c of m.tool_calls) {
      try {
        JSON.parse(c.function.arguments || '{}')
      } catch {
        throw gatewayErrors.invalid_tool_arguments({ callId: c.id })
      }
    }
  }
}

/** OpenAI messages → AI SDK messages; system messages become the system prompt. */
export const toModelMessages = (messages: ChatCompletionRequest['messages']) => {
  const toolNames = new Map<string, string>()
  const system: string[] = []
  const out: ModelMessage[] = []
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer') system.push(textOf(m.content))
    else if (m.role === 'user') out.push({ role: 'user', content: textOf(m.content) })
    else if (m.role === 'assistant') {
      const calls = (m.tool_calls ?? []).map((c) => {
        toolNames.set(c.id, c.function.name)
        let input: unknown
        try {
          input = JSON.parse(c.function.arguments || '{}')
        } catch {
          throw gatewayErrors.invalid_tool_arguments({ callId: c.id })
        }
        return { type: 'tool-call' as const, toolCallId: c.id, toolName: c.function.name, input }
      })
      const text = textOf(m.content)
      out.push({ role: 'assistant', content: [...(text ? [{ type: 'text' as const, text }] : []), ...calls] })
    } else {
      const id = String(m.tool_call_id)
      out.push({
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: id,
            toolName: toolNames.get(id) ?? 'unknown',
            output: { type: 'text', value: textOf(m.content as z.infer<typeof Text>) },
          },
        ],
      })
    }
  }
  return { system: system.join('\n\n') || undefined, messages: out }
}

/** Tools are passed through without an implementation: the model's calls go back to the caller to run. */
export const toTools = (tools: ChatCompletionRequest['tools']): ToolSet | undefined =>
  tools?.length
    ? Object.fromEntries(
        tools.map((t) => [
          t.function.name,
          tool({
            description: t.function.description,
            inputSchema: jsonSchema(
              (t.function.parameters ?? { type: 'object', properties: {} }) as Parameters<typeof jsonSchema>[0],
            ),
          }),
        ]),
      )
    : undefined

export const toToolChoice = (choice: ChatCompletionRequest['tool_choice']) =>
  choice === undefined
    ? undefined
    : typeof choice === 'string'
      ? choice
      : { type: 'tool' as const, toolName: choice.function.name }

export const finishReason = (reason: string) =>
  (
    ({ stop: 'stop', length: 'length', 'tool-calls': 'tool_calls', 'content-filter': 'content_filter' }) as Record<
      string,
      string
    >
  )[reason] ?? 'stop'

export const openAiUsage = (u: {
  inputTokens: number
  outputTokens: number
  cachedInputTokens: number
  reasoningTokens: number
}) => ({
  prompt_tokens: u.inputTokens,
  completion_tokens: u.outputTokens,
  total_tokens: u.inputTokens + u.outputTokens,
  prompt_tokens_details: { cached_tokens: u.cachedInputTokens },
  completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
})
