import { z } from 'zod'

/**
 * Risky features the operator can switch off for the whole installation (`FEATURES_OFF`) and on or off for one
 * workspace (an override). Each says what is at risk.
 */
export const FEATURES = {
  whatsapp_qr:
    'Linking WhatsApp numbers by QR code: an unofficial client, so WhatsApp may ban a number it finds automated.',
  auto_reply: 'AI auto-replies to customers on WhatsApp, sent without a person reading each one.',
  campaigns: 'CRM broadcast campaigns: one message to many contacts at once.',
  page_import: 'Lead import from web pages: pages of other sites fetched and read for contacts.',
} as const
export type FeatureKey = keyof typeof FEATURES
export const FEATURE_KEYS = Object.keys(FEATURES) as [FeatureKey, ...FeatureKey[]]
export const Feature = z.enum(FEATURE_KEYS)

export const FeatureStateDto = z
  .object({
    feature: Feature,
    description: z.string(),
    enabled: z.boolean(),
    /** The installation's default (`FEATURES_OFF`). */
    default: z.boolean(),
    /** `workspace`: the operator set this workspace apart from the default. */
    source: z.enum(['default', 'workspace']),
  })
  .meta({ id: 'FeatureState' })
export const WorkspaceFeaturesDto = z.object({ items: z.array(FeatureStateDto) })

export const FeatureParams = z.strictObject({ id: z.string().min(3).max(64), feature: Feature })
export const FeatureOverridePut = z
  .strictObject({
    /** `null`: back to the installation's default. */
    enabled: z.boolean().nullable(),
    reason: z.string().trim().min(3).max(500),
  })
  .meta({ id: 'FeatureOverridePut' })
export type FeatureOverridePut = z.infer<typeof FeatureOverridePut>
