import { defineErrors } from '../../platform/http/errors.ts'
import { FEATURES, type FeatureKey } from '../../../contracts/features.ts'

export const featuresErrors = defineErrors('features', {
  disabled: {
    status: 403,
    when: 'A risky feature (QR numbers, auto-reply, campaigns, page import) is off for the workspace: FEATURES_OFF or an operator override.',
    message: (f: { feature: FeatureKey }) =>
      `The operator has switched this off for this workspace — ${FEATURES[f.feature]} Ask them to switch it on.`,
    details: (f) => ({ feature: f.feature }),
  },
  workspace_not_found: {
    status: 404,
    when: 'The operator names a workspace that does not exist.',
    message: 'No such workspace.',
  },
})
