import { defineErrors } from '../../platform/http/errors.ts'

export const legalErrors = defineErrors('legal', {
  not_found: { status: 404, message: 'This document has not been written by the operator yet.' },
})
