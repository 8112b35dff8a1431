import { AppError, conflict, notFound, unauthorized } from '../../platform/http/errors.ts'

export const invalidCredentials = () => unauthorized('auth.invalid_credentials', 'Email or password is incorrect.')
export const emailTaken = () =>
  conflict('auth.email_taken', 'An account with this email already exists. Log in instead.')
export const tokenNotFound = () => notFound('token.not_found', 'No such API token.')
export const wrongCurrentPassword = () => new AppError(400, 'auth.wrong_password', 'The current password is incorrect.')
export const googleNotConfigured = () =>
  notFound('auth.google_disabled', 'Google sign-in is not configured on this server.')
export const linkInvalid = () =>
  new AppError(
    400,
    'auth.link_invalid',
    'This link is not valid: it was used already or it expired. Ask for a new one.',
  )
export const alreadyVerified = () => conflict('auth.already_verified', 'Your email is verified already.')
