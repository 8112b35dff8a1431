import { defineErrors } from '../../platform/http/errors.ts'

export const crmErrors = defineErrors('crm', {
  contact_not_found: { status: 404, message: 'No such contact.' },
  company_not_found: { status: 404, message: 'No such company.' },
  pipeline_not_found: { status: 404, message: 'No such pipeline.' },
  stage_not_found: { status: 404, message: 'No such stage in this pipeline.' },
  deal_not_found: { status: 404, message: 'No such deal.' },
  booking_not_found: { status: 404, message: 'No such booking.' },
  task_not_found: { status: 404, message: 'No such task.' },
  field_not_found: { status: 404, message: 'No such custom field.' },
  duplicate_contact: {
    status: 409,
    when:
      'A contact was created, restored or changed with a phone, email or WhatsApp id another live contact of the ' +
      "client already has; details name that contact's id (null when it could not be told).",
    message: (p: { existingId: string | null; field: 'phone' | 'email' | 'identity'; value: string }) =>
      `A contact with the ${p.field === 'identity' ? 'WhatsApp id' : p.field} ${p.value} already exists${
        p.existingId ? ` (${p.existingId})` : ''
      }: open it or merge the two.`,
    details: (p) => ({ existingId: p.existingId, field: p.field, value: p.value }),
  },
  phone_needs_country: {
    status: 400,
    when: "A phone without a leading '+' was given for a client whose CRM has no default country.",
    message: (p: { phone: string }) =>
      `The phone "${p.phone}" has no country code: write it as +<country code><number>, or set the client's default country in the CRM settings.`,
    details: (p) => ({ phone: p.phone }),
  },
  invalid_phone: {
    status: 400,
    when: 'A phone number that is not a valid number (after reading it in the default country, when it has no +).',
    message: (p: { phone: string }) => `"${p.phone}" is not a valid phone number.`,
    details: (p) => ({ phone: p.phone }),
  },
  invalid_country: {
    status: 400,
    when: 'The default country set is not a country code libphonenumber knows.',
    message: (p: { country: string }) => `"${p.country}" is not a supported country code (ISO 3166 alpha-2, e.g. RO).`,
  },
  invalid_time_zone: {
    status: 400,
    when: 'A booking or the CRM settings name a time zone that is not an IANA zone (e.g. Europe/Bucharest).',
    message: (p: { timeZone: string }) =>
      `"${p.timeZone}" is not a time zone (use an IANA name like Europe/Bucharest).`,
  },
  invalid_date: {
    status: 400,
    when: 'A date that is shaped like YYYY-MM-DD but does not exist (2026-02-30).',
    message: (p: { date: string }) => `"${p.date}" is not a calendar date.`,
  },
  unknown_field: {
    status: 400,
    when: 'A custom field value was given for a key the client has not defined (or archived) for that kind of record.',
    message: (p: { key: string }) => `There is no custom field "${p.key}" here: define it first.`,
    details: (p) => ({ key: p.key }),
  },
  invalid_field_value: {
    status: 400,
    when: "A custom field value does not match the field's type (or is not one of a select field's options).",
    message: (p: { key: string; expected: string }) => `The field "${p.key}" takes ${p.expected}.`,
    details: (p) => ({ key: p.key, expected: p.expected }),
  },
  field_exists: {
    status: 409,
    when: 'A custom field was defined with a key the client already uses for that kind of record.',
    message: (p: { key: string }) => `A custom field "${p.key}" already exists.`,
  },
  select_needs_options: {
    status: 400,
    message: 'A select field needs at least one option (and only select fields take options).',
  },
  owner_not_member: {
    status: 422,
    message: 'A contact can only be owned by a member of this workspace.',
  },
  contact_archived: {
    status: 409,
    when: 'A merge, deal or booking named an archived (or merged, or erased) contact where a live one is needed.',
    message: 'This contact is archived: restore it first.',
  },
  contact_erased: { status: 409, message: 'This contact was erased: it cannot be changed or restored.' },
  merge_self: { status: 400, message: 'A contact cannot be merged into itself.' },
  already_merged: {
    status: 409,
    when: 'The contact to merge was already merged into another one.',
    message: 'That contact was already merged into another one.',
  },
  lost_reason_required: {
    status: 400,
    when: 'A deal was moved to a stage marked lost without a reason.',
    message: 'A lost deal needs a reason (lostReason).',
  },
  invalid_source: {
    status: 422,
    when: "A booking's source names a thread or messages that are not the client's (or the messages are not in that thread).",
    message: "The booking's source messages are not in that conversation of this client.",
  },
  view_not_found: { status: 404, message: 'No such saved view.' },
  view_not_yours: {
    status: 403,
    when: 'A member changes or deletes a shared view another member saved (views are changed by their owner only).',
    message: 'Only the member who saved this view can change or delete it.',
  },
  view_name_taken: {
    status: 409,
    when: 'A member saves a view under the name of another of their views of the client.',
    message: (p: { name: string }) => `You already have a view named "${p.name}".`,
  },
  too_many_views: {
    status: 409,
    when: 'A member already has 50 saved views of the client.',
    message: 'You have 50 saved views for this client: delete one first.',
  },
  thread_not_found: { status: 404, message: 'No such conversation.' },
  nothing_to_extract: {
    status: 409,
    when: 'A booking was to be drafted from a conversation that has no message with text from the customer.',
    message: 'There is no message from the customer in this conversation to draft a booking from.',
  },
  extraction_invalid: {
    status: 502,
    when: 'The model did not answer with a booking draft in the structure asked for, after a repair round.',
    message: 'The model did not answer with a booking draft. Try again.',
  },
  invalid_email: {
    status: 400,
    when: 'A flow\'s "Create or update contact" step was given an email that is not an address.',
    message: (p: { email: string }) => `"${p.email}" is not an email address.`,
  },
  import_not_found: { status: 404, message: 'No such import.' },
  import_unreadable: {
    status: 400,
    when: 'A lead file that is not CSV the parser can read (an unclosed quote, no header row…).',
    message: (p: { reason: string }) => `The file cannot be read as CSV: ${p.reason}.`,
    details: (p) => ({ reason: p.reason }),
  },
  import_too_many_rows: {
    status: 413,
    when: 'A lead file with more rows than one import takes.',
    message: (p: { max: number }) => `A file can have at most ${p.max} rows: split it and import the parts.`,
    details: (p) => ({ max: p.max }),
  },
  import_unknown_column: {
    status: 400,
    when: "An import's mapping names a column the file's header does not have.",
    message: (p: { column: string }) => `The file has no column "${p.column}".`,
    details: (p) => ({ column: p.column }),
  },
  import_key_reused: {
    status: 409,
    when: 'An Idempotency-Key already used for a different lead file (or source) of the client.',
    message: 'This Idempotency-Key was used for another import: use a new key for a new file.',
  },
  campaign_not_found: { status: 404, message: 'No such campaign.' },
  number_not_found: {
    status: 404,
    when: "A campaign names a WhatsApp number that is not one of the client's.",
    message: 'No such WhatsApp number for this client.',
  },
  campaign_not_draft: {
    status: 409,
    when: 'A campaign that already started (or was cancelled) was changed or started again.',
    message: (p: { status: string }) => `This campaign is ${p.status}: only a draft can be changed or started.`,
    details: (p) => ({ status: p.status }),
  },
  campaign_finished: {
    status: 409,
    when: 'A campaign that is done or cancelled was cancelled.',
    message: (p: { status: string }) => `This campaign is already ${p.status}.`,
    details: (p) => ({ status: p.status }),
  },
  campaign_needs_template: {
    status: 400,
    when: 'A campaign on a Cloud API number sends a text: outside the 24-hour window WhatsApp accepts only templates.',
    message: 'A campaign on a Cloud API number must send an approved message template.',
  },
  campaign_template_needs_cloud: {
    status: 400,
    when: 'A campaign on a QR-paired number names a message template (templates are a Cloud API feature).',
    message: 'Templates are sent only from Cloud API numbers: write a text for a QR-paired number.',
  },
  template_not_approved: {
    status: 400,
    when: "A Cloud campaign starts with a template the number's business account does not have approved in that language.",
    message: (p: { name: string; language: string }) =>
      `The template "${p.name}" (${p.language}) is not an approved template of this number.`,
    details: (p) => ({ name: p.name, language: p.language }),
  },
  campaign_too_large: {
    status: 400,
    when: 'A campaign starts with a segment that selects more contacts than one campaign takes.',
    message: (p: { max: number }) => `A campaign can reach at most ${p.max} contacts: narrow the segment or split it.`,
    details: (p) => ({ max: p.max }),
  },
  campaign_no_recipients: {
    status: 409,
    when: 'A campaign starts with a segment that leaves no one to send to (none selected, opted out or unreachable).',
    message: 'No contact of this segment can be sent this campaign: change the segment.',
  },
  import_bad_url: {
    status: 400,
    when: 'A page import names a URL that is not an http(s) address (or carries a user name or password).',
    message: (p: { url: string }) => `"${p.url}" is not a web page address (http:// or https://).`,
    details: (p) => ({ url: p.url }),
  },
})
