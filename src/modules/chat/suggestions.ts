import type { AgentDto } from '../../../contracts/agents.ts'

export type ClientFacts = {
  name: string
  website: string | null
  notes: string | null
  conversationCount: number
  lastTitle: string | null
}

/**
 * Starter prompts for the composer: the agent's own, adapted to what this client has. Later modules
 * (connectors, CRM) add their facts here; for now: the website, notes and earlier conversations.
 */
export const suggestPrompts = (agent: AgentDto, client: ClientFacts, limit = 4): string[] => {
  const own = agent.starterPrompts
  const contextual = [
    ...(client.website && agent.tools.includes('fetch_page')
      ? [`Review ${client.website} and list the three quickest wins.`]
      : []),
    ...(client.lastTitle ? [`Pick up where we left off: "${client.lastTitle}".`] : []),
    ...(!client.notes ? [`Ask me the five questions you need answered to brief yourself on ${client.name}.`] : []),
    ...(client.conversationCount === 0 ? [`What would you do first for ${client.name}?`] : []),
  ]
  return [...new Set([...contextual, ...own])].slice(0, limit)
}
