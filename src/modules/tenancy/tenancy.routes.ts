import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { Id, IdParam } from '../../../contracts/common.ts'
import {
  InvitationAccepted, InvitationCreate, InvitationCreated, InvitationDto, InvitationPreview, MemberDto, MemberPatch,
  OnboardingBody, OnboardingResult, WorkspaceCreate, WorkspaceDto, WorkspacePatch,
} from '../../../contracts/tenancy.ts'
import { errorResponses, noContent, requestMeta, requireAuth } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from './scope.ts'
import type { TenancyService } from './tenancy.service.ts'

const MemberParams = z.strictObject({ id: Id, userId: Id })
const InvitationParams = z.strictObject({ id: Id, invitationId: Id })
const TokenParam = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{10,100}$/) })

export const tenancyRoutes = ({ tenancy, scope }: { tenancy: TenancyService; scope: ScopeResolver }) => async (base: FastifyInstance) => {
  const app = base.withTypeProvider<ZodTypeProvider>()

  app.post('/api/auth/onboarding', {
    schema: { tags: ['workspaces'], summary: 'Create your workspace and its first client', body: OnboardingBody, response: { 201: OnboardingResult, ...errorResponses(400, 401, 403) } },
  }, async (req, reply) => {
    const { workspace, client } = await tenancy.createWorkspace(requireAuth(req).userId, req.body.workspaceName, requestMeta(req), req.body.clientName)
    return reply.code(201).send({ workspace, client: client! })
  })

  app.get('/api/workspaces', {
    schema: { tags: ['workspaces'], summary: 'Workspaces you belong to', response: { 200: z.object({ items: z.array(WorkspaceDto) }), ...errorResponses(401) } },
  }, async (req) => ({ items: await tenancy.listWorkspaces(requireAuth(req).userId) }))

  app.post('/api/workspaces', {
    schema: { tags: ['workspaces'], summary: 'Create a workspace (you become its owner)', body: WorkspaceCreate, response: { 201: WorkspaceDto, ...errorResponses(400, 401, 403) } },
  }, async (req, reply) => reply.code(201).send((await tenancy.createWorkspace(requireAuth(req).userId, req.body.name, requestMeta(req))).workspace))

  app.get('/api/workspaces/:id', {
    schema: { tags: ['workspaces'], summary: 'A workspace', params: IdParam, response: { 200: WorkspaceDto, ...errorResponses(401, 404) } },
  }, async (req) => tenancy.getWorkspace(await scope.workspace(req, 'viewer', req.params.id)))

  app.patch('/api/workspaces/:id', {
    schema: { tags: ['workspaces'], summary: 'Rename a workspace (admins)', params: IdParam, body: WorkspacePatch, response: { 200: WorkspaceDto, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => tenancy.renameWorkspace(await scope.workspace(req, 'admin', req.params.id), req.body.name))

  app.get('/api/workspaces/:id/members', {
    schema: { tags: ['members'], summary: 'Members of a workspace', params: IdParam, response: { 200: z.object({ items: z.array(MemberDto) }), ...errorResponses(401, 404) } },
  }, async (req) => ({ items: await tenancy.members(await scope.workspace(req, 'viewer', req.params.id)) }))

  app.patch('/api/workspaces/:id/members/:userId', {
    schema: { tags: ['members'], summary: "Change a member's role (admins; owners for the owner role)", params: MemberParams, body: MemberPatch, response: { 200: MemberDto, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => tenancy.changeRole(await scope.workspace(req, 'admin', req.params.id), req.params.userId, req.body.role, requestMeta(req)))

  app.delete('/api/workspaces/:id/members/:userId', {
    schema: { tags: ['members'], summary: 'Remove a member (admins), or leave the workspace yourself', params: MemberParams, response: { 204: z.null(), ...errorResponses(401, 403, 404, 409) } },
  }, async (req, reply) => {
    await tenancy.removeMember(await scope.workspace(req, 'viewer', req.params.id), req.params.userId, requestMeta(req))
    return noContent(reply)
  })

  app.get('/api/workspaces/:id/invitations', {
    schema: { tags: ['members'], summary: 'Invitations of a workspace (admins)', params: IdParam, response: { 200: z.object({ items: z.array(InvitationDto) }), ...errorResponses(401, 403, 404) } },
  }, async (req) => ({ items: await tenancy.listInvitations(await scope.workspace(req, 'admin', req.params.id)) }))

  app.post('/api/workspaces/:id/invitations', {
    schema: { tags: ['members'], summary: 'Invite someone by email (admins); the link is shown once', params: IdParam, body: InvitationCreate, response: { 201: InvitationCreated, ...errorResponses(400, 401, 402, 403, 404, 409) } },
  }, async (req, reply) => reply.code(201).send(await tenancy.invite(await scope.workspace(req, 'admin', req.params.id), req.body, requestMeta(req))))

  app.delete('/api/workspaces/:id/invitations/:invitationId', {
    schema: { tags: ['members'], summary: 'Revoke an invitation (admins)', params: InvitationParams, response: { 204: z.null(), ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    await tenancy.revokeInvitation(await scope.workspace(req, 'admin', req.params.id), req.params.invitationId, requestMeta(req))
    return noContent(reply)
  })

  app.get('/api/invitations/:token', {
    schema: { tags: ['members'], summary: 'What an invitation addressed to you is for', params: TokenParam, response: { 200: InvitationPreview, ...errorResponses(401, 404) } },
  }, async (req) => tenancy.previewInvitation(requireAuth(req), req.params.token))

  app.post('/api/invitations/:token/accept', {
    schema: { tags: ['members'], summary: 'Accept an invitation addressed to your email', params: TokenParam, response: { 200: InvitationAccepted, ...errorResponses(401, 403, 404, 409) } },
  }, async (req) => tenancy.acceptInvitation(requireAuth(req), req.params.token, requestMeta(req)))
}
