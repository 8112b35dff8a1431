import { defineErrors } from '../../platform/http/errors.ts'

export const inboxErrors = defineErrors('inbox', {
  thread_not_found: { status: 404, message: 'No such conversation.' },
  number_not_found: { status: 404, message: 'No such WhatsApp number for this client.' },
  channel_cannot_send: {
    status: 409,
    when: 'The conversation is on a number that cannot send now (logged out, or a QR number whose session is not running).',
    message: 'This number cannot send messages right now.',
  },
  window_closed: {
    status: 409,
    when: "More than 24 hours passed since the contact's last message: WhatsApp accepts only a template now.",
    message: 'The 24-hour window is closed: the contact has not written for a day, so only a template can be sent.',
  },
  assignee_not_member: {
    status: 422,
    when: 'A conversation was assigned to someone who is not a member of the workspace.',
    message: 'A conversation can only be assigned to a member of this workspace.',
  },
  nothing_to_suggest: {
    status: 409,
    when: 'A reply was asked for in a conversation that has no message with text to answer.',
    message: 'There is no message in this conversation to suggest a reply to.',
  },
  suggestion_timed_out: {
    status: 504,
    when: 'The model did not finish a suggested reply in time (nothing was charged beyond what it produced).',
    message: 'The suggested reply took too long. Try again.',
  },
  template_needs_cloud: {
    status: 409,
    when: "A template was sent on a QR number: templates are Meta's Cloud API's (a QR number sends text in any case).",
    message: 'Templates are sent through Cloud API numbers only.',
  },
  message_not_found: { status: 404, message: 'No such outbound message.' },
  media_not_found: { status: 404, message: 'No such media file.' },
  media_not_stored: {
    status: 409,
    when: 'A media file was asked for that is not stored: still downloading, larger than the cap, or gone at WhatsApp.',
    message: 'This file is not stored.',
  },
  media_range_invalid: {
    status: 416,
    when: 'A Range header asked for bytes outside the file, or more than one range.',
    message: 'The requested range is not in this file.',
  },
  not_dead: {
    status: 409,
    when: 'An operator replayed a message the outbox never set aside as dead (queued, sent, or failed for good).',
    message: 'This message is not a dead letter: only those can be replayed.',
  },
})
