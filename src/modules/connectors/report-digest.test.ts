import { describe, expect, it } from 'vitest'
import { presetRange } from './report-digest.ts'

describe('presetRange', () => {
  const today = new Date('2026-12-04T23:30:00Z')
  it('ends yesterday (UTC) and spans the named number of days', () => {
    expect(presetRange('yesterday', today)).toEqual({ from: '2026-12-03', to: '2026-12-03' })
    expect(presetRange('last_7_days', today)).toEqual({ from: '2026-11-27', to: '2026-12-03' })
    expect(presetRange('last_30_days', today)).toEqual({ from: '2026-11-04', to: '2026-12-03' })
    expect(presetRange('last_90_days', new Date('2026-03-01T00:00:00Z'))).toEqual({
      from: '2025-12-01',
      to: '2026-02-28',
    })
  })
})
