import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Role } from '../../platform/db/columns.ts'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { Id, IdParam } from '../../../contracts/common.ts'
import {
  InvitationAccepted,
  InvitationCreate,
  InvitationCreated,
  InvitationDto,
  InvitationPreview,
  MemberDto,
  MemberPatch,
  OnboardingBody,
  OnboardingResult,
  WorkspaceCreate,
  WorkspaceDto,
  WorkspacePatch,
} from '../../../contracts/tenancy.ts'
import { boundTo } from '../../platform/http/request-context.ts'
import {
  errorResponses,
  noContent,
  requestMeta,
  requireAccountAuth,
  requireAuth,
} from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from './scope.ts'
import type { TenancyService } from './tenancy.service.ts'

const MemberParams = z.strictObject({ id: Id, userId: Id })
const InvitationParams = z.strictObject({ id: Id, invitationId: Id })
const TokenParam = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{10,100}$/) })

export const tenancyRoutes =
  ({ tenancy, scope }: { tenancy: TenancyService; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    /** Members and invitations are managed by people, not by a token bound to one workspace or client (403). */
    const manage = (req: FastifyRequest, atLeast: Role, id: string) => {
      requireAccountAuth(req)
      return scope.workspace(req, atLeast, id)
    }

    app.post(
      '/api/auth/onboarding',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'Create your workspace and its first client',
          body: OnboardingBody,
          response: { 201: OnboardingResult, ...errorResponses(400, 401, 403) },
        },
      },
      async (req, reply) => {
        const { workspace, client } = await tenancy.createWorkspace(
          requireAccountAuth(req).userId,
          req.body.workspaceName,
          requestMeta(req),
          req.body.clientName,
        )
        return reply.code(201).send({ workspace, client: client! })
      },
    )

    app.get(
      '/api/workspaces',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'Workspaces you belong to',
          response: { 200: z.object({ items: z.array(WorkspaceDto) }), ...errorResponses(401) },
        },
      },
      async (req) => {
        const bound = boundTo(requireAuth(req))
        return {
          items: (await tenancy.listWorkspaces(req.auth!.userId)).filter((w) => !bound || w.id === bound.workspaceId),
        }
      },
    )

    app.post(
      '/api/workspaces',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'Create a workspace (you become its owner)',
          body: WorkspaceCreate,
          response: { 201: WorkspaceDto, ...errorResponses(400, 401, 403) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(
            (await tenancy.createWorkspace(requireAccountAuth(req).userId, req.body.name, requestMeta(req))).workspace,
          ),
    )

    app.get(
      '/api/workspaces/:id',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'A workspace',
          params: IdParam,
          response: { 200: WorkspaceDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => tenancy.getWorkspace(await scope.workspace(req, 'viewer', req.params.id)),
    )

    app.patch(
      '/api/workspaces/:id',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'Rename a workspace (admins)',
          params: IdParam,
          body: WorkspacePatch,
          response: { 200: WorkspaceDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => tenancy.renameWorkspace(await scope.workspace(req, 'admin', req.params.id), req.body.name),
    )

    app.get(
      '/api/workspaces/:id/members',
      {
        schema: {
          tags: ['members'],
          summary: 'Members of a workspace',
          params: IdParam,
          response: { 200: z.object({ items: z.array(MemberDto) }), ...errorResponses(401, 404) },
        },
      },
      async (req) => ({ items: await tenancy.members(await scope.workspace(req, 'viewer', req.params.id)) }),
    )

    app.patch(
      '/api/workspaces/:id/members/:userId',
      {
        schema: {
          tags: ['members'],
          summary: "Change a member's role (admins; owners for the owner role)",
          params: MemberParams,
          body: MemberPatch,
          response: { 200: MemberDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) =>
        tenancy.changeRole(
          await manage(req, 'admin', req.params.id),
          req.params.userId,
          req.body.role,
          requestMeta(req),
        ),
    )

    app.delete(
      '/api/workspaces/:id/members/:userId',
      {
        schema: {
          tags: ['members'],
          summary: 'Remove a member (admins), or leave the workspace yourself',
          params: MemberParams,
          response: { 204: z.null(), ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        await tenancy.removeMember(await manage(req, 'viewer', req.params.id), req.params.userId, requestMeta(req))
        return noContent(reply)
      },
    )

    app.get(
      '/api/workspaces/:id/invitations',
      {
        schema: {
          tags: ['members'],
          summary: 'Invitations of a workspace (admins)',
          params: IdParam,
          response: { 200: z.object({ items: z.array(InvitationDto) }), ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => ({ items: await tenancy.listInvitations(await manage(req, 'admin', req.params.id)) }),
    )

    app.post(
      '/api/workspaces/:id/invitations',
      {
        schema: {
          tags: ['members'],
          summary: 'Invite someone by email (admins); the link is shown once',
          params: IdParam,
          body: InvitationCreate,
          response: { 201: InvitationCreated, ...errorResponses(400, 401, 402, 403, 404, 409, 429) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await tenancy.invite(await manage(req, 'admin', req.params.id), req.body, requestMeta(req))),
    )

    app.delete(
      '/api/workspaces/:id/invitations/:invitationId',
      {
        schema: {
          tags: ['members'],
          summary: 'Revoke an invitation (admins)',
          params: InvitationParams,
          response: { 204: z.null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        await tenancy.revokeInvitation(
          await manage(req, 'admin', req.params.id),
          req.params.invitationId,
          requestMeta(req),
        )
        return noContent(reply)
      },
    )

    app.get(
      '/api/invitations/:token',
      {
        schema: {
          tags: ['members'],
          summary: 'What an invitation addressed to you is for',
          params: TokenParam,
          response: { 200: InvitationPreview, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => tenancy.previewInvitation(requireAccountAuth(req), req.params.token),
    )

    app.post(
      '/api/invitations/:token/accept',
      {
        schema: {
          tags: ['members'],
          summary: 'Accept an invitation addressed to your email',
          params: TokenParam,
          response: { 200: InvitationAccepted, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (req) => tenancy.acceptInvitation(requireAccountAuth(req), req.params.token, requestMeta(req)),
    )
  }
