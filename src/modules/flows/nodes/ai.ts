import {
  generateText,
  jsonSchema,
  NoObjectGeneratedError,
  Output,
  tool,
  type ModelMessage,
  type StepResult,
  type ToolSet,
} from 'ai'
import { sql, type Kysely } from 'kysely'
import { own } from '../../../platform/db/database.ts'
import { AppError } from '../../../platform/http/errors.ts'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import type { Metering } from '../../credits/credits.module.ts'
import { normalizeUsage, type CatalogEntry, type ModelSet } from '../../models/models.module.ts'
import type { FlowsTables } from '../flows.tables.ts'
import { defineNode, fatal, retryable, type NodeType } from '../registry.ts'
import { aiSpec } from './specs.ts'

/** What the AI step needs: the workspace's models, metering, and an agent's system prompt. */
export type AiStepDeps = {
  db: Kysely<FlowsTables>
  models: { forWorkspace(workspaceId: string): Promise<ModelSet> }
  metering: Metering
  /** An agent's system prompt for the client, and its preferred model (404 for an unknown agent). */
  agent(
    scope: ClientScope,
    agentId: string,
  ): Promise<{ system: string; modelId: string | null; tier: 'standard' | 'advanced' }>
}

type Turn = { role: 'user' | 'assistant'; content: string }
const DEFAULT_MAX_OUTPUT_TOKENS = 2000
/** Model rounds of one AI step with tools (as chat). */
const MAX_TOOL_ROUNDS = 4

/**
 * The AI step: a prompt (or an agent) answered by a model, metered like chat (estimate → hold → settle) with the
 * step's idempotency key as the ledger's request id — a step re-run after a crash finds its hold and is debited once.
 * The answer, the usage record, the step's checkpoint and the memory's new turns commit in one transaction.
 */
