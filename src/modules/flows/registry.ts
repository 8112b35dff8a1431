import { z } from 'zod'
import { Expr, type NodeTypeDto, type StepError } from '../../../contracts/flows.ts'
import type { Handle } from '../../platform/db/database.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'

/**
 * The node registry: what a node type is (config schema, ports, effect) and how it runs. The flows module registers the
 * core nodes; other modules register theirs from the composition root (`flows.nodes.register(...crm.flowNodes)`).
 */

/** A config field that may be a literal or an expression `{ "$expr": "…" }`, resolved before the executor runs. */
export const exprOr = <S extends z.ZodType>(schema: S) => z.union([schema, Expr])
/** What an executor sees of a config field declared with `exprOr`: the resolved value. */
export type Resolved<T> = T extends { $expr: string }
  ? never
  : T extends (infer U)[]
    ? Resolved<U>[]
    : T extends object
      ? { [K in keyof T]: Resolved<T[K]> }
      : T

export type Effect = 'none' | 'transactional' | 'external'

/** What a step produced: its output and the port it leaves by; a transactional effect commits in the checkpoint. */
export type NodeResult =
  | {
      output: unknown
      port?: string
      commit?: (trx: Handle) => Promise<unknown>
      /** The executor already wrote the step's checkpoint in its own transaction (`ctx.checkpoint`). */
      checkpointed?: boolean
      /** An event for the run's live log (e.g. the answer of a "Respond to webhook" step). */
      event?: { type: string; data: Record<string, unknown> }
    }
  | {
      /** Parks the step: until a time (a delay), or until `resume` says it may go on (a sub-flow's end). */
      wait: { until?: Date; state?: unknown }
      commit?: (trx: Handle) => Promise<unknown>
      /** Runs once the checkpoint committed (e.g. starts the sub-flow's run it created). */
      afterCommit?: () => void
    }

export type NodeContext<C> = {
  config: C
  /** The node's input: its upstream outputs (one upstream: its output; several: merged by the merge node's rule). */
  input: unknown
  scope: ClientScope & { actingUserId: string }
  runId: string
  flowId: string
  nodeId: string
  nodeName: string
  iteration: string
  /** 1 on the first attempt. */
  attempt: number
  /** No retry follows a failure of this attempt (retries used up). */
  finalAttempt: boolean
  /**
   * Writes this step's checkpoint (completed, with its output and credits) in the caller's transaction: for executors
   * whose effect commits elsewhere (a metered model call's usage record), so the effect and the checkpoint are one.
   */
  checkpoint(trx: Handle, result: { output: unknown; port?: string; credits?: bigint }): Promise<void>
  /** `flow:<runId>:<nodeId>:<iteration>`: the same across attempts (Idempotency-Key on HTTP, ledger request id). */
  idempotencyKey: string
  signal: AbortSignal
  /** A line in the run's live log (never credentials). */
  log(message: string, data?: unknown): void
  /** Evaluates an expression in the sandbox against `data` (default: the node's input) and the run's bindings. */
  evaluate(expr: string, data?: unknown): Promise<unknown>
  /** The time the slice started: steps are deterministic within a slice. */
  now: Date
  /**
   * Runs another node type's action as the `n`-th tool call of this step (a step of its own, with its own key); a call
   * completed in an earlier attempt answers its stored output. Failures come back as `{ error }`.
   */
  runTool(
    n: number,
    tool: { type: string; config: Record<string, unknown> },
    input: unknown,
  ): Promise<{ output: unknown } | { error: StepError }>
}

export type NodeType<C extends z.ZodType = z.ZodType> = {
  /** Namespaced by module: `core.http`, later `crm.update-contact`. */
  type: string
  kind: 'trigger' | 'logic' | 'action'
  label: string
  description: string
  /** An icon name the web app draws as SVG. */
  icon: string
  config: C
  inputs: string[]
  /** Static output ports, or the ports a config opens (a switch's cases). */
  outputs: string[] | ((config: z.infer<C>) => string[])
  effect: Effect
  /** Top-level config keys whose expressions are not resolved before the executor runs (an AI step's tools: per call). */
  lazy?: string[]
  /** Who may add this node to a flow (publishing needs admin anyway; running follows the publisher). */
  minRole?: 'member' | 'admin'
  retry?: RetryPolicy
  /** Default per-step timeout. */
  timeoutMs?: number
  execute(ctx: NodeContext<Resolved<z.infer<C>>>): Promise<NodeResult>
  /**
   * A parked step's continuation, when its run is walked again: the result, or null to stay parked. Without it, a
   * parked step goes on with its input once its time has come.
   */
  resume?(ctx: { state: unknown; input: unknown; now: Date }): Promise<NodeResult | null>
}

export type RetryPolicy = { max: number; baseMs: number; maxMs: number }

/** A step failure an executor throws: `retryable` (network, 5xx, 429) may be tried again, `fatal` never. */
export class StepFailure extends Error {
  readonly error: StepError
  readonly retryAfterMs: number | undefined
  constructor(error: StepError, retryAfterMs?: number) {
    super(error.message)
    this.error = error
    this.retryAfterMs = retryAfterMs
  }
}
export const retryable = (code: string, message: string, afterMs?: number) =>
  new StepFailure({ code, message, retryable: true }, afterMs)
export const fatal = (code: string, message: string) => new StepFailure({ code, message, retryable: false })

export const defineNode = <C extends z.ZodType>(node: NodeType<C>) => node as unknown as NodeType

export type NodeRegistry = ReturnType<typeof createNodeRegistry>

export const createNodeRegistry = () => {
  const types = new Map<string, NodeType>()
  return {
    register(...nodes: NodeType[]) {
      for (const n of nodes) {
        if (types.has(n.type)) throw new Error(`flows: node type ${n.type} is registered twice`)
        types.set(n.type, n)
      }
    },
    get: (type: string) => types.get(type),
    all: () => [...types.values()],
    /** The output ports of a node with this config (a switch's cases are ports). */
    outputsOf(node: NodeType, config: unknown) {
      if (Array.isArray(node.outputs)) return node.outputs
      const parsed = node.config.safeParse(config)
      return parsed.success ? node.outputs(parsed.data) : []
    },
    describe: (): NodeTypeDto[] =>
      [...types.values()].map((n) => ({
        type: n.type,
        kind: n.kind,
        label: n.label,
        description: n.description,
        icon: n.icon,
        configSchema: z.toJSONSchema(n.config, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>,
        inputs: n.inputs,
        outputs: Array.isArray(n.outputs) ? n.outputs : [],
        dynamicOutputs: !Array.isArray(n.outputs),
        effect: n.effect,
        minRole: n.minRole ?? 'member',
      })),
  }
}
