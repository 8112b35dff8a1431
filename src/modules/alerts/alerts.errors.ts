import { defineErrors } from '../../platform/http/errors.ts'

export const alertsErrors = defineErrors('alerts', {
  not_found: { status: 404, message: 'No such alert in this workspace.' },
  webhook_not_found: { status: 404, message: 'This workspace has no alert webhook.' },
})
