import { tool, type ToolSet } from 'ai'
import type { z } from 'zod'
import type { Role } from '../../platform/db/columns.ts'
import { hasRole, type ClientScope } from '../../platform/http/request-context.ts'

/** What a tool knows about the call it serves: the caller's scope, and a way to tell the UI what happened. */
export type ToolContext = {
  scope: ClientScope
  conversationId: string
  agentId: string
  emit: (event: { type: 'handoff'; from: string; to: string; toName: string; reason: string }) => void
}

export type ToolDefinition<S extends z.ZodType = z.ZodType> = {
  name: string
  description: string
  /** One line for the system prompt: when to use it. */
  rule: string
  input: S
  minRole: Role
  /** Offered to every agent whatever its own tool list says (a client's knowledge base). */
  offeredToEveryAgent?: boolean
  execute: (input: z.infer<S>, ctx: ToolContext) => Promise<unknown>
}

export const defineTool = <S extends z.ZodType>(t: ToolDefinition<S>) => t

export class ToolRefusedError extends Error {}

/**
 * The one place tools are registered (chat now; CRM, connectors and flows later). Every call re-checks the
 * caller's scope — the membership may have changed since the request started — before the tool runs.
 */
export const createToolRegistry = ({ stillAllowed }: { stillAllowed: (scope: ClientScope) => Promise<boolean> }) => {
  const tools = new Map<string, ToolDefinition>()
  /** An agent's tools and those offered to every agent, each once, in that order. */
  const offered = (names: string[]) => [
    ...new Set([...names, ...[...tools.values()].filter((t) => t.offeredToEveryAgent).map((t) => t.name)]),
  ]
  return {
    register(...defs: ToolDefinition[]) {
      for (const d of defs) tools.set(d.name, d)
    },
    describe: (names: string[]) =>
      offered(names).flatMap((n) => (tools.has(n) ? [{ name: n, rule: tools.get(n)!.rule }] : [])),
    /** The AI SDK tool set an agent may use in this call. */
    forCall(names: string[], ctx: ToolContext): ToolSet {
      return Object.fromEntries(
        offered(names).flatMap((name) => {
          const def = tools.get(name)
          if (!def) return []
          return [
            [
              name,
              tool({
                description: def.description,
                inputSchema: def.input,
                execute: async (input: unknown) => {
                  if (!hasRole(ctx.scope.role, def.minRole) || !(await stillAllowed(ctx.scope)))
                    throw new ToolRefusedError(`The ${name} tool is not allowed for this user on this client.`)
                  return def.execute(input, ctx)
                },
              }),
            ],
          ]
        }),
      )
    },
  }
}
export type ToolRegistry = ReturnType<typeof createToolRegistry>
