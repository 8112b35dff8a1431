import type { Kysely } from 'kysely'
import type { TenancyTables } from './tenancy.tables.ts'
import { newId } from '../../platform/db/ids.ts'
import type { Client } from './tenancy.tables.ts'
import type { ClientScope, RequestMeta, WorkspaceScope } from '../../platform/http/request-context.ts'
import type { ClientCreate, ClientPatch } from '../../../contracts/tenancy.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { LimitCheck } from './tenancy.module.ts'
import { toClientDto } from './dto.ts'
import { tenancyErrors } from './tenancy.errors.ts'
import { clients } from './tenancy.repository.ts'

/** Clients of a workspace: created by members, archived by admins, never deleted. */
export const createClientService = ({
  db,
  audit,
  entitlements,
  now = () => new Date(),
}: {
  db: Kysely<TenancyTables>
  audit: AuditService
  entitlements: LimitCheck
  now?: () => Date
}) => ({
  async list(
    scope: WorkspaceScope,
    q: { cursor?: string; limit: number; archived: 'include' | 'exclude' | 'only'; q?: string },
  ) {
    const page = await clients.page(db, scope, { archived: q.archived, q: q.q }, q)
    return { items: page.items.map(toClientDto), nextCursor: page.nextCursor }
  },

  create: (scope: WorkspaceScope, body: ClientCreate, meta: RequestMeta) =>
    db.transaction().execute(async (trx) => {
      await entitlements.check(trx, scope.workspaceId, 'clients')
      const client = await clients.insert(trx, scope, {
        id: newId('cl'),
        name: body.name,
        website: body.website ?? null,
        notes: body.notes ?? null,
      })
      await audit.record(trx, {
        action: 'client.created',
        workspaceId: scope.workspaceId,
        actorUserId: scope.userId,
        targetType: 'client',
        targetId: client.id,
        ip: meta.ip,
        metadata: { name: client.name },
      })
      return toClientDto(client)
    }),

  /** The row was read while resolving the scope; reading it again would only repeat that query. */
  get: (scope: ClientScope & { client: Client }) => toClientDto(scope.client),

  async update(scope: ClientScope, patch: ClientPatch) {
    const current = await clients.get(db, scope)
    if (current.archivedAt) throw tenancyErrors.client_archived()
    return toClientDto(await clients.update(db, scope, patch))
  },

  archive: (scope: ClientScope, meta: RequestMeta) =>
    db.transaction().execute(async (trx) => {
      const before = await clients.get(trx, scope)
      const client = await clients.archive(trx, scope, now())
      if (!before.archivedAt)
        await audit.record(trx, {
          action: 'client.archived',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'client',
          targetId: client.id,
          ip: meta.ip,
          metadata: { name: client.name },
        })
      return toClientDto(client)
    }),
})
export type ClientService = ReturnType<typeof createClientService>
