import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { GoogleSignIn, OidcFlow } from './google.service.ts'
import { identityErrors } from './identity.errors.ts'

const FLOW_COOKIE = 'camarad_oidc'
const Redirect = z.null().meta({ description: 'Redirect (302)' })

export const googleRoutes =
  ({
    google,
    publicUrl,
    sessionCookie,
  }: {
    google?: GoogleSignIn
    publicUrl: string
    sessionCookie: {
      name: string
      options: { signed: boolean; httpOnly: boolean; sameSite: 'lax'; secure: boolean; path: string; maxAge: number }
    }
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const flowCookie = { ...sessionCookie.options, path: '/api/auth/google', maxAge: 600 }

    app.get(
      '/api/auth/google',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Start Google sign-in (redirects to Google)',
          querystring: z.strictObject({ next: z.string().max(300).optional() }),
          response: { 302: Redirect, ...errorResponses(404) },
        },
      },
      async (req, reply) => {
        if (!google) throw identityErrors.google_disabled()
        const { url, flow } = await google.begin(req.query.next)
        return reply.setCookie(FLOW_COOKIE, JSON.stringify(flow), flowCookie).redirect(url, 302)
      },
    )

    app.get(
      '/api/auth/google/callback',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Where Google sends the user back',
          querystring: z.record(z.string(), z.string()),
          response: { 302: Redirect, ...errorResponses(400, 404) },
        },
      },
      async (req, reply) => {
        if (!google) throw identityErrors.google_disabled()
        const raw = req.cookies[FLOW_COOKIE]
        const unsigned = raw ? req.unsignCookie(raw) : undefined
        reply.clearCookie(FLOW_COOKIE, { path: flowCookie.path })
        if (!unsigned?.valid || !unsigned.value) return reply.redirect('/login?error=google', 302)
        const flow = JSON.parse(unsigned.value) as OidcFlow
        const callbackUrl = new URL(req.url, publicUrl)
        const { sessionToken, next } = await google.complete(callbackUrl, flow, requestMeta(req))
        return reply.setCookie(sessionCookie.name, sessionToken, sessionCookie.options).redirect(next, 302)
      },
    )
  }
