import type { EmailMessage } from '../mail/mail.module.ts'

/** The texts of identity's emails; each carries one link whose secret is shown nowhere else. */
export const verificationEmail = (to: { email: string; name: string }, link: string): EmailMessage => ({
  kind: 'verify_email',
  to: to.email,
  link,
  subject: 'Confirm your email for Camarad',
  text:
    `Hello ${to.name},\n\nConfirm that this is your email address by opening this link (valid 48 ` +
    `hours):\n\n${link}\n\nIf you did not sign up for Camarad, ignore this email.\n`,
})

export const passwordResetEmail = (to: { email: string; name: string }, link: string): EmailMessage => ({
  kind: 'reset_password',
  to: to.email,
  link,
  subject: 'Reset your Camarad password',
  text:
    `Hello ${to.name},\n\nSomeone asked to reset the password of your Camarad account. Choose a new one here ` +
    `(valid 30 minutes, once):\n\n${link}\n\nResetting signs you out everywhere and revokes your API tokens. If ` +
    `you did not ask for this, ignore this email: your password stays as it is.\n`,
})
