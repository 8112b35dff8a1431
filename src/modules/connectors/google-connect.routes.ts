import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { clientConnectorsPath } from '../../../contracts/app-paths.ts'
import { ErrorBody } from '../../../contracts/common.ts'
import { GoogleStart, GoogleStartAnswer } from '../../../contracts/connectors.ts'
import { AppError } from '../../platform/http/errors.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { callbackPath } from './connectors.settings.ts'
import { connectorsErrors } from './connectors.errors.ts'
import { failurePage } from './callback-page.ts'
import type { Connections } from './connections.service.ts'
import { newNonce } from './connections.service.ts'
import { OAuthFailure, type GoogleOAuth } from './google-oauth.ts'

const STATE_COOKIE = 'camarad_google_connect'
/** A consent must come back within this. */
const FLOW_TTL_MS = 10 * 60_000
type Flow = { state: string; verifier: string; clientId: string; sessionId: string; expiresAt: number }
const Redirect = z.null().meta({ description: 'Redirect (302) to the client’s connectors page' })
/** A readable HTML page (never cached); the platform's own refusals (malformed input, rate limit) stay JSON. */
const Page = z.union([
  ErrorBody,
  z.string().meta({ description: 'A readable HTML page saying what went wrong (never cached)' }),
])

const isFlow = (v: unknown): v is Flow => {
  const f = v as Flow
  return (
    typeof f?.state === 'string' &&
    typeof f.verifier === 'string' &&
    typeof f.clientId === 'string' &&
    typeof f.sessionId === 'string' &&
    typeof f.expiresAt === 'number'
  )
}

/**
 * Connecting Google for a client (ADR 0007): the start answers Google's consent URL and sets a signed cookie binding
 * the state to this browser session, the client and a nonce (with the PKCE verifier); the one callback checks all
 * of them, exchanges the code and saves the sealed tokens. Every failure of the callback is a readable page.
 */
export const googleConnectRoutes =
  ({
    oauth,
    connections,
    scope,
    publicUrl,
    secureCookies,
  }: {
    oauth: () => GoogleOAuth | undefined
    connections: Connections
    scope: ScopeResolver
    publicUrl: string
    secureCookies: boolean
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const cookie = {
      signed: true,
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: secureCookies,
      path: callbackPath,
      maxAge: FLOW_TTL_MS / 1000,
    }

    app.post(
      '/api/connectors/google/start',
      {
        schema: {
          tags: ['connectors'],
          summary:
            "Start connecting a client's Google Ads and GA4: answers Google's consent URL to open in this browser " +
            "(admins; a browser session; the plan's connectors, a reconnect excepted)",
          body: GoogleStart,
          response: { 200: GoogleStartAnswer, ...errorResponses(400, 401, 402, 403, 404) },
        },
      },
      async (req, reply) => {
        const google = oauth()
        if (!google) throw connectorsErrors.google_not_configured()
        const client = await scope.client(req, 'admin', req.body.clientId)
        if (req.auth?.via !== 'session') throw connectorsErrors.browser_session_required()
        await connections.checkCanConnect(client)
        const flow: Flow = {
          state: newNonce(),
          verifier: newNonce() + newNonce(),
          clientId: client.clientId,
          sessionId: req.auth.sessionId,
          expiresAt: Date.now() + FLOW_TTL_MS,
        }
        const url = await google.authorizationUrl(flow.state, flow.verifier)
        return reply.setCookie(STATE_COOKIE, JSON.stringify(flow), cookie).send({ url })
      },
    )

    app.get(
      callbackPath,
      {
        config: { public: true },
        schema: {
          tags: ['connectors'],
          summary: 'Where Google sends the browser back after consent (one URL, built from PUBLIC_URL)',
          querystring: z.record(z.string(), z.string()),
          response: { 302: Redirect, 400: Page, 401: Page, 402: Page, 403: Page, 404: Page, 429: Page, 502: Page },
        },
      },
      async (req, reply) => {
        reply.header('cache-control', 'no-store')
        const raw = req.cookies[STATE_COOKIE]
        reply.clearCookie(STATE_COOKIE, { path: cookie.path })
        const fail = (err: AppError, back = '/app') =>
          failurePage(reply, err.status, {
            title: err.status === 401 ? 'Sign in again' : 'Google was not connected',
            detail: err.message,
            back: err.status === 401 ? '/login' : back,
            code: err.code,
          })
        if (!raw) return fail(connectorsErrors.state_missing())
        const unsigned = req.unsignCookie(raw)
        let flow: unknown
        try {
          flow = unsigned.valid && unsigned.value ? JSON.parse(unsigned.value) : undefined
        } catch {
          flow = undefined
        }
        if (!isFlow(flow)) return fail(connectorsErrors.state_invalid())
        const back = clientConnectorsPath(flow.clientId)
        if (flow.expiresAt < Date.now()) return fail(connectorsErrors.state_expired(), back)
        if (req.query.state !== flow.state) return fail(connectorsErrors.state_mismatch(), back)
        if (req.auth?.via !== 'session' || req.auth.sessionId !== flow.sessionId)
          return fail(connectorsErrors.session_changed())
        const error = req.query.error
        if (error)
          return fail(
            error === 'access_denied'
              ? connectorsErrors.consent_denied()
              : connectorsErrors.consent_failed({ error: error.slice(0, 100) }),
            back,
          )
        if (!req.query.code) return fail(connectorsErrors.code_missing(), back)
        const google = oauth()
        if (!google) return fail(connectorsErrors.google_not_configured())
        try {
          const client = await scope.client(req, 'admin', flow.clientId)
          const callbackUrl = new URL(req.url, publicUrl)
          const tokens = await google.exchange(callbackUrl, { state: flow.state, verifier: flow.verifier })
          await connections.saveGrant(client, tokens, requestMeta(req))
          return reply.redirect(`${back}?connected=google`, 302)
        } catch (err) {
          if (err instanceof OAuthFailure)
            return fail(connectorsErrors.token_exchange_failed({ problem: err.message.slice(0, 200) }), back)
          // Not a member or admin of this client any more (404/403), the plan's limit (402): said on the page.
          if (err instanceof AppError) return fail(err, err.status === 404 ? '/app' : back)
          throw err
        }
      },
    )
  }
