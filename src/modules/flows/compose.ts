import { generateText, jsonSchema, NoObjectGeneratedError, Output, type ModelMessage } from 'ai'
import { z } from 'zod'
import { FlowGraph, type FlowDto, type GraphIssue } from '../../../contracts/flows.ts'
import { AppError } from '../../platform/http/errors.ts'
import { requestErrors } from '../../platform/http/http.errors.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import { creditsErrors, type Metering } from '../credits/credits.module.ts'
import { normalizeUsage, type CatalogEntry, type ModelSet, type NormalizedUsage } from '../models/models.module.ts'
import { flowsErrors } from './flows.errors.ts'
import { validateGraph, type GraphCheckOptions } from './graph.ts'
import type { NodeRegistry } from './registry.ts'
import type { TemplateGallery } from './templates.ts'

/**
 * Compose: a flow drafted from a prompt. With a real model, one structured-output call asks for the flow as JSON (the
 * node types' config schemas and an example in the system prompt); the answer is validated like any graph, and up to
 * two repair rounds send the issues back. Every round is metered (one hold per round, `holdNextStep`, as chat's tool
 * rounds), and what was used is charged whether the flow ends valid or not. With the offline model, the draft is the
 * template that best matches the prompt's words: free and deterministic.
 */

/** Creates a flow in the client (the definitions service: plan limit → 402, audit with `via` and `origin`). */
export type CreateFlow = (
  scope: ClientScope,
  input: { name: string; description?: string; graph: FlowGraph },
  via: 'template' | 'compose' | 'import',
  meta: RequestMeta,
  origin?: { templateId?: string },
) => Promise<FlowDto>

export const MAX_REPAIRS = 2
/** A flow of a dozen nodes with expressions is 3–5k tokens of JSON. */
const MAX_OUTPUT_TOKENS = 8_000
/** The longest one round may take (a model that hangs is a 502, charged for nothing it did not write). */
const ROUND_TIMEOUT_MS = 120_000
/** Issues sent back in a repair round (the rest are counted), each clipped: a repair prompt stays bounded. */
const ISSUES_SENT = 20
const ISSUE_CHARS = 300
/** An upper bound of the issues' part of a repair prompt, in tokens (20 × 300 characters and their framing). */
const ISSUES_TOKENS = 2_500

const MICRO = 1_000_000n
/** Micro-credits as whole credits in a decimal string, exact: 1_500_000n → "1.5". */
export const creditsString = (micro: bigint) => {
  const sign = micro < 0n ? '-' : ''
  const abs = micro < 0n ? -micro : micro
  const frac = (abs % MICRO).toString().padStart(6, '0').replace(/0+$/, '')
  return `${sign}${abs / MICRO}${frac ? `.${frac}` : ''}`
}

/** What the model is asked to answer. */
const ComposeAnswer = z.object({
  name: z.string().meta({ description: 'A short name for the flow (at most 80 characters)' }),
  description: z.string().meta({ description: 'One or two sentences: what the flow does and what to change' }),
  graph: FlowGraph,
})
const answerSchema = z.toJSONSchema(ComposeAnswer, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>

const sumUsage = (all: NormalizedUsage[]): NormalizedUsage => ({
  inputTokens: all.reduce((s, u) => s + u.inputTokens, 0),
  outputTokens: all.reduce((s, u) => s + u.outputTokens, 0),
  cachedInputTokens: all.reduce((s, u) => s + u.cachedInputTokens, 0),
  reasoningTokens: all.reduce((s, u) => s + u.reasoningTokens, 0),
  estimated: all.some((u) => u.estimated),
})

const issueLine = (i: GraphIssue) =>
  `- ${i.nodeId ? `node ${i.nodeId}` : 'flow'}${i.path.length ? ` [${i.path.join('.')}]` : ''}: ${i.message}`.slice(
    0,
    ISSUE_CHARS,
  )
const repairRequest = (issues: GraphIssue[]) =>
  [
    'That flow is not valid:',
    ...issues.slice(0, ISSUES_SENT).map(issueLine),
    ...(issues.length > ISSUES_SENT ? [`(and ${issues.length - ISSUES_SENT} more)`] : []),
    'Fix every issue and answer the whole corrected JSON object again.',
  ].join('\n')

/** The model's answer as a flow, or the issues that make it one we cannot use. */
export const checkAnswer = (
  registry: NodeRegistry,
  text: string,
  opts: GraphCheckOptions = {},
): { ok: true; name: string; description: string; graph: FlowGraph } | { ok: false; issues: GraphIssue[] } => {
  let value: unknown
  try {
    // Some models wrap JSON in a Markdown fence even in JSON mode.
    value = JSON.parse(text.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ''))
  } catch {
    return { ok: false, issues: [{ nodeId: null, path: [], message: 'The answer is not a JSON object.' }] }
  }
  const answer = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  const parsed = FlowGraph.safeParse(answer.graph)
  if (!parsed.success) {
    const nodes = Array.isArray((answer.graph as { nodes?: unknown })?.nodes)
      ? ((answer.graph as { nodes: { id?: unknown }[] }).nodes ?? [])
      : []
    return {
      ok: false,
      issues: parsed.error.issues.map((z) => {
        const path = ['graph', ...(z.path as (string | number)[])]
        const node = path[1] === 'nodes' && typeof path[2] === 'number' ? nodes[path[2]] : undefined
        return { nodeId: typeof node?.id === 'string' ? node.id : null, path, message: z.message }
      }),
    }
  }
  const issues = validateGraph(registry, parsed.data, opts)
  if (issues.length) return { ok: false, issues }
  const name = typeof answer.name === 'string' && answer.name.trim() ? answer.name.trim().slice(0, 80) : 'Composed flow'
  const description = typeof answer.description === 'string' ? answer.description.trim().slice(0, 500) : ''
  return { ok: true, name, description, graph: parsed.data }
}