export const aiNode = (deps: AiStepDeps): NodeType =>
  defineNode({
    ...aiSpec,
    async execute(ctx) {
      const { config, scope } = ctx
      const set = await deps.models.forWorkspace(scope.workspaceId)
      const agent = config.agentId ? await deps.agent(scope, config.agentId).catch(() => undefined) : undefined
      if (config.agentId && !agent)
        throw fatal('flows.agent_not_found', 'The agent of this step does not exist any more.')
      const modelId = config.modelId ?? agent?.modelId ?? set.defaultModelId(agent?.tier ?? 'standard')
      const entry: CatalogEntry | undefined = set.find(modelId)
      if (!entry) throw fatal('flows.model_unavailable', `The model ${modelId} is not available on this server.`)
      const system = [agent?.system, config.instructions].filter(Boolean).join('\n\n') || undefined

      // Memory: the turns kept for what this run is about (a contact, a thread, a lead), read before the call.
      const memory = config.memory
        ? {
            namespace: config.memory.namespace === 'client' ? 'client' : `flow:${ctx.flowId}`,
            key: config.memory.key,
            maxTurns: config.memory.maxTurns,
          }
        : undefined
      const stored = memory
        ? await deps.db
            .selectFrom('flowMemories')
            .select(['messages', 'version'])
            .where('clientId', '=', scope.clientId)
            .where('namespace', '=', memory.namespace)
            .where('key', '=', memory.key)
            .executeTakeFirst()
        : undefined
      const history: Turn[] = stored?.messages ?? []
      const messages: ModelMessage[] = [...history, { role: 'user', content: config.prompt }]
      const promptText = [system ?? '', ...messages.map((m) => String(m.content))].join('\n')
      const maxOutputTokens = Math.min(config.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS, entry.maxOutputTokens)

      const metered = await deps.metering.begin({
        workspaceId: scope.workspaceId,
        clientId: scope.clientId,
        userId: scope.actingUserId,
        tokenId: null,
        surface: 'flow',
        requestId: ctx.idempotencyKey,
        entry,
        billedBy: set.billedBy(entry),
        promptText,
        maxOutputTokens,
        streaming: false,
        // The same step asks the same thing on every attempt: a changed prompt under the same key is refused.
        params: { model: entry.id, prompt: config.prompt, system: system ?? null, schema: config.outputSchema ?? null },
      })

      // Tools: other nodes' actions the model may call, each call a step of its own (ctx.runTool); every further model
      // round holds its own credits first (as chat's tool rounds), and the step stops where a hold is refused.
      let calls = 0
      const tools: ToolSet = Object.fromEntries(
        (config.tools ?? []).map((t) => [
          t.name,
          tool({
            description: t.description,
            inputSchema: jsonSchema<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
            execute: async (toolInput: Record<string, unknown>) =>
              ctx.runTool(++calls, { type: t.type, config: t.config }, toolInput),
          }),
        ]),
      )
      const promptOf = (steps: StepResult<ToolSet>[]) =>
        [promptText, ...steps.flatMap((st) => st.response.messages.map((m) => JSON.stringify(m.content)))].join('\n')
      const stopBeforeNextStep = async ({ steps }: { steps: StepResult<ToolSet>[] }) => {
        if (steps.length >= MAX_TOOL_ROUNDS || ctx.signal.aborted) return true
        try {
          await metered.holdNextStep(promptOf(steps))
          return false
        } catch {
          ctx.log('A further tool round was not held (credits): the step answers with what it has.')
          return true
        }
      }

      let text: string
      let reported: Parameters<typeof normalizeUsage>[0]
      let object: unknown
      try {
        const r = await generateText({
          model: set.languageModel(entry.id),
          system,
          messages,
          maxOutputTokens,
          maxRetries: 0,
          abortSignal: ctx.signal,
          ...(config.tools?.length ? { tools, stopWhen: stopBeforeNextStep } : {}),
          ...(config.outputSchema
            ? {
                output: Output.object({
                  schema: jsonSchema(config.outputSchema as Record<string, unknown>),
                  name: 'answer',
                }),
                providerOptions: { openai: { strictJsonSchema: false } },
              }
            : {}),
        })
        text = r.text
        reported = r.totalUsage
        if (config.outputSchema) object = r.output
      } catch (err) {
        if (config.outputSchema && NoObjectGeneratedError.isInstance(err)) {
          // The model answered, but not the shape asked for: charged for what it wrote, and not retried blindly.
          const usage = normalizeUsage(err.usage, { prompt: () => promptText, output: err.text ?? '' })
          await metered.complete({ usage, free: false, agentId: config.agentId ?? null, within: async () => 'failed' })
          throw fatal('flows.ai_output_invalid', 'The model did not answer in the requested structure.')
        }
        const described = err instanceof AppError ? err : set.describeError(err, entry)
        if (ctx.signal.aborted || ctx.finalAttempt || described.status < 500) {
          // The last attempt: the hold is released (nothing was produced), the call recorded as failed.
          await metered.complete({
            usage: normalizeUsage(undefined, { prompt: () => promptText, output: '' }),
            free: true,
            agentId: config.agentId ?? null,
            within: async () => 'failed',
          })
          throw described.status < 500
            ? fatal(described.code, described.message)
            : retryable(described.code, described.message)
        }
        // Another attempt follows: the hold stays, and the retry (same request id) settles on it.
        throw retryable(described.code, described.message)
      }

      const output = config.outputSchema ? object : { text }
      const usage = normalizeUsage(reported, { prompt: () => promptText, output: text })
      const turns: Turn[] = [...history, { role: 'user', content: config.prompt }, { role: 'assistant', content: text }]
      const { charge } = await metered.complete({
        usage,
        free: false,
        agentId: config.agentId ?? null,
        within: async (trx, c) => {
          if (memory) {
            const kept = turns.slice(-memory.maxTurns * 2)
            const written = await own<FlowsTables>(trx)
              .insertInto('flowMemories')
              .values({
                workspaceId: scope.workspaceId,
                clientId: scope.clientId,
                namespace: memory.namespace,
                key: memory.key,
                messages: JSON.stringify(kept),
                version: 1,
              })
              .onConflict((oc) =>
                oc
                  .columns(['clientId', 'namespace', 'key'])
                  .doUpdateSet({
                    messages: JSON.stringify(kept),
                    version: sql`flow_memories.version + 1`,
                    updatedAt: new Date(),
                  })
                  .where('flowMemories.version', '=', stored?.version ?? 0),
              )
              .executeTakeFirst()
            // Another run for the same key wrote in between: this answer is not kept, the step tries again.
            if (Number(written.numInsertedOrUpdatedRows ?? 0n) === 0)
              throw retryable('flows.memory_conflict', 'Another run updated this memory at the same time.')
          }
          await ctx.checkpoint(trx, { output, credits: c?.charged ?? 0n })
          return 'complete'
        },
      })
      ctx.log(`${entry.id}: ${usage.inputTokens} in, ${usage.outputTokens} out`, {
        credits: String(charge?.charged ?? 0n),
      })
      return { output, checkpointed: true }
    },
  })
