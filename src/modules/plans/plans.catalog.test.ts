import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCatalog, loadPlansFile, PlansFileError } from './plans.catalog.ts'

const real = JSON.parse(readFileSync('config/plans.json', 'utf8')) as { plans: Record<string, unknown>[] }
const write = (content: unknown) => {
  const file = join(mkdtempSync(join(tmpdir(), 'camarad-plans-')), 'plans.json')
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}
const withFree = (patch: Record<string, unknown>) => ({
  plans: real.plans.map((p) => (p.id === 'free' ? { ...p, ...patch } : p)),
})

describe('the plans catalog file', () => {
  it('loads the shipped catalog: Free, Starter, Pro, Agency in order, Stripe prices from the environment', () => {
    const catalog = createCatalog(loadPlansFile('config/plans.json'), { pro: 'price_pro' })
    expect(catalog.plans.map((p) => p.id)).toEqual(['free', 'starter', 'pro', 'agency'])
    expect(catalog.find('pro')?.stripePriceId).toBe('price_pro')
    expect(catalog.find('starter')?.stripePriceId).toBeNull()
  })

  it('treats a plan missing from the catalog as Free, for limits and model tiers', () => {
    const catalog = createCatalog(loadPlansFile('config/plans.json'), {})
    expect(catalog.get('legacy-gold').id).toBe('free')
    expect(catalog.allowsModelTier('legacy-gold', 'advanced')).toBe(false)
    expect(catalog.allowsModelTier('pro', 'advanced')).toBe(true)
    expect(catalog.allowsModelTier('starter', 'advanced')).toBe(false)
  })

  it('refuses a Free plan that would not let a first workspace have its client', () => {
    expect(() =>
      loadPlansFile(write(withFree({ limits: { ...(real.plans[0]!.limits as object), clients: 0 } }))),
    ).toThrow(/at least 1 of clients/)
  })

  it('refuses a catalog without Free, with a priced Free, or with duplicate ids', () => {
    expect(() => loadPlansFile(write({ plans: real.plans.filter((p) => p.id !== 'free') }))).toThrow(
      /"free" is required/,
    )
    expect(() => loadPlansFile(write(withFree({ priceMonthlyCents: 900 })))).toThrow(/costs 0/)
    expect(() => loadPlansFile(write({ plans: [...real.plans, real.plans[1]] }))).toThrow(/unique/)
  })

  it('stops the boot on a file that is missing, not JSON, or has unknown fields', () => {
    expect(() => loadPlansFile('/nonexistent/plans.json')).toThrow(PlansFileError)
    expect(() => loadPlansFile(write('{ not json'))).toThrow(PlansFileError)
    expect(() => loadPlansFile(write(withFree({ seats: 3 })))).toThrow(/Invalid plans catalog/)
  })
})
