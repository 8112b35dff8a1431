import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  Accepted,
  PasswordResetBody,
  PasswordResetConfirm,
  SessionResult,
  VerifyEmailBody,
  VerifyEmailResult,
} from '../../../contracts/identity.ts'
import { errorResponses, requestMeta, requireAccountAuth } from '../../platform/http/route-helpers.ts'
import type { EmailVerification } from './email-verification.service.ts'
import type { PasswordReset } from './password-reset.service.ts'

type Deps = {
  verification: EmailVerification
  reset: PasswordReset
  sessionCookie: {
    name: string
    options: { signed: boolean; httpOnly: boolean; sameSite: 'lax'; secure: boolean; path: string; maxAge: number }
  }
}

/** The emailed links: verifying an email, and resetting a forgotten password. */
export const authEmailRoutes =
  ({ verification, reset, sessionCookie }: Deps) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const tags = ['auth']

    app.post(
      '/api/auth/verify-email',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Verify an email with the token of its link',
          body: VerifyEmailBody,
          response: { 200: VerifyEmailResult, ...errorResponses(400) },
        },
      },
      async (req) => {
        await verification.verify(req.body.token, requestMeta(req))
        return { verified: true as const }
      },
    )

    app.post(
      '/api/auth/verify-email/resend',
      {
        schema: {
          tags,
          summary: 'Send the verification email again (throttled)',
          body: z.strictObject({}).meta({ description: 'Send `{}`' }),
          response: { 202: Accepted, ...errorResponses(400, 401, 403, 409, 429) },
        },
      },
      async (req, reply) => {
        await verification.resend(requireAccountAuth(req).userId, requestMeta(req))
        return reply.code(202).send({ accepted: true })
      },
    )

    app.post(
      '/api/auth/password-reset',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Email a password reset link (202 whether or not the email has an account)',
          body: PasswordResetBody,
          response: { 202: Accepted, ...errorResponses(400, 429) },
        },
      },
      async (req, reply) => {
        await reset.request(req.body.email, requestMeta(req))
        return reply.code(202).send({ accepted: true })
      },
    )

    app.post(
      '/api/auth/password-reset/confirm',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Set a new password with the token of a reset link; ends every session and API token, then signs in',
          body: PasswordResetConfirm,
          response: { 200: SessionResult, ...errorResponses(400) },
        },
      },
      async (req, reply) => {
        const { user, sessionToken } = await reset.confirm(req.body, requestMeta(req))
        return reply.setCookie(sessionCookie.name, sessionToken, sessionCookie.options).send({ user })
      },
    )
  }
