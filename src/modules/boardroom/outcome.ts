import { z } from 'zod'
import type { MeetingDto } from '../../../contracts/boardroom.ts'

/** What a meeting decided, structured: the moderator's decisions and action items (each with an owner). */
export const MeetingOutcome = z.object({
  decisions: z.array(z.string().min(1).max(500)).max(20),
  actionItems: z.array(z.object({ owner: z.string().min(1).max(80), action: z.string().min(1).max(500) })).max(20),
  /** `summary`: read from the moderator's "Decisions" / "Action items" sections; `turns`: the summary had none (the
   * offline model), so each agent's proposal is a decision and its first step an action item. */
  source: z.enum(['summary', 'turns', 'none']),
})
export type MeetingOutcome = z.infer<typeof MeetingOutcome>

const HEADING = /^\s*(?:#{1,6}\s*|\*\*)(.+?)(?:\*\*)?\s*:?\s*$/
const ITEM = /^\s*(?:[-*•]|\d+[.)])\s+(.+)$/
const NUMBERED = /^\s*\d+[.)]\s+(.+)$/
/** "Owner: step", "**Owner** — step", "Owner - step". */
const OWNED = /^\*{0,2}([^:*—–]{2,60}?)\*{0,2}\s*(?::|—|–| - )\s*(.+)$/
const clean = (text: string) =>
  text
    .replace(/\*\*|__|`/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500)

/** The list items under each heading of a Markdown text, by lower-cased heading. */
const sections = (text: string) => {
  const found = new Map<string, string[]>()
  let current: string[] | undefined
  for (const line of text.split('\n')) {
    const item = ITEM.exec(line)
    if (item && current) {
      current.push(item[1]!)
      continue
    }
    const heading = HEADING.exec(line)
    if (heading && !item) {
      current = []
      found.set(heading[1]!.toLowerCase().replace(/[*:]/g, '').trim(), current)
    }
  }
  return found
}
const sectionLike = (all: Map<string, string[]>, pattern: RegExp) =>
  [...all.entries()].find(([heading]) => pattern.test(heading))?.[1] ?? []

/**
 * The outcome of a meeting, deterministic for a given meeting: the moderator is asked for "## Decisions" and
 * "## Action items" (owner and next step each), which are read here; a summary without them (the offline model
 * composes a playbook) falls back to the agents' own turns.
 */
export const outcomeOf = (meeting: MeetingDto, nameOf: (speaker: string) => string): MeetingOutcome => {
  const all = sections(meeting.summary)
  const decisions = sectionLike(all, /^decisions?\b/)
    .map(clean)
    .filter(Boolean)
  const actions = sectionLike(all, /^(action items?|next steps?)\b/)
    .map((item) => {
      const owned = OWNED.exec(clean(item))
      return owned
        ? { owner: owned[1]!.trim(), action: owned[2]!.trim() }
        : { owner: 'the agency', action: clean(item) }
    })
    .filter((a) => a.action)
  if (decisions.length || actions.length)
    return MeetingOutcome.parse({
      decisions: decisions.slice(0, 20),
      actionItems: actions.slice(0, 20),
      source: 'summary',
    })
  const spoken = meeting.turns.filter((t) => t.speaker !== 'moderator' && t.status === 'complete')
  // The last turn of each agent: its proposal after hearing the others.
  const lastOf = new Map(spoken.map((t) => [t.speaker, t]))
  const fromTurns = [...lastOf.values()].flatMap((t) => {
    const steps = t.content
      .split('\n')
      .map((l) => NUMBERED.exec(l)?.[1])
      .filter((l): l is string => Boolean(l))
      .map(clean)
    return steps.length ? [{ name: nameOf(t.speaker), first: steps[0]!, last: steps.at(-1)! }] : []
  })
  return MeetingOutcome.parse({
    decisions: fromTurns.map((p) => `${p.name}: ${p.last}`),
    actionItems: fromTurns.map((p) => ({ owner: p.name, action: p.first })),
    source: fromTurns.length ? 'turns' : 'none',
  })
}
