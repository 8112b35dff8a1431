import { api } from '../../lib/api.ts'
import { openStream } from '../../lib/follow-stream.ts'

/** A hit of the landing page search: a built-in agent, or one of its starter prompts (id `<agentId>#<n>`). */
export type SearchHit = { type: 'agent' | 'template'; id: string; title: string; subtitle: string }

export const SEARCH_MIN_CHARS = 2

export const publicSearch = (q: string, signal?: AbortSignal) =>
  api<{ items: SearchHit[] }>('/api/search', { query: { q }, signal, redirectOn401: false }).then((r) => r.items)

/** Where a hit leads: an agent to sign-up, a prompt to the demo with it filled in. */
export const hitHref = (hit: SearchHit) => {
  if (hit.type === 'agent') return '/signup?next=/app'
  const params = new URLSearchParams({ agent: hit.id.split('#')[0] ?? '', q: hit.title })
  return `/chat-demo?${params.toString()}`
}

/** Streams one demo answer (offline model, nothing saved): `delta` {text} events, then `done`. */
export const sendDemo = (body: { agentId: string; message: string }, signal: AbortSignal) =>
  openStream('/api/demo/chat', {
    method: 'POST',
    signal,
    body: JSON.stringify(body),
    headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
  })
