import { AppError, documentErrors } from '../http/errors.ts'

export type EgressErrorCode =
  | 'egress.invalid_url'
  | 'egress.scheme_not_allowed'
  | 'egress.address_not_allowed'
  | 'egress.too_large'
  | 'egress.timeout'
  | 'egress.too_many_redirects'
  | 'egress.network'

// The caller's URL is at fault for the first three; the rest are the far side misbehaving.
const STATUS: Record<EgressErrorCode, number> = {
  'egress.invalid_url': 400,
  'egress.scheme_not_allowed': 400,
  'egress.address_not_allowed': 400,
  'egress.too_large': 502,
  'egress.timeout': 504,
  'egress.too_many_redirects': 502,
  'egress.network': 502,
}

const WHEN: Record<EgressErrorCode, string> = {
  'egress.invalid_url': 'An outbound URL (a tool call, a provider base URL) is not valid or carries credentials.',
  'egress.scheme_not_allowed': 'An outbound URL is not http or https.',
  'egress.address_not_allowed': 'An outbound URL resolves to a private, loopback or otherwise internal address.',
  'egress.too_large': 'The far side sent a response larger than allowed.',
  'egress.timeout': 'The far side gave no complete response in time.',
  'egress.too_many_redirects': 'The far side redirected too many times.',
  'egress.network': 'The host did not resolve, or the connection failed or closed early.',
}

/** For docs/errors.md: the message says what happened to that request. */
export const egressErrors = documentErrors(
  'egress',
  (Object.keys(STATUS) as EgressErrorCode[]).map((code) => ({
    name: code.slice('egress.'.length),
    code,
    status: STATUS[code],
    when: WHEN[code],
  })),
)

/** A refused or failed outbound request. Messages never name the resolved address (no internal DNS map). */
export class EgressError extends AppError {
  declare readonly code: EgressErrorCode
  constructor(code: EgressErrorCode, message: string) {
    super(STATUS[code], code, message)
    this.name = 'EgressError'
  }
}
