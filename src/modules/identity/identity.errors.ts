import { defineErrors } from '../../platform/http/errors.ts'
import { retryAfter } from '../../platform/http/http.errors.ts'

const THROTTLED = {
  sign_in: 'Too many sign-in attempts. Wait a moment and try again.',
  sign_up: 'Too many sign-ups from this address. Try again later.',
  reset_from_address: 'Too many password reset requests from this address. Try again later.',
  reset_to_email: 'A reset link was sent several times already. Check your inbox, or try again later.',
  verification_from_address: 'Too many verification emails from this address. Try again later.',
  verification_to_account: 'A verification email was sent several times already. Check your inbox, or try again later.',
}

/** Signing in and the account (the platform's `auth.*` table has the request-level ones). */
export const identityErrors = defineErrors('auth', {
  invalid_credentials: { status: 401, message: 'Email or password is incorrect.' },
  email_taken: { status: 409, message: 'An account with this email already exists. Log in instead.' },
  wrong_password: { status: 400, message: 'The current password is incorrect.' },
  weak_password: {
    status: 400,
    message: 'This password is too easy to guess. Use a longer phrase that is not your email or a common password.',
  },
  google_disabled: { status: 404, message: 'Google sign-in is not configured on this server.' },
  google_failed: {
    status: 400,
    when: 'Google sign-in did not complete (the reason follows: an unverified or missing email, a failed exchange).',
    message: (p: { reason: string }) => `Google sign-in did not complete: ${p.reason}`,
  },
  link_invalid: {
    status: 400,
    message: 'This link is not valid: it was used already or it expired. Ask for a new one.',
  },
  already_verified: { status: 409, message: 'Your email is verified already.' },
  throttled: {
    status: 429,
    when:
      'Too many sign-in or sign-up attempts, password reset requests or verification emails from one address, or ' +
      'to one email or account, within the window.',
    message: (p: { retryAfterSeconds: number; what: keyof typeof THROTTLED }) => THROTTLED[p.what],
    ...retryAfter,
  },
})

export const tokenErrors = defineErrors('token', {
  not_found: { status: 404, message: 'No such API token.' },
})
