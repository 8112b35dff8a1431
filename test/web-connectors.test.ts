import { describe, expect, it } from 'vitest'
import {
  change,
  formatInteger,
  formatMicros,
  formatRatioPercent,
  millionthsToDecimal,
  shares,
  toMillionths,
} from '../web/src/modules/connectors/figures.ts'
import { presetRange, previousOf, rangeProblem, yesterdayUtc } from '../web/src/modules/connectors/range.ts'

describe('connectors web: exact figures', () => {
  it('reads decimal strings as millionths, beyond what a double holds', () => {
    expect(toMillionths('12')).toBe(12_000_000n)
    expect(toMillionths('-3.5')).toBe(-3_500_000n)
    expect(toMillionths('0.0532')).toBe(53_200n)
    expect(toMillionths('9007199254740993')).toBe(9_007_199_254_740_993_000_000n)
    expect(toMillionths('abc')).toBeNull()
    expect(toMillionths(null)).toBeNull()
  })

  it('rounds half away from zero', () => {
    expect(millionthsToDecimal(1_234_565n, 2)).toBe('1.23')
    expect(millionthsToDecimal(1_235_000n, 2)).toBe('1.24')
    expect(millionthsToDecimal(-1_235_000n, 2)).toBe('-1.24')
    expect(millionthsToDecimal(-4n, 2)).toBe('0.00')
    expect(millionthsToDecimal(2_500_000n, 0)).toBe('3')
  })

  it('formats money from micros without losing cents on big amounts', () => {
    const eur = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' })
    expect(formatMicros('1234567890', 'EUR')).toBe(eur.format(1234.57))
    // 90 071 992 547 409.93 EUR: a double would print …409.94 or …410
    expect(formatMicros('90071992547409925000', 'EUR')).toMatch(/409[.,]93/)
    expect(formatMicros(null, 'EUR')).toBe('—')
    expect(formatMicros('5000000', 'XXQ')).toMatch(/XXQ.*5[.,]00|5[.,]00.*XXQ/)
  })

  it('formats integers and ratios', () => {
    expect(formatInteger('12345')).toBe(new Intl.NumberFormat().format(12345))
    expect(formatRatioPercent('0.0532')).toBe(
      `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(5.32)}%`,
    )
  })

  it('computes the change against the previous period exactly', () => {
    expect(change('150', '100')).toEqual({ direction: 'up', percent: '+50.0%' })
    expect(change('1000000', '3000000')).toEqual({ direction: 'down', percent: '-66.7%' })
    expect(change('100', '100')).toEqual({ direction: 'flat', percent: '0%' })
    expect(change('5', '0')).toEqual({ direction: 'new' })
    expect(change('0', '0')).toEqual({ direction: 'flat', percent: '0%' })
    expect(change('5', null)).toBeNull()
  })

  it('sizes bars on exact values', () => {
    expect(shares(['50', '100', null, '0'])).toEqual([0.5, 1, 0, 0])
    expect(shares(['0'])).toEqual([0])
  })
})

describe('connectors web: date ranges', () => {
  const now = new Date('2026-12-04T00:30:00Z')
  it('ends presets yesterday (UTC)', () => {
    expect(yesterdayUtc(now)).toBe('2026-12-03')
    expect(presetRange('yesterday', now)).toEqual({ from: '2026-12-03', to: '2026-12-03' })
    expect(presetRange('last_7_days', now)).toEqual({ from: '2026-11-27', to: '2026-12-03' })
    expect(presetRange('last_30_days', now)).toEqual({ from: '2026-11-04', to: '2026-12-03' })
  })

  it('compares with the same number of days just before', () => {
    expect(previousOf({ from: '2026-11-04', to: '2026-12-03' })).toEqual({ from: '2026-10-05', to: '2026-11-03' })
  })

  it('refuses custom ranges the API would refuse', () => {
    expect(rangeProblem({ from: '2026-12-01', to: '2026-11-01' }, now)).toMatch(/after/)
    expect(rangeProblem({ from: '2026-12-01', to: '2026-12-05' }, now)).toMatch(/future/)
    expect(rangeProblem({ from: '2025-01-01', to: '2026-12-01' }, now)).toMatch(/366/)
    expect(rangeProblem({ from: '', to: '2026-12-01' }, now)).toMatch(/both/)
    expect(rangeProblem({ from: '2026-11-01', to: '2026-12-01' }, now)).toBeNull()
  })
})
