import { describe, expect, it } from 'vitest'
import type { MeetingDto } from '../../../contracts/boardroom.ts'
import { outcomeOf } from './outcome.ts'

const turn = (speaker: string, content: string, position: number) => ({
  id: `turn_${position}`,
  round: 1,
  position,
  speaker,
  content,
  status: 'complete' as const,
  modelId: 'offline',
  offline: true,
  usage: null,
})
const meeting = (summary: string, turns: MeetingDto['turns'] = []): MeetingDto => ({
  id: 'mtg_1',
  clientId: 'cl_1',
  topic: 'Growth',
  agentIds: ['builtin.ppc-specialist', 'builtin.data-analyst'],
  rounds: 1,
  status: 'completed',
  summary,
  createdAt: '2026-12-01T00:00:00.000Z',
  finishedAt: '2026-12-01T00:01:00.000Z',
  turns,
})
const names = (id: string) =>
  ({ 'builtin.ppc-specialist': 'PPC Specialist', 'builtin.data-analyst': 'Data Analyst' })[id] ?? id

describe('a meeting outcome', () => {
  it("reads the moderator's Decisions and Action items sections, owners included", () => {
    const summary = [
      'Both agreed on Generic.',
      '',
      '## Decisions',
      '1. Cut **Generic** by 30%.',
      '2. Keep Brand.',
      '',
      '### Action items:',
      '- **PPC Specialist** — lower the budget today.',
      '- Data Analyst: check key events on Monday.',
      '- Write the client an email.',
      '',
      '## Open questions',
      '- Is the tracking right?',
    ].join('\n')
    expect(outcomeOf(meeting(summary), names)).toEqual({
      decisions: ['Cut Generic by 30%.', 'Keep Brand.'],
      actionItems: [
        { owner: 'PPC Specialist', action: 'lower the budget today.' },
        { owner: 'Data Analyst', action: 'check key events on Monday.' },
        { owner: 'the agency', action: 'Write the client an email.' },
      ],
      source: 'summary',
    })
  })

  it("falls back to each agent's own proposal and first step when the summary has no sections (offline model)", () => {
    const turns = [
      turn(
        'builtin.ppc-specialist',
        'Intro\n\n1. Audit search terms.\n2. Add negatives.\n3. Shift budget to Brand.',
        0,
      ),
      turn('builtin.data-analyst', 'Intro\n1. Check the tracking.\n2. Compare weeks.', 1),
      turn('moderator', '**Moderator** — a playbook\n1. Summarise.', 2),
    ]
    const offline = outcomeOf(meeting('**Moderator** — a playbook\n1. Summarise.', turns), names)
    expect(offline).toEqual({
      decisions: ['PPC Specialist: Shift budget to Brand.', 'Data Analyst: Compare weeks.'],
      actionItems: [
        { owner: 'PPC Specialist', action: 'Audit search terms.' },
        { owner: 'Data Analyst', action: 'Check the tracking.' },
      ],
      source: 'turns',
    })
    // Deterministic: the same meeting, the same outcome.
    expect(outcomeOf(meeting('**Moderator** — a playbook\n1. Summarise.', turns), names)).toEqual(offline)
  })

  it('is empty (source none) for a meeting nobody proposed anything in', () => {
    expect(outcomeOf(meeting('Nothing.'), names)).toEqual({ decisions: [], actionItems: [], source: 'none' })
  })
})
