import { defineErrors } from '../../platform/http/errors.ts'

export const inboxErrors = defineErrors('inbox', {
  thread_not_found: { status: 404, message: 'No such conversation.' },
})
