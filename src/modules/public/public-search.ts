import { BUILTIN_AGENTS } from '../agents/agents.module.ts'

export type SearchHit = { type: 'agent' | 'template'; id: string; title: string; subtitle: string }

/** Control characters and markup out, whitespace collapsed, 100 characters at most. */
export const sanitizeQuery = (q: string) =>
  q
    .normalize('NFKC')
    .replace(/[\p{C}<>]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100)

const INDEX: SearchHit[] = BUILTIN_AGENTS.flatMap((a) => [
  { type: 'agent' as const, id: a.id, title: a.name, subtitle: a.description },
  ...a.starterPrompts.map((p, i) => ({ type: 'template' as const, id: `${a.id}#${i}`, title: p, subtitle: a.name })),
])

/**
 * The landing page's autocomplete: built-in agents and their starter prompts only — never tenant data.
 * Deterministic: title prefix matches first, then word-start, then anywhere; ties alphabetical.
 */
export const searchPublic = (raw: string, limit = 8): SearchHit[] => {
  const q = sanitizeQuery(raw).toLowerCase()
  if (q.length < 2) return []
  const rank = (h: SearchHit) => {
    const t = h.title.toLowerCase()
    if (t.startsWith(q)) return 0
    if (t.includes(` ${q}`)) return 1
    if (t.includes(q)) return 2
    if (h.subtitle.toLowerCase().includes(q)) return 3
    return 9
  }
  return INDEX.map((h) => ({ h, r: rank(h) }))
    .filter((x) => x.r < 9)
    .sort((a, b) => a.r - b.r || a.h.title.localeCompare(b.h.title) || a.h.id.localeCompare(b.h.id))
    .slice(0, limit)
    .map((x) => x.h)
}
