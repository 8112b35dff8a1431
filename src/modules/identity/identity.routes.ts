import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AuditEventDto } from '../../../contracts/audit.ts'
import { IdParam, page, PageQuery } from '../../../contracts/common.ts'
import {
  ApiTokenDto,
  AuthStatus,
  LoginBody,
  PasswordChange,
  ProfilePatch,
  SessionResult,
  SignupBody,
  TokenCreateBody,
  TokenCreated,
  type WorkspaceSummary,
} from '../../../contracts/identity.ts'
import { boundTo } from '../../platform/http/request-context.ts'
import {
  errorResponses,
  noContent,
  requestMeta,
  requireAccountAuth,
  requireAuth,
} from '../../platform/http/route-helpers.ts'
import type { IdentityService } from './identity.service.ts'
import type { TokenBindingCheck, TokenService } from './tokens.service.ts'
import type { Page, PageRequest } from '../../platform/db/pagination.ts'

export const SESSION_COOKIE = 'camarad_session'

type Deps = {
  identity: IdentityService
  tokens: TokenService
  sessionCookie: {
    name: string
    options: { signed: boolean; httpOnly: boolean; sameSite: 'lax'; secure: boolean; path: string; maxAge: number }
  }
  googleEnabled: boolean
  /** Supplied by tenancy at wiring time, so identity does not depend on it. */
  workspacesOf: (userId: string) => Promise<WorkspaceSummary[]>
  /** Supplied by tenancy: checks that the user may bind a token to that workspace / client (404 otherwise). */
  checkTokenBinding: TokenBindingCheck
  /** The person's own account events, newest first (the audit log's). */
  activity: (userId: string, q: PageRequest) => Promise<Page<AuditEventDto>>
}

export const identityRoutes = (deps: Deps) => async (base: FastifyInstance) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const { identity, tokens } = deps
  const cookieOptions = deps.sessionCookie.options

  app.post(
    '/api/auth/signup',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Create an account and sign in',
        body: SignupBody,
        response: { 201: SessionResult, ...errorResponses(400, 409, 429) },
      },
    },
    async (req, reply) => {
      const { user, sessionToken } = await identity.signup(req.body, requestMeta(req))
      return reply.setCookie(SESSION_COOKIE, sessionToken, cookieOptions).code(201).send({ user })
    },
  )

  app.post(
    '/api/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password',
        body: LoginBody,
        response: { 200: SessionResult, ...errorResponses(400, 401, 429) },
      },
    },
    async (req, reply) => {
      const { user, sessionToken } = await identity.login(req.body, requestMeta(req))
      return reply.setCookie(SESSION_COOKIE, sessionToken, cookieOptions).send({ user })
    },
  )

  app.post(
    '/api/auth/logout',
    {
      schema: { tags: ['auth'], summary: 'End this session', response: { 204: z.null(), ...errorResponses(401, 403) } },
    },
    async (req, reply) => {
      await identity.logout(requireAuth(req), requestMeta(req))
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return noContent(reply)
    },
  )

  app.get(
    '/api/auth/status',
    {
      config: { public: true },
      schema: { tags: ['auth'], summary: 'Who is signed in, and their workspaces', response: { 200: AuthStatus } },
    },
    async (req) => {
      const user = req.auth ? await identity.getUser(req.auth.userId) : null
      if (!req.auth || !user)
        return { authenticated: false, user: null, workspaces: [], via: null, googleEnabled: deps.googleEnabled }
      const bound = boundTo(req.auth)
      const workspaces = (await deps.workspacesOf(user.id)).filter((w) => !bound || w.id === bound.workspaceId)
      return { authenticated: true, user, workspaces, via: req.auth.via, googleEnabled: deps.googleEnabled }
    },
  )

  app.patch(
    '/api/auth/profile',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your display name',
        body: ProfilePatch,
        response: { 200: SessionResult, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => ({ user: await identity.updateProfile(requireAccountAuth(req).userId, req.body) }),
  )

  app.post(
    '/api/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your password (ends your other sessions)',
        body: PasswordChange,
        response: { 204: z.null(), ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      await identity.changePassword(requireAccountAuth(req), req.body, requestMeta(req))
      return noContent(reply)
    },
  )

  app.get(
    '/api/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Your API tokens',
        response: { 200: z.object({ items: z.array(ApiTokenDto) }), ...errorResponses(401) },
      },
    },
    async (req) => ({ items: await tokens.list(requireAuth(req).userId) }),
  )

  app.post(
    '/api/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token (shown once)',
        body: TokenCreateBody,
        response: { 201: TokenCreated, ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const { userId } = requireAccountAuth(req)
      const binding = await deps.checkTokenBinding(userId, {
        workspaceId: req.body.workspaceId,
        clientId: req.body.clientId,
      })
      return reply.code(201).send(await tokens.create(userId, req.body, binding, requestMeta(req)))
    },
  )

  app.delete(
    '/api/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an API token',
        params: IdParam,
        response: { 204: z.null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await tokens.revoke(requireAccountAuth(req).userId, req.params.id, requestMeta(req))
      return noContent(reply)
    },
  )

  app.get(
    '/api/auth/activity',
    {
      schema: {
        tags: ['auth'],
        summary: 'Your sign-in history and account events (addresses, failed sign-ins), newest first',
        querystring: PageQuery,
        response: { 200: page(AuditEventDto), ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => deps.activity(requireAccountAuth(req).userId, req.query),
  )
}
