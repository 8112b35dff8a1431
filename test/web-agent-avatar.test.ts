import { describe, expect, it } from 'vitest'
import { INITIALS_PALETTE, contrastRatio, initialsColor, initialsOf } from '../web/src/ui/agent-avatar-colors.ts'

describe('generated agent avatars', () => {
  it('takes the initials of the first and last words, in capitals, any script', () => {
    expect(initialsOf('Social Media Manager')).toBe('SM')
    expect(initialsOf('ana maria pop')).toBe('AP')
    expect(initialsOf('Ștefan Țurcanu')).toBe('ȘȚ')
    expect(initialsOf('Copywriter')).toBe('C')
    expect(initialsOf('  «Growth» — team 2 ')).toBe('G2')
    expect(initialsOf("O'Neil's desk")).toBe('OD')
    expect(initialsOf('🤖 Bot')).toBe('B')
    expect(initialsOf('   ')).toBe('?')
    expect(initialsOf('---')).toBe('?')
  })

  it('derives the colour from the key: always the same, from the palette, and spread over it', () => {
    expect(initialsColor('ag_123')).toBe(initialsColor('ag_123'))
    const ids = Array.from({ length: 300 }, (_, i) => `ag_${i.toString(36).padStart(6, 'x')}`)
    const used = new Set(ids.map(initialsColor))
    for (const c of used) expect(INITIALS_PALETTE).toContain(c)
    expect(used.size).toBe(INITIALS_PALETTE.length)
    // Neighbouring ids do not all land on one colour.
    expect(new Set(['ag_a', 'ag_b', 'ag_c', 'ag_d', 'ag_e'].map(initialsColor)).size).toBeGreaterThan(2)
  })

  it('keeps white initials readable on every colour (WCAG AA, 4.5:1)', () => {
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5)
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1)
    for (const c of INITIALS_PALETTE) expect(contrastRatio('#ffffff', c), c).toBeGreaterThanOrEqual(4.5)
  })
})
