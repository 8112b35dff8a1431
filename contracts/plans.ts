import { z } from 'zod'

/** What a plan limits; `null` means unlimited. */
export const PlanLimits = z.object({
  clients: z.number().int().nullable(),
  members: z.number().int().nullable(),
  customAgents: z.number().int().nullable(),
  flows: z.number().int().nullable(),
  channelNumbers: z.number().int().nullable(),
  connectors: z.number().int().nullable(),
  messagesPerMonth: z.number().int().nullable().meta({
    description:
      'WhatsApp inbox messages a month (counted once the inbox module exists; AI chat is metered in credits, not by this limit)',
  }),
})
export type PlanLimits = z.infer<typeof PlanLimits>
export type LimitKey = keyof PlanLimits

export const PlanDto = z
  .object({
    id: z.string().meta({ description: '`free`, `starter`, `pro`, `agency`' }),
    name: z.string(),
    description: z.string(),
    /** Monthly price in EUR minor units (cents); 0 for Free. */
    priceMonthlyCents: z.number().int(),
    currency: z.literal('EUR'),
    monthlyCredits: z.number().int().meta({ description: 'Credits granted each month (whole credits)' }),
    modelTiers: z.array(z.enum(['standard', 'advanced'])),
    limits: PlanLimits,
    highlights: z.array(z.string()),
  })
  .meta({ id: 'Plan' })
export type PlanDto = z.infer<typeof PlanDto>

export const PlansDto = z
  .object({
    plans: z.array(PlanDto),
    /** Whether Stripe is configured on this server; without it the operator assigns plans (self-hosted mode). */
    billingEnabled: z.boolean(),
  })
  .meta({ id: 'Plans' })

export const WorkspacePlanDto = z
  .object({
    workspaceId: z.string(),
    plan: PlanDto,
    /** For each limit: how much is used now and the plan's limit (null: unlimited). */
    usage: z.array(
      z.object({
        key: z.enum([
          'clients',
          'members',
          'customAgents',
          'flows',
          'channelNumbers',
          'connectors',
          'messagesPerMonth',
        ]),
        used: z.number().int(),
        limit: z.number().int().nullable(),
      }),
    ),
    billingEnabled: z.boolean(),
    upgradeUrl: z.string(),
  })
  .meta({ id: 'WorkspacePlan' })
export type WorkspacePlanDto = z.infer<typeof WorkspacePlanDto>

export const OperatorPlanPut = z.strictObject({
  plan: z.string().min(2).max(40),
  reason: z.string().trim().min(3).max(500),
})

/** The operator's answer to a plan assignment: the workspace's plan now, and the credits this call granted (0 when already granted this month). */
export const OperatorPlanResultDto = WorkspacePlanDto.extend({ grantedCredits: z.number().int() }).meta({
  id: 'OperatorPlanResult',
})
export type OperatorPlanResultDto = z.infer<typeof OperatorPlanResultDto>
export type OperatorPlanPut = z.infer<typeof OperatorPlanPut>
