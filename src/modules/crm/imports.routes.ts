import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import {
  IMPORT_MAX_BYTES,
  IMPORT_MAX_URLS,
  ImportCsv,
  ImportDto,
  ImportListPage,
  ImportPreview,
  ImportRowPage,
  ImportRequest,
  ImportRowQuery,
} from '../../../contracts/crm.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { crmErrors } from './crm.errors.ts'
import type { Imports } from './imports.ts'

const tags = ['crm']
/** The CSV's text plus its JSON escaping (quotes, tabs) and the other fields. */
const bodyLimit = Math.ceil(IMPORT_MAX_BYTES * 1.25) + 64 * 1024
const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'The same key with the same file answers the first import instead of importing again.' }),
})

export const importRoutes =
  ({ imports, scope }: { imports: Imports; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const importScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await imports.clientOf(id), crmErrors.import_not_found)

    app.post(
      '/api/crm/imports/preview',
      {
        bodyLimit,
        schema: {
          tags,
          summary:
            "A lead file's headers, the mapping they suggest (EN/RO names) and its first 20 rows read through the " +
            'mapping given (or suggested), with their errors (members; X-Client-ID). Writes nothing',
          body: ImportCsv,
          response: { 200: ImportPreview, ...errorResponses(400, 401, 403, 404, 413) },
        },
      },
      async (req) => imports.preview(await scope.clientFromHeader(req, 'member'), req.body),
    )

    app.post(
      '/api/crm/imports',
      {
        bodyLimit,
        schema: {
          tags,
          summary:
            'Import leads from a CSV (`csv`) or from web pages (`urls`, at most ' +
            `${IMPORT_MAX_URLS}; fetched by the import's job through the egress guard, read for JSON-LD, microdata ` +
            'and tel:/mailto: links first, by the model (metered) only when a page has none) — members; ' +
            "X-Client-ID. Each valid lead becomes a contact and a deal in the default pipeline's first stage, " +
            'duplicates (same phone or email as a contact or an earlier lead) are reported. `dryRun` answers the ' +
            'counts and errors (200; for pages, the addresses checked, nothing fetched) and writes nothing; otherwise ' +
            'the import runs in the background (202) — follow it at GET /api/crm/imports/:id. Audited',
          headers: IdempotencyHeaders,
          body: ImportRequest,
          response: { 200: ImportDto, 202: ImportDto, ...errorResponses(400, 401, 403, 404, 409, 413) },
        },
      },
      async (req, reply) => {
        const r = await imports.create(
          await scope.clientFromHeader(req, 'member'),
          req.body,
          req.headers['idempotency-key'],
          requestMeta(req),
        )
        return reply.code(r.created || r.dto.id ? 202 : 200).send(r.dto)
      },
    )

    app.get(
      '/api/crm/imports',
      {
        schema: {
          tags,
          summary: "The client's lead imports, newest first (X-Client-ID), paged",
          querystring: PageQuery,
          response: { 200: ImportListPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => imports.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.get(
      '/api/crm/imports/:id',
      {
        schema: {
          tags,
          summary: "An import's progress: rows imported, duplicate, invalid and still pending",
          params: IdParam,
          response: { 200: ImportDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => imports.get(await importScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.get(
      '/api/crm/imports/:id/rows',
      {
        schema: {
          tags,
          summary: "An import's rows with their result (last row first; filter by status), paged",
          params: IdParam,
          querystring: ImportRowQuery,
          response: { 200: ImportRowPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => imports.rows(await importScope(req, req.params.id, 'viewer'), req.params.id, req.query),
    )
  }
