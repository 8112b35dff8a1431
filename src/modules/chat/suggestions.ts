import type { AgentDto } from '../../../contracts/agents.ts'
import type { ClientScope } from '../../platform/http/request-context.ts'

/** A data source as the composer sees it: usable now, needing the user, or absent. */
export type SourceState = 'connected' | 'reconnect_required' | 'not_connected'

/** What other modules know about a client, for the composer (each source answers for its own part). */
export type SourceFacts = {
  /** Google Ads: connected with an account picked (connectors). */
  ads?: SourceState
  /** GA4: connected with a property picked (connectors). */
  analytics?: SourceState
  /** Knowledge documents ready to search (knowledge). */
  knowledgeDocuments?: number
}

/** A module's part of the facts, registered by the composition root (`chat.suggestions.connect`). */
export type SuggestionSource = (scope: ClientScope) => Promise<SourceFacts>

export type ClientFacts = SourceFacts & {
  name: string
  website: string | null
  notes: string | null
  conversationCount: number
  lastTitle: string | null
}

/** Prompts that only make sense when the agent can read the source: figures when connected, else one nudge. */
const sourcePrompts = (agent: AgentDto, c: ClientFacts): { live: string[]; missing: string[] } => {
  const reads = (tool: string) => agent.tools.includes(tool)
  const ads = reads('ads_report') ? (c.ads ?? 'not_connected') : null
  const analytics = reads('analytics_report') ? (c.analytics ?? 'not_connected') : null
  const live = [
    ...(ads === 'connected'
      ? [
          `Why did ${c.name}'s CPA change last week compared with the week before?`,
          'Which campaigns spent the most in the last 30 days for the fewest conversions?',
        ]
      : []),
    ...(analytics === 'connected'
      ? [
          'Which traffic sources brought the most conversions in the last 30 days?',
          'Where do visitors drop off between the landing page and a purchase?',
        ]
      : []),
    // search_knowledge is offered to every agent (knowledge module).
    ...(c.knowledgeDocuments ? [`What do ${c.name}'s documents say about its prices and services?`] : []),
  ]
  const states = [ads, analytics]
  const missing = states.includes('reconnect_required')
    ? [`Google needs reconnecting for ${c.name}: what should we check first once it is back?`]
    : states.includes('not_connected')
      ? [`What would you look at first once ${c.name}'s Google Ads and GA4 are connected?`]
      : []
  return { live, missing }
}

/**
 * Starter prompts for the composer: the agent's own, adapted to what this client has — connected Google Ads and GA4
 * (figures the agent's tools can read; a source that needs reconnecting says so), knowledge documents, the website,
 * notes and earlier conversations. Sources the agent cannot read add nothing.
 */
export const suggestPrompts = (agent: AgentDto, client: ClientFacts, limit = 4): string[] => {
  const own = agent.starterPrompts
  const sources = sourcePrompts(agent, client)
  const contextual = [
    ...sources.live,
    ...(client.website && agent.tools.includes('fetch_page')
      ? [`Review ${client.website} and list the three quickest wins.`]
      : []),
    ...(client.lastTitle ? [`Pick up where we left off: "${client.lastTitle}".`] : []),
    ...sources.missing,
    ...(!client.notes ? [`Ask me the five questions you need answered to brief yourself on ${client.name}.`] : []),
    ...(client.conversationCount === 0 ? [`What would you do first for ${client.name}?`] : []),
  ]
  return [...new Set([...contextual, ...own])].slice(0, limit)
}
