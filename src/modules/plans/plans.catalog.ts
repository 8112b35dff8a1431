import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'
import { PlanDto, PlanLimits } from '../../../contracts/plans.ts'

const PlanEntry = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,39}$/),
  name: z.string().min(1).max(60),
  description: z.string().max(300),
  priceMonthlyCents: z.number().int().min(0),
  currency: z.literal('EUR'),
  monthlyCredits: z.number().int().min(0),
  modelTiers: z.array(z.enum(['standard', 'advanced'])).min(1),
  limits: z.strictObject(PlanLimits.shape),
  highlights: z.array(z.string().max(120)).max(12),
})

/** The catalog file: one entry per plan; `free` must exist, cost nothing and allow a first client and its owner. */
export const PlansFile = z
  .object({
    $comment: z.string().optional(),
    plans: z.array(PlanEntry).min(1),
  })
  .superRefine((f, ctx) => {
    const ids = f.plans.map((p) => p.id)
    if (new Set(ids).size !== ids.length)
      ctx.addIssue({ code: 'custom', message: 'plan ids must be unique', path: ['plans'] })
    const free = f.plans.find((p) => p.id === 'free')
    if (!free) return ctx.addIssue({ code: 'custom', message: 'a plan with id "free" is required', path: ['plans'] })
    if (free.priceMonthlyCents !== 0)
      ctx.addIssue({ code: 'custom', message: 'the free plan costs 0', path: ['plans'] })
    for (const key of ['clients', 'members'] as const)
      if (free.limits[key] !== null && free.limits[key] < 1)
        ctx.addIssue({
          code: 'custom',
          message: `the free plan must allow at least 1 of ${key} (a first workspace is always creatable)`,
          path: ['plans'],
        })
  })

export type Plan = PlanDto & { stripePriceId: string | null }
export type ModelTier = Plan['modelTiers'][number]
export type StripePrices = Partial<Record<string, string | undefined>>

export class PlansFileError extends Error {}

/** Reads and validates the catalog at boot; an invalid file stops the process with every problem listed. */
export const loadPlansFile = (path: string) => {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(resolve(path), 'utf8'))
  } catch (e) {
    throw new PlansFileError(`Cannot read the plans catalog ${path}: ${(e as Error).message}`)
  }
  const parsed = PlansFile.safeParse(raw)
  if (!parsed.success)
    throw new PlansFileError(
      `Invalid plans catalog ${path}:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    )
  return parsed.data
}

/** The plans in catalog order, each with its Stripe price from the environment (`STRIPE_PRICE_<ID>`). */
export const createCatalog = (file: z.infer<typeof PlansFile>, stripePrices: StripePrices) => {
  const plans: Plan[] = file.plans.map((p) => ({ ...p, stripePriceId: stripePrices[p.id] ?? null }))
  const byId = new Map(plans.map((p) => [p.id, p]))
  const free = byId.get('free')!
  return {
    plans,
    find: (id: string) => byId.get(id),
    /** A workspace whose plan left the catalog is treated as Free. */
    get: (id: string) => byId.get(id) ?? free,
    allowsModelTier: (plan: string, tier: ModelTier) => (byId.get(plan) ?? free).modelTiers.includes(tier),
  }
}
export type Catalog = ReturnType<typeof createCatalog>

export const toPlanDto = ({ stripePriceId: _omit, ...p }: Plan): PlanDto => p
