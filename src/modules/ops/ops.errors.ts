import { defineErrors } from '../../platform/http/errors.ts'

export const opsErrors = defineErrors('ops', {
  internal_token_required: {
    status: 401,
    when: '/metrics is asked for without the operator token (when the server requires one).',
    message: 'Send the operator token in X-Internal-Token.',
  },
  incident_not_found: {
    status: 404,
    when: 'An update is posted to a status page incident that does not exist.',
    message: 'No incident with this id.',
  },
  incident_resolved: {
    status: 409,
    when: 'An update is posted to an incident already resolved (post a new incident instead).',
    message: 'This incident is resolved; post a new incident instead.',
  },
})
