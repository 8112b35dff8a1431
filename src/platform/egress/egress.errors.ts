import { AppError } from '../http/errors.ts'

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

/** A refused or failed outbound request. Messages never name the resolved address (no internal DNS map). */
export class EgressError extends AppError {
  declare readonly code: EgressErrorCode
  constructor(code: EgressErrorCode, message: string) {
    super(STATUS[code], code, message)
    this.name = 'EgressError'
  }
}