/** The system prompt: how a flow is written, every node type with its config schema, and one template as an example. */
export const composeInstructions = (
  registry: NodeRegistry,
  example: { name: string; description: string; graph: FlowGraph },
) =>
  [
    'You design automation flows for Camarad, an AI agent workspace for agencies. Turn the request into one flow.',
    'Answer with one JSON object only: {"name": string, "description": string, "graph": {"nodes": [...], "edges": [...]}}.',
    'Rules:',
    '- A node is {"id", "type", "name", "position": {"x", "y"}, "config"}; ids are short and readable (letters, digits, - and _; at most 40) and unique.',
    '- Exactly one trigger node (kind "trigger"), with no incoming edge; every other node is reached from it.',
    '- An edge is {"from", "fromPort", "to", "toPort"}: from an output port of one node to an input port ("in") of another.',
    '- "config" follows the node type\'s JSON Schema exactly (no other fields). Any value may instead be an expression',
    '  {"$expr": "<JSONata>"}: $json is the node\'s input (the previous node\'s output), $trigger the trigger\'s output.',
    '  A webhook trigger outputs {"body", "headers", "query"}; an HTTP step {"status", "headers", "body"}; an AI step with',
    '  "outputSchema" the parsed object.',
    '- No cycles. To repeat steps use "core.loop": its "each" output leads to the steps run per item (they lead nowhere',
    '  else) and its "done" output continues with the collected outputs.',
    '- Where the request gives no URL or address, use https://example.com/... and name@example.com, and say in the',
    '  description what to change.',
    '- Lay the nodes out left to right: the trigger at x 0, y 0, then x + 260 per step; branches at y -120 and +120.',
    '',
    'Node types (type, kind, ports, config JSON Schema):',
    JSON.stringify(
      registry.describe().map((t) => ({
        type: t.type,
        kind: t.kind,
        description: t.description,
        inputs: t.inputs,
        outputs: t.dynamicOutputs ? 'one per case port, and "default"' : t.outputs,
        config: t.configSchema,
      })),
    ),
    '',
    'Example of a valid answer:',
    JSON.stringify({ name: example.name, description: example.description, graph: example.graph }),
  ].join('\n')

/** The models a workspace may use (the models module's `forWorkspace`). */
export type ComposeModels = { forWorkspace(workspaceId: string): Promise<ModelSet> }
type ComposeDeps = {
  registry: NodeRegistry
  gallery: TemplateGallery
  models: ComposeModels
  metering: Metering
  create: CreateFlow
  /**
   * Checks the plan's flows limit before anything is spent (402): a compose that could not be saved calls no model.
   * The create checks again under the lock.
   */
  precheck?: (scope: ClientScope) => Promise<void>
  /** The expression sandbox's parse check (validation of the model's expressions). */
  checkExpression?: GraphCheckOptions['checkExpression']
  /** The template shown to the model as an example. */
  exampleTemplateId?: string
}

