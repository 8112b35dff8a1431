import { defineErrors } from '../../platform/http/errors.ts'

export const opsErrors = defineErrors('ops', {
  internal_token_required: {
    status: 401,
    when: '/metrics is asked for without the operator token (when the server requires one).',
    message: 'Send the operator token in X-Internal-Token.',
  },
})
