import { BUILTIN_AGENTS } from './agents.catalog.ts'

export type PromptAgent = {
  name: string
  role: string
  responsibilities: string[]
  boundaries: string[]
  handoffs: { to: string; when: string }[]
  instructions?: string
}
export type PromptContext = {
  workspaceName: string
  client: { name: string; website: string | null; notes: string | null }
  tools: { name: string; rule: string }[]
  today: Date
}

const bullets = (lines: string[]) => lines.map((l) => `- ${l}`).join('\n')
const nameOf = (id: string) => BUILTIN_AGENTS.find((a) => a.id === id)?.name ?? id

/**
 * The system prompt: role, then what the agent does and must not do, hand-off rules, the client's context
 * and tool rules. Every section is specific to the agent and the client; there is no generic preamble.
 */
export const assembleSystemPrompt = (agent: PromptAgent, ctx: PromptContext) => {
  const sections = [
    `You are the ${agent.name} (${agent.role}) of the agency "${ctx.workspaceName}", working on the client ` +
      `"${ctx.client.name}". Today is ${ctx.today.toISOString().slice(0, 10)}.`,
    agent.responsibilities.length ? `## What you do\n${bullets(agent.responsibilities)}` : '',
    agent.instructions ? `## Instructions from the agency\n${agent.instructions.trim()}` : '',
    agent.boundaries.length ? `## Boundaries\n${bullets(agent.boundaries)}` : '',
    agent.handoffs.length
      ? `## Hand-offs\n${bullets(agent.handoffs.map((h) => `For ${h.when}: hand off to the ${nameOf(h.to)} and tell the user you did.`))}`
      : '',
    `## Client context\n${bullets([
      `Client: ${ctx.client.name}`,
      ...(ctx.client.website ? [`Website: ${ctx.client.website}`] : []),
      ...(ctx.client.notes ? [`Notes from the agency: ${ctx.client.notes.slice(0, 2000)}`] : []),
    ])}`,
    ctx.tools.length
      ? `## Tools\n${bullets(ctx.tools.map((t) => `${t.name}: ${t.rule}`))}`
      : '## Tools\n- You have no tools in this conversation. If an answer needs data you do not have, say which data and where to find it.',
    `## How you answer\n${bullets([
      "Answer in the user's language, concretely, for this client; use short markdown lists or tables where they help.",
      'Never claim to have looked at data, accounts or pages that you were not given or did not fetch with a tool.',
      'If the request is outside your role, say so in one sentence and hand off or suggest who should handle it.',
    ])}`,
  ]
  return sections.filter(Boolean).join('\n\n')
}
