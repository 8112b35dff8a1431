import { describe, expect, it } from 'vitest'
import { assembleSystemPrompt, BUILTIN_AGENTS } from '../agents/agents.module.ts'
import { extractRole } from './offline-answer.ts'

describe('the offline model reads the agent role from the system prompt', () => {
  it.each(BUILTIN_AGENTS.map((a) => [a.name, a] as const))(
    '%s: the name, without the parenthesised role',
    (name, agent) => {
      const system = assembleSystemPrompt(agent, {
        workspaceName: 'Acme',
        client: { name: 'Rossi', website: null, notes: null },
        tools: [],
        today: new Date(0),
      })
      expect(extractRole(system)).toBe(name)
    },
  )

  it('reads a "Role:" line', () => {
    expect(extractRole('Role: brand voice for bakeries\nBe brief.')).toBe('Brand voice for bakeries')
  })
})
