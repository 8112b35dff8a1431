import { defineErrors } from '../../platform/http/errors.ts'

export const channelsErrors = defineErrors('channels', {
  not_found: { status: 404, message: 'No such number.' },
  cloud_number_taken: {
    status: 409,
    when: 'A Cloud API phone number id is already connected to a number here (the webhook tells numbers apart by it).',
    message: 'This Cloud API phone number is already connected. Log the other one out first.',
  },
  already_logged_out: { status: 409, message: 'This number is already logged out.' },
  stale_owner: {
    status: 409,
    when: "A process that no longer holds a number's lease tried to write its auth state (refused in SQL).",
    message: 'Another process drives this number now; this one stopped writing its keys.',
  },
})
