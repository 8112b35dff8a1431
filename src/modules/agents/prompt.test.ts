import { describe, expect, it } from 'vitest'
import { BUILTIN_AGENTS } from './agents.catalog.ts'
import { assembleSystemPrompt } from './prompt.ts'

const ctx = {
  workspaceName: 'Acme Agency',
  client: { name: 'Bakery Rossi', website: 'https://rossi.example', notes: 'Family bakery; focus on catering orders.' },
  tools: [{ name: 'search_conversations', rule: "search this client's earlier conversations" }],
  today: new Date('2026-11-22T10:00:00Z'),
}

describe('system prompt assembly', () => {
  it.each(BUILTIN_AGENTS.map((a) => [a.name, a] as const))(
    'grounds the %s in its role, limits, hand-offs and the client',
    (_name, agent) => {
      const prompt = assembleSystemPrompt(agent, ctx)
      expect(
        prompt.startsWith(
          `You are the ${agent.name} (${agent.role}) of the agency "Acme Agency", working on the client "Bakery Rossi".`,
        ),
      ).toBe(true)
      for (const line of [...agent.responsibilities, ...agent.boundaries]) expect(prompt).toContain(line)
      for (const h of agent.handoffs) expect(prompt).toContain(h.when)
      expect(prompt).toContain('Website: https://rossi.example')
      expect(prompt).toContain('Family bakery; focus on catering orders.')
      expect(prompt).toContain('search_conversations:')
      expect(prompt).toContain('Today is 2026-11-22.')
      expect(prompt).not.toMatch(/helpful assistant|as an ai language model|I am an AI/i)
    },
  )

  it('names the target agent of a hand-off, not its id', () => {
    const pa = BUILTIN_AGENTS.find((a) => a.id === 'builtin.personal-assistant')!
    const prompt = assembleSystemPrompt(pa, ctx)
    expect(prompt).toContain('hand off to the PPC Specialist')
    expect(prompt).not.toContain('builtin.ppc-specialist')
  })

  it("puts a custom agent's instructions in their own section and says when there are no tools", () => {
    const prompt = assembleSystemPrompt(
      {
        name: 'Bakery Voice',
        role: 'brand voice',
        responsibilities: [],
        boundaries: [],
        handoffs: [],
        instructions: 'Write like a friendly baker.',
      },
      { ...ctx, tools: [], client: { name: 'Bakery Rossi', website: null, notes: null } },
    )
    expect(prompt).toContain('## Instructions from the agency\nWrite like a friendly baker.')
    expect(prompt).toContain('You have no tools in this conversation')
    expect(prompt).not.toContain('Website:')
  })

  it('every built-in agent has starter prompts, tools and a distinct id', () => {
    expect(BUILTIN_AGENTS).toHaveLength(6)
    expect(new Set(BUILTIN_AGENTS.map((a) => a.id)).size).toBe(6)
    for (const a of BUILTIN_AGENTS) {
      expect(a.starterPrompts.length).toBeGreaterThanOrEqual(3)
      expect(a.tools).toContain('handoff')
      for (const h of a.handoffs) expect(BUILTIN_AGENTS.some((b) => b.id === h.to)).toBe(true)
    }
  })
})