export const createComposer = (deps: ComposeDeps) => {
  const { registry, gallery, models, metering, create } = deps
  // Read on first use: the gallery is loaded once every module has registered its nodes.
  const example = () => gallery.getTemplate(deps.exampleTemplateId ?? 'lead-qualify') ?? gallery.listTemplates()[0]!
  let instructions: string | undefined
  /** Built on first use: every module has registered its node types by then. */
  const system = () => (instructions ??= composeInstructions(registry, example()))
  const promptTextOf = (messages: ModelMessage[]) =>
    [system(), ...messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))].join(
      '\n',
    )

  const modelFor = async (workspaceId: string) => {
    const set = await models.forWorkspace(workspaceId)
    const entry: CatalogEntry = set.find(set.defaultModelId('standard'))!
    return { set, entry, maxOutputTokens: Math.min(entry.maxOutputTokens, MAX_OUTPUT_TOKENS) }
  }

  /** The offline draft: the best-matching template, created as the client's new flow. */
  const fromTemplate = async (scope: ClientScope, prompt: string, meta: RequestMeta) => {
    const t = gallery.bestMatch(prompt)
    const flow = await create(scope, { name: t.name, description: t.description, graph: t.graph }, 'compose', meta, {
      templateId: t.id,
    })
    return { flow, credits: '0', repaired: false }
  }

  return {
    /**
     * The most a compose may cost, with the estimator every hold uses: the first round on this prompt, and each repair
     * round on the prompt plus the longest answer and the issues sent back. Nothing is held or written.
     */
    async estimate(scope: ClientScope, prompt: string) {
      const { set, entry, maxOutputTokens } = await modelFor(scope.workspaceId)
      if (entry.offline) return { credits: '0', offline: true }
      const base = promptTextOf([{ role: 'user', content: prompt }])
      const billedBy = set.billedBy(entry)
      const first = await metering.estimate(entry, base, maxOutputTokens, billedBy)
      // ' x' is one token each: the repair prompt's bound (the previous answer and the issues) as text to count.
      const repair = await metering.estimate(
        entry,
        base + ' x'.repeat(maxOutputTokens + ISSUES_TOKENS),
        maxOutputTokens,
        billedBy,
      )
      return { credits: creditsString(first.credits + BigInt(MAX_REPAIRS) * repair.credits), offline: false }
    },

    /** Drafts a flow from the prompt and creates it in the client; 422 `flows.compose_invalid` when no round was valid. */
    async compose(
      scope: ClientScope,
      prompt: string,
      call: { requestId: string; tokenId: string | null; meta: RequestMeta },
    ): Promise<{ flow: FlowDto; credits: string; repaired: boolean }> {
      await deps.precheck?.(scope)
      const { set, entry, maxOutputTokens } = await modelFor(scope.workspaceId)
      if (entry.offline) return fromTemplate(scope, prompt, call.meta)

      const model = set.languageModel(entry.id)
      const ask: ModelMessage = { role: 'user', content: prompt }
      let messages: ModelMessage[] = [ask]
      const metered = await metering.begin({
        workspaceId: scope.workspaceId,
        clientId: scope.clientId,
        userId: scope.userId,
        tokenId: call.tokenId,
        surface: 'flow',
        requestId: `compose:${call.requestId}`,
        entry,
        billedBy: set.billedBy(entry),
        promptText: promptTextOf(messages),
        maxOutputTokens,
        streaming: false,
        params: { compose: prompt },
      })
      // One compose per request id: a retry with the same X-Request-ID runs (and is charged) nothing twice.
      if (metered.replay) throw requestErrors.not_replayable({ why: 'no_answer' })

      const usages: NormalizedUsage[] = []
      let issues: GraphIssue[] = []
      let failure: AppError | undefined
      let result: { name: string; description: string; graph: FlowGraph } | undefined
      let rounds = 0
      for (let round = 0; round <= MAX_REPAIRS && !result; round++) {
        if (round > 0) {
          try {
            await metered.holdNextStep(promptTextOf(messages))
          } catch (err) {
            failure = err instanceof AppError ? err : creditsErrors.hold_unavailable()
            break
          }
        }
        let text: string
        let reported: Parameters<typeof normalizeUsage>[0]
        try {
          const r = await generateText({
            model,
            system: system(),
            messages,
            maxOutputTokens,
            maxRetries: 2,
            abortSignal: AbortSignal.timeout(ROUND_TIMEOUT_MS),
            output: Output.object({ schema: jsonSchema(answerSchema), name: 'flow' }),
            // The graph's configs are open records: OpenAI's strict mode cannot describe them.
            providerOptions: { openai: { strictJsonSchema: false } },
          })
          text = r.text
          reported = r.totalUsage
        } catch (err) {
          if (!NoObjectGeneratedError.isInstance(err)) {
            failure = set.describeError(err, entry)
            break
          }
          // Not JSON at all: the round counts, and its text goes back with the issue.
          text = err.text ?? ''
          reported = err.usage
        }
        rounds += 1
        const sent = messages
        usages.push(normalizeUsage(reported, { prompt: () => promptTextOf(sent), output: text }))
        const checked = checkAnswer(registry, text, { checkExpression: deps.checkExpression })
        if (checked.ok) result = checked
        else {
          issues = checked.issues
          messages = [ask, { role: 'assistant', content: text }, { role: 'user', content: repairRequest(issues) }]
        }
      }

      const { settled } = await metered.complete({
        usage: sumUsage(usages),
        free: rounds === 0,
        agentId: null,
        within: async () => (result ? 'complete' : 'failed'),
      })
      if (failure) throw failure
      if (!result) throw flowsErrors.compose_invalid({ issues })
      const flow = await create(
        scope,
        { name: result.name, description: result.description, graph: result.graph },
        'compose',
        call.meta,
      )
      return { flow, credits: creditsString(settled.charged), repaired: rounds > 1 }
    },
  }
}
export type Composer = ReturnType<typeof createComposer>
