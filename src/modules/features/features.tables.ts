import type { Generated } from 'kysely'

export type FeatureOverridesTable = {
  workspaceId: string
  feature: string
  enabled: boolean
  reason: string
  updatedAt: Generated<Date>
}

export type FeaturesTables = { featureOverrides: FeatureOverridesTable }
