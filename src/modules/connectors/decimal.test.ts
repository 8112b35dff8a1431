import { describe, expect, it } from 'vitest'
import { divRound, fromMillionths, ratio, toInt, toMillionths } from './decimal.ts'
import { previousRange, resolveRange } from './report-range.ts'
import { metricsOf } from './google-ads.ts'

describe('exact report figures', () => {
  it('reads Google doubles by their decimal text, dropping float noise past the sixth decimal', () => {
    expect(toMillionths(0.1 + 0.2)).toBe(300_000n)
    expect(toMillionths(10.1 + 20.2)).toBe(30_300_000n)
    expect(toMillionths('12.50')).toBe(12_500_000n)
    expect(toMillionths(1e-7)).toBe(0n)
    expect(toMillionths(5e-7)).toBe(1n)
    expect(toMillionths(undefined)).toBe(0n)
    expect(fromMillionths(toMillionths(-3.25))).toBe('-3.25')
  })

  it('keeps int64 strings past 2^53 exact and refuses what is not an integer', () => {
    expect(toInt('9007199254740993')).toBe(9_007_199_254_740_993n)
    expect(() => toInt('1.5')).toThrow()
    expect(() => toInt(2 ** 60)).toThrow()
  })

  it('divides half up and says nothing for a zero denominator', () => {
    expect(divRound(5n, 2n)).toBe(3n)
    expect(divRound(4n, 3n)).toBe(1n)
    expect(ratio(1n, 3n)).toBe('0.3333')
    expect(ratio(2n, 3n)).toBe('0.6667')
    expect(ratio(1n, 0n)).toBeNull()
  })

  it('derives CTR, CPC, CPA and ROAS from the sums', () => {
    expect(
      metricsOf({
        impressions: 200n,
        clicks: 10n,
        costMicros: 25_000_000n,
        conversions: 2_500_000n,
        value: 100_000_000n,
      }),
    ).toEqual({
      impressions: '200',
      clicks: '10',
      costMicros: '25000000',
      conversions: '2.5',
      conversionsValue: '100',
      ctr: '0.0500',
      averageCpcMicros: '2500000',
      cpaMicros: '10000000',
      roas: '4.0000',
    })
    expect(metricsOf({ impressions: 0n, clicks: 0n, costMicros: 0n, conversions: 0n, value: 0n })).toMatchObject({
      ctr: null,
      averageCpcMicros: null,
      cpaMicros: null,
      roas: null,
    })
  })
})

describe('report ranges', () => {
  const today = new Date('2026-12-04T10:00:00Z')
  it('defaults to the 30 days up to yesterday and compares with the 30 before', () => {
    const r = resolveRange({}, today)
    expect(r).toEqual({ from: '2026-11-04', to: '2026-12-03' })
    expect(previousRange(r)).toEqual({ from: '2026-10-05', to: '2026-11-03' })
  })
  it('refuses a reversed range, a future end and more than 366 days', () => {
    expect(() => resolveRange({ from: '2026-11-02', to: '2026-11-01' }, today)).toThrow(/after/)
    expect(() => resolveRange({ to: '2026-12-05' }, today)).toThrow(/future/)
    expect(() => resolveRange({ from: '2025-01-01', to: '2026-12-01' }, today)).toThrow(/366/)
  })
})
