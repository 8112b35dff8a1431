import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { AuditEventDto, AuditQuery } from '../../../contracts/audit.ts'
import { page } from '../../../contracts/common.ts'
import type { WorkspaceScope } from '../../platform/http/request-context.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { AuditService } from './audit.module.ts'

type Deps = {
  audit: AuditService
  db: Parameters<AuditService['list']>[0]
  /** Resolves the admin scope of the workspace in X-Workspace-ID (tenancy's resolver, passed in at wiring). */
  adminScope: (req: FastifyRequest) => Promise<WorkspaceScope>
}

export const auditRoutes = (deps: Deps) => async (base: FastifyInstance) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  app.get(
    '/api/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Security events of the workspace in X-Workspace-ID (admins)',
        querystring: AuditQuery,
        response: { 200: page(AuditEventDto), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => deps.audit.list(deps.db, await deps.adminScope(req), req.query),
  )
}
