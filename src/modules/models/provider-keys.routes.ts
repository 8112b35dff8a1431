import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam } from '../../../contracts/common.ts'
import { KeyProvider, ProviderKeyDto, ProviderKeyPut } from '../../../contracts/provider-keys.ts'
import { errorResponses, noContent } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { ProviderKeyStore } from './provider-keys.service.ts'

const ProviderParams = IdParam.extend({ provider: KeyProvider })

export const providerKeyRoutes =
  ({ keys, scope }: { keys: ProviderKeyStore; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/api/workspaces/:id/provider-keys',
      {
        schema: {
          tags: ['models'],
          summary: "The workspace's own AI provider keys (hints only; admins)",
          params: IdParam,
          response: { 200: z.object({ items: z.array(ProviderKeyDto) }), ...errorResponses(401, 403, 404) },
        },
      },
      async (req) => ({ items: await keys.list(await scope.workspace(req, 'admin', req.params.id)) }),
    )

    app.put(
      '/api/workspaces/:id/provider-keys/:provider',
      {
        schema: {
          tags: ['models'],
          summary: 'Set the workspace key for a provider; stored encrypted, never shown again (admins)',
          params: ProviderParams,
          body: ProviderKeyPut,
          response: { 200: ProviderKeyDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => keys.put(await scope.workspace(req, 'admin', req.params.id), req.params.provider, req.body),
    )

    app.delete(
      '/api/workspaces/:id/provider-keys/:provider',
      {
        schema: {
          tags: ['models'],
          summary: 'Remove the workspace key for a provider (admins)',
          params: ProviderParams,
          response: { 204: z.null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        await keys.remove(await scope.workspace(req, 'admin', req.params.id), req.params.provider)
        return noContent(reply)
      },
    )
  }
