import { defineErrors } from '../../platform/http/errors.ts'

export const boardroomErrors = defineErrors('boardroom', {
  meeting_not_found: { status: 404, message: 'No such meeting.' },
  meeting_running: { status: 409, message: 'This meeting is still running in another process.' },
})
