import type { ModelMessage } from 'ai'
import { countTokens } from '../../platform/tokens/count-tokens.ts'

export { countTokens }

/**
 * The conversation as the model sees it: the newest turns that fit the context window after the system
 * prompt and the room kept for the answer. Older turns are dropped whole, oldest first, so a long
 * conversation never produces a provider error for length.
 */
export const fitToContext = (
  turns: { role: 'user' | 'assistant'; content: string }[],
  budget: { contextWindow: number; maxOutputTokens: number; systemPrompt: string },
): { messages: ModelMessage[]; dropped: number } => {
  let room = budget.contextWindow - budget.maxOutputTokens - countTokens(budget.systemPrompt) - 64
  const kept: ModelMessage[] = []
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!
    const cost = countTokens(turn.content) + 4
    if (cost > room) break
    room -= cost
    kept.unshift({ role: turn.role, content: turn.content })
  }
  // A model call must start with the user's turn.
  while (kept[0]?.role === 'assistant') kept.shift()
  return { messages: kept, dropped: turns.length - kept.length }
}
