import { describe, expect, it } from 'vitest'
import { countTokens, fitToContext } from './history.ts'

const turn = (role: 'user' | 'assistant', words: number, tag: string) => ({
  role,
  content: `${tag} ` + 'word '.repeat(words),
})

describe('fitting a conversation into the context window', () => {
  it('keeps everything when it fits', () => {
    const turns = [turn('user', 10, 'q1'), turn('assistant', 10, 'a1'), turn('user', 10, 'q2')]
    const { messages, dropped } = fitToContext(turns, {
      contextWindow: 10_000,
      maxOutputTokens: 1000,
      systemPrompt: 'You are the PPC Specialist.',
    })
    expect(dropped).toBe(0)
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user'])
  })

  it('drops the oldest turns first and never starts with an assistant turn', () => {
    const turns = Array.from({ length: 20 }, (_, i) => turn(i % 2 ? 'assistant' : 'user', 200, `t${i}`))
    const budget = { contextWindow: 2_000, maxOutputTokens: 500, systemPrompt: 'You are the SEO Strategist.' }
    const { messages, dropped } = fitToContext(turns, budget)
    expect(dropped).toBeGreaterThan(0)
    expect(messages[0]!.role).toBe('user')
    expect(String(messages.at(-1)!.content)).toContain('t19')
    const used = messages.reduce((n, m) => n + countTokens(String(m.content)) + 4, 0) + countTokens(budget.systemPrompt)
    expect(used).toBeLessThanOrEqual(budget.contextWindow - budget.maxOutputTokens)
  })
})
