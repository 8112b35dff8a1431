import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import { IdParam } from '../../../contracts/common.ts'
import { CredentialCreate, CredentialDto } from '../../../contracts/flows.ts'
import type { SecretBox } from '../../platform/crypto/secret-box.ts'
import { newId } from '../../platform/db/ids.ts'
import type { ClientScope, RequestMeta } from '../../platform/http/request-context.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { AuditService } from '../audit/audit.module.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { flowsErrors } from './flows.errors.ts'
import type { FlowsTables } from './flows.tables.ts'
import type { Credential } from './nodes/core.ts'

type Row = { id: string; name: string; kind: CredentialCreate['kind']; hint: string; createdAt: Date }
const toDto = (r: Row): CredentialDto => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  hint: r.hint,
  createdAt: r.createdAt.toISOString(),
})
/** The last characters of a secret, enough to recognise it, never enough to use it. */
const hintOf = (value: string) => (value.length > 12 ? `…${value.slice(-4)}` : '…')

/**
 * The per-client vault of credentials HTTP steps use: sealed with SECRET_KEY and the row as associated data, shown
 * once (never in a response, a log or a step's input), removed (not deleted: steps may name it) by admins.
 */
export const createCredentials = ({
  db,
  box,
  audit,
}: {
  db: Kysely<FlowsTables>
  box: SecretBox
  audit: AuditService
}) => {
  const owner = (clientId: string, id: string) => `client:${clientId}:flow-credential:${id}`
  const service = {
    list: async (scope: ClientScope) =>
      (
        await db
          .selectFrom('flowCredentials')
          .select(['id', 'name', 'kind', 'hint', 'createdAt'])
          .where('workspaceId', '=', scope.workspaceId)
          .where('clientId', '=', scope.clientId)
          .where('removedAt', 'is', null)
          .orderBy('name')
          .limit(500)
          .execute()
      ).map(toDto),

    async add(scope: ClientScope, body: CredentialCreate, meta: RequestMeta) {
      if ((body.kind === 'header' || body.kind === 'query') && !body.field)
        throw flowsErrors.credential_field_required()
      if (body.kind === 'basic' && !body.value.includes(':')) throw flowsErrors.credential_basic_format()
      const id = newId('fc')
      const secret = JSON.stringify({ value: body.value, field: body.field ?? null })
      return db.transaction().execute(async (trx) => {
        const taken = await trx
          .selectFrom('flowCredentials')
          .select('id')
          .where('clientId', '=', scope.clientId)
          .where('name', '=', body.name)
          .where('removedAt', 'is', null)
          .executeTakeFirst()
        if (taken) throw flowsErrors.credential_name_taken()
        const row = await trx
          .insertInto('flowCredentials')
          .values({
            id,
            workspaceId: scope.workspaceId,
            clientId: scope.clientId,
            name: body.name,
            kind: body.kind,
            sealed: box.seal(secret, owner(scope.clientId, id)),
            hint: hintOf(body.value),
            createdBy: scope.userId,
          })
          .returning(['id', 'name', 'kind', 'hint', 'createdAt'])
          .executeTakeFirstOrThrow()
        await audit.record(trx, {
          action: 'flow.credential_added',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'flow_credential',
          targetId: id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, name: body.name, kind: body.kind },
        })
        return toDto(row)
      })
    },

    async remove(scope: ClientScope, id: string, meta: RequestMeta) {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('flowCredentials')
          .set({ removedAt: new Date() })
          .where('workspaceId', '=', scope.workspaceId)
          .where('clientId', '=', scope.clientId)
          .where('id', '=', id)
          .where('removedAt', 'is', null)
          .returning(['name'])
          .executeTakeFirst()
        if (!row) throw flowsErrors.credential_not_found()
        await audit.record(trx, {
          action: 'flow.credential_removed',
          workspaceId: scope.workspaceId,
          actorUserId: scope.userId,
          targetType: 'flow_credential',
          targetId: id,
          ip: meta.ip,
          metadata: { clientId: scope.clientId, name: row.name },
        })
      })
    },

    /** The client's credential unsealed, for an HTTP step; undefined when it is not there (or was removed). */
    async open(scope: { workspaceId: string; clientId: string }, id: string): Promise<Credential | undefined> {
      const row = await db
        .selectFrom('flowCredentials')
        .select(['kind', 'sealed'])
        .where('workspaceId', '=', scope.workspaceId)
        .where('clientId', '=', scope.clientId)
        .where('id', '=', id)
        .where('removedAt', 'is', null)
        .executeTakeFirst()
      if (!row) return undefined
      const { value, field } = JSON.parse(box.open(row.sealed, owner(scope.clientId, id))) as {
        value: string
        field: string | null
      }
      return { kind: row.kind, value, field }
    },

    clientOf: async (id: string) =>
      (await db.selectFrom('flowCredentials').select('clientId').where('id', '=', id).executeTakeFirst())?.clientId,
  }

  const routes = (scope: ScopeResolver) => async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    app.get(
      '/api/flows/credentials',
      {
        schema: {
          tags: ['flows'],
          summary: "The client's credentials for HTTP steps: names and hints, never values (X-Client-ID)",
          response: { 200: z.array(CredentialDto), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => service.list(await scope.clientFromHeader(req, 'viewer')),
    )
    app.post(
      '/api/flows/credentials',
      {
        schema: {
          tags: ['flows'],
          summary:
            'Store a credential in the client vault (sealed; the value is never shown again) (X-Client-ID; admins)',
          body: CredentialCreate,
          response: { 201: CredentialDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await service.add(await scope.clientFromHeader(req, 'admin'), req.body, requestMeta(req))),
    )
    app.delete(
      '/api/flows/credentials/:id',
      {
        schema: {
          tags: ['flows'],
          summary: 'Remove a credential: steps that name it fail from now on (admins)',
          params: IdParam,
          response: { 204: z.null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        const s = await scope.owner(
          req,
          'admin',
          await service.clientOf(req.params.id),
          flowsErrors.credential_not_found,
        )
        await service.remove(s, req.params.id, requestMeta(req))
        return reply.code(204).send(null)
      },
    )
  }
  return { ...service, routes }
}
