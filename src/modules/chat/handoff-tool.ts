import { z } from 'zod'
import type { Executor } from './chat.repository.ts'
import type { AgentService } from '../agents/agents.module.ts'
import { defineTool } from '../tools/tools.module.ts'
import { conversations } from './chat.repository.ts'

/**
 * Hands the conversation to another agent, visibly: the UI shows a hand-off card and the next question goes
 * to that agent. Only agents this workspace can use are accepted.
 */
export const handoffTool = (db: Executor, agents: AgentService) =>
  defineTool({
    name: 'handoff',
    description:
      'Hand this conversation to another agent of the agency (by agent id) when the request belongs to their role.',
    rule: 'when the request belongs to another agent, call handoff with their id and a one-line reason, then tell the user.',
    input: z.object({ agentId: z.string().min(3).max(64), reason: z.string().min(3).max(300) }),
    minRole: 'member',
    async execute({ agentId, reason }, ctx) {
      const target = await agents.resolve(ctx.scope, agentId)
      await conversations.update(db, ctx.scope, ctx.conversationId, { agentId: target.dto.id })
      ctx.emit({ type: 'handoff', from: ctx.agentId, to: target.dto.id, toName: target.dto.name, reason })
      return { handedTo: target.dto.name, agentId: target.dto.id }
    },
  })
