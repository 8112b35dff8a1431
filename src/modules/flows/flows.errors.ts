import type { GraphIssue } from '../../../contracts/flows.ts'
import { defineErrors } from '../../platform/http/errors.ts'

export const flowsErrors = defineErrors('flows', {
  not_found: { status: 404, message: 'No such flow.' },
  run_not_found: { status: 404, message: 'No such flow run.' },
  template_not_found: { status: 404, message: 'No such flow template.' },
  credential_not_found: { status: 404, message: 'No such credential.' },
  invalid_graph: {
    status: 400,
    when: 'The graph breaks a rule (unknown node type, bad config, dangling edge, cycle, missing trigger…).',
    message: (p: { issues: GraphIssue[] }) =>
      `The flow is not valid: ${p.issues
        .slice(0, 3)
        .map((i) => (i.nodeId ? `${i.nodeId}: ${i.message}` : i.message))
        .join('; ')}${p.issues.length > 3 ? ` (and ${p.issues.length - 3} more)` : ''}.`,
    details: (p) => ({ issues: p.issues }),
  },
  compose_invalid: {
    status: 422,
    when: 'Compose: the model kept answering a flow that breaks the rules after its repair rounds (the issues are in details).',
    message: (p: { issues: GraphIssue[] }) =>
      `The model could not compose a valid flow (${p.issues.length} issue${p.issues.length === 1 ? '' : 's'} left). ` +
      'Rephrase the prompt or start from a template.',
    details: (p) => ({ issues: p.issues }),
  },
  stale_draft: {
    status: 409,
    message: 'The draft was changed since you opened it. Reload it and apply your change again.',
  },
  archived: { status: 409, message: 'This flow is archived. Restore it first.' },
  not_published: { status: 409, message: 'This flow has no published version. Publish it first or test the draft.' },
  paused: { status: 409, message: 'This flow is paused. Resume it to run it.' },
  run_finished: { status: 409, message: 'This run has already finished.' },
  run_not_started: {
    status: 503,
    when: 'A webhook run could not be started (its process failed before storing it); nothing was done.',
    message: 'The run could not be started and nothing was done. Send the request again.',
  },
  schedule_invalid: {
    status: 400,
    when: 'A schedule preview was asked for a cron expression or a time zone the scheduler does not accept.',
    message: (p: { message: string }) => `The schedule is not valid: ${p.message}`,
  },
  expression_invalid: {
    status: 400,
    when: 'An expression does not parse.',
    message: (p: { message: string }) => `The expression does not parse: ${p.message}`,
  },
  expression_failed: {
    status: 400,
    when: 'An expression fails while it runs: a JSONata error, a function as the result, or input that is not JSON.',
    message: (p: { message: string; index?: number; position?: number }) =>
      `The expression failed: ${p.message}${p.position === undefined ? '' : ` (at position ${p.position})`}`,
    details: (p) => ({ index: p.index, position: p.position }),
  },
  expression_timeout: {
    status: 400,
    when: 'An expression runs past its time limit (it is stopped).',
    message: (p: { ms: number; index?: number }) => `The expression took longer than ${p.ms} ms.`,
    details: (p) => ({ index: p.index }),
  },
  expression_too_large: {
    status: 400,
    when: 'An expression, its input or its result is over the size limit, or it ran out of memory.',
    message: (p: { message: string; index?: number }) => `The expression is too large: ${p.message}.`,
    details: (p) => ({ index: p.index }),
  },
  webhook_not_found: { status: 404, message: 'No flow answers at this webhook URL.' },
  webhook_signature: { status: 401, message: 'The webhook signature is missing or does not match the body.' },
  webhook_body_invalid: { status: 400, message: 'The webhook body is not valid JSON.' },
  publisher_gone: {
    status: 409,
    message: 'The person who published this flow is no longer an admin of its client. An admin must publish it again.',
  },
  credential_field_required: {
    status: 400,
    message: 'A header or query credential needs the name of its header or parameter (field).',
  },
  credential_basic_format: { status: 400, message: 'A basic credential is written user:password.' },
  credential_name_taken: { status: 409, message: 'This client already has a credential with this name.' },
})
