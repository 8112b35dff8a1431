import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam } from '../../../contracts/common.ts'
import {
  KNOWLEDGE_MAX_BYTES,
  KnowledgeClientQuery,
  KnowledgeDocumentDto,
  KnowledgeDocumentPage,
  KnowledgeListQuery,
  KnowledgeSearchQuery,
  KnowledgeSearchResult,
  KnowledgeUpload,
  KnowledgeUploadQuery,
} from '../../../contracts/knowledge.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses, noContent, requestMeta } from '../../platform/http/route-helpers.ts'
import { tenancyErrors, type ScopeResolver } from '../tenancy/tenancy.module.ts'
import { knowledgeErrors } from './knowledge.errors.ts'
import type { KnowledgeInput, KnowledgeService } from './knowledge.service.ts'

const tags = ['knowledge']
/** A file's base64 (4 characters per 3 bytes) and the JSON around it; a raw body fits in the same limit. */
const bodyLimit = Math.ceil(KNOWLEDGE_MAX_BYTES / 3) * 4 + 64 * 1024
/** Content types a file may be sent as, raw; what it is is read from its bytes whatever the type says. */
const RAW_TYPES = [
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/octet-stream',
  'text/markdown',
  'text/plain',
]
const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

const RawFile = z
  .custom<Buffer>((v) => Buffer.isBuffer(v))
  .meta({ description: `The file's bytes (content type ${RAW_TYPES.join(', ')}); name it with ?name=.` })

const decodeBase64 = (text: string) => {
  const compact = text.replace(/\s+/g, '')
  if (compact.length % 4 !== 0 || !STRICT_BASE64.test(compact)) throw knowledgeErrors.invalid_base64()
  return Buffer.from(compact, 'base64')
}

export const knowledgeRoutes =
  ({ knowledge, scope }: { knowledge: KnowledgeService; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    for (const type of RAW_TYPES)
      base.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body))
    const app = base.withTypeProvider<ZodTypeProvider>()
    /** The client named by `?clientId=` or X-Client-ID (both: they must agree). */
    const clientScope = (req: FastifyRequest, role: Role, clientId: string | undefined) =>
      clientId ? scope.owner(req, role, clientId, tenancyErrors.client_not_found) : scope.clientFromHeader(req, role)
    const documentScope = async (req: FastifyRequest, id: string, role: Role, named: string | undefined) => {
      const clientId = await knowledge.clientOf(id)
      if (named && named !== clientId) throw knowledgeErrors.document_not_found()
      return scope.owner(req, role, clientId, knowledgeErrors.document_not_found)
    }

    app.post(
      '/api/knowledge',
      {
        bodyLimit,
        schema: {
          tags,
          summary:
            "Add a document to a client's knowledge base (admins): a PDF, Word (.docx), Markdown or text file — JSON " +
            '`{ name, contentBase64 }` or its bytes as the body with `?name=` — or a web page `{ url }`. At most ' +
            `${KNOWLEDGE_MAX_BYTES} bytes; the type is read from the bytes. 202: the text is read in the background ` +
            '(status pending → ready, or failed with a reason). Audited',
          querystring: KnowledgeUploadQuery,
          headers: z.object({
            'idempotency-key': z.string().min(1).max(200).optional().meta({
              description:
                'The same key with the same file or page answers the first document instead of adding it again.',
            }),
          }),
          // The raw bytes first: an object schema would walk a Buffer's millions of indices as unknown keys.
          body: z.union([RawFile, KnowledgeUpload]),
          response: { 202: KnowledgeDocumentDto, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
        },
      },
      async (req, reply) => {
        const s = await clientScope(req, 'admin', req.query.clientId)
        const body = req.body
        let input: KnowledgeInput
        if (Buffer.isBuffer(body)) {
          if (!req.query.name) throw knowledgeErrors.name_required()
          input = { file: { name: req.query.name, bytes: body } }
        } else if ('url' in body) input = { page: { url: body.url, name: body.name } }
        else input = { file: { name: body.name, bytes: decodeBase64(body.contentBase64) } }
        return reply.code(202).send(await knowledge.add(s, input, req.headers['idempotency-key'], requestMeta(req)))
      },
    )

    app.get(
      '/api/knowledge',
      {
        schema: {
          tags,
          summary: "A client's knowledge documents with their status, newest first, paged",
          querystring: KnowledgeListQuery,
          response: { 200: KnowledgeDocumentPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => knowledge.list(await clientScope(req, 'viewer', req.query.clientId), req.query),
    )

    app.get(
      '/api/knowledge/search',
      {
        schema: {
          tags,
          summary:
            "Passages of a client's ready documents that match the words (full-text, any language: no stemming) — " +
            'and, where vector search runs (`mode: hybrid`), the meaning: the query is embedded (a metered call) and ' +
            'both rankings are fused — best first, each with its document, passage number, page and character offsets',
          querystring: KnowledgeSearchQuery,
          response: { 200: KnowledgeSearchResult, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) =>
        knowledge.search(await clientScope(req, 'viewer', req.query.clientId), req.query.q, req.query.limit),
    )

    app.get(
      '/api/knowledge/:id',
      {
        schema: {
          tags,
          summary: 'One knowledge document: status, error, pages, characters and passages',
          params: IdParam,
          querystring: KnowledgeClientQuery,
          response: { 200: KnowledgeDocumentDto, ...errorResponses(401, 404) },
        },
      },
      async (req) =>
        knowledge.get(await documentScope(req, req.params.id, 'viewer', req.query.clientId), req.params.id),
    )

    app.delete(
      '/api/knowledge/:id',
      {
        schema: {
          tags,
          summary: 'Delete a knowledge document and its passages (admins). Audited',
          params: IdParam,
          querystring: KnowledgeClientQuery,
          response: { 204: z.null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        const s = await documentScope(req, req.params.id, 'admin', req.query.clientId)
        await knowledge.remove(s, req.params.id, requestMeta(req))
        return noContent(reply)
      },
    )
  }
