import { describe, expect, it } from 'vitest'
import { demoAdsReport, demoAnalyticsReport } from './demo-data.ts'

const CLIENTS = Array.from({ length: 40 }, (_, i) => `cl_demo${i}`)
const YEAR = { from: '2025-12-01', to: '2026-11-30' }
const sum = (values: string[]) => values.reduce((n, v) => n + BigInt(v), 0n).toString()

describe('demo data', () => {
  it('gives every client Ads totals that are its rows’ sums, with clicks below impressions', () => {
    for (const c of CLIENTS) {
      const r = demoAdsReport(c, 'keywords', { from: '2026-11-01', to: '2026-11-30' })
      expect(r.totals.costMicros).toBe(sum(r.rows.map((row) => row.metrics.costMicros)))
      expect(BigInt(r.totals.clicks)).toBeLessThan(BigInt(r.totals.impressions))
      expect(r.totals.conversions).toMatch(/^\d+(\.\d)?$/)
    }
  })

  it('narrows every funnel step by step, for any client and steps', () => {
    for (const c of CLIENTS) {
      const f = demoAnalyticsReport(c, 'funnel', { from: '2026-11-01', to: '2026-11-07' }, [
        'a',
        'b',
        'c',
        'd',
        'e',
        'f',
      ])
      for (const step of f.funnel!.slice(1)) expect(Number(step.fromPrevious)).toBeLessThan(1)
    }
  })

  it('is the same for the same client and range, and a year is one row per day', () => {
    expect(demoAnalyticsReport('cl_a', 'sources', YEAR)).toEqual(demoAnalyticsReport('cl_a', 'sources', YEAR))
    expect(demoAnalyticsReport('cl_a', 'overview', YEAR).rows).toHaveLength(365)
    expect(demoAdsReport('cl_a', 'campaigns', YEAR).totals).not.toEqual(demoAdsReport('cl_b', 'campaigns', YEAR).totals)
  })
})
