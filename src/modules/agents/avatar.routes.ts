import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AGENT_AVATAR_MAX_BYTES, AGENT_AVATAR_TYPES, AgentDto } from '../../../contracts/agents.ts'
import type { Role } from '../../platform/db/columns.ts'
import { AppError } from '../../platform/http/errors.ts'
import { errorResponses, noContent, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { findBuiltin } from './agents.catalog.ts'
import { agentsErrors } from './agents.errors.ts'
import type { AgentService } from './agents.service.ts'

const tags = ['agents']
/** A custom agent's id (built-ins have no uploaded picture: `builtin.…` is refused by name). */
const AgentIdParam = z.strictObject({ id: z.string().min(1).max(80) })

const RawPicture = z
  .custom<Buffer>((v) => Buffer.isBuffer(v))
  .meta({
    description:
      `The picture's bytes as the body (${AGENT_AVATAR_TYPES.join(', ')}; at most ${AGENT_AVATAR_MAX_BYTES} bytes). ` +
      'Its type is read from the bytes, whatever the Content-Type says.',
  })

/**
 * Reads a body of any content type as bytes, up to the avatar cap: past it, `agents.avatar_too_large` at once
 * (the rest of the upload is not kept in memory).
 */
const readCapped = (
  req: FastifyRequest,
  payload: NodeJS.ReadableStream,
  done: (err: Error | null, body?: Buffer) => void,
) => {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > AGENT_AVATAR_MAX_BYTES) {
    payload.resume()
    return done(agentsErrors.avatar_too_large())
  }
  const chunks: Buffer[] = []
  let size = 0
  let finished = false
  const finish = (err: Error | null, body?: Buffer) => {
    if (finished) return
    finished = true
    done(err, body)
  }
  payload.on('data', (chunk: Buffer) => {
    if (finished) return
    size += chunk.length
    if (size > AGENT_AVATAR_MAX_BYTES) {
      chunks.length = 0
      return finish(agentsErrors.avatar_too_large())
    }
    chunks.push(chunk)
  })
  payload.on('end', () => finish(null, Buffer.concat(chunks)))
  payload.on('error', (err: Error) => finish(err))
}

/** A custom agent's uploaded picture: PUT (members), GET (viewers; an <img> sends only the session), DELETE (members). */
export const avatarRoutes =
  ({ agents, scope }: { agents: AgentService; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    // Any content type is taken as bytes here (this plugin's routes only): the bytes decide what the picture is.
    base.removeAllContentTypeParsers()
    base.addContentTypeParser('*', (req, payload, done) => readCapped(req, payload, done))
    const app = base.withTypeProvider<ZodTypeProvider>()
    /** The agent's own workspace decides access: a foreign or unknown id is "not found"; a built-in is never edited. */
    const agentScope = async (req: FastifyRequest, id: string, role: Role, builtin: () => Error) => {
      if (findBuiltin(id)) throw builtin()
      const workspaceId = await agents.workspaceOf(id)
      if (!workspaceId) throw agentsErrors.not_found()
      try {
        return await scope.workspace(req, role, workspaceId)
      } catch (err) {
        // Not a member there (or a token bound elsewhere): the agent, not its workspace, is what was asked for.
        if (err instanceof AppError && err.code === 'tenancy.workspace_not_found') throw agentsErrors.not_found()
        throw err
      }
    }

    app.put(
      '/api/agents/:id/avatar',
      {
        schema: {
          tags,
          summary:
            "Upload a custom agent's picture (members): PNG, JPEG or WebP, read from the bytes; replaces the one " +
            'before. Audited',
          params: AgentIdParam,
          body: RawPicture,
          response: { 200: AgentDto, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
        },
      },
      async (req) =>
        agents.putAvatar(
          await agentScope(req, req.params.id, 'member', agentsErrors.builtin_readonly),
          req.params.id,
          req.body,
          requestMeta(req),
        ),
    )

    app.get(
      '/api/agents/:id/avatar',
      {
        schema: {
          tags,
          summary:
            "A custom agent's uploaded picture (viewers). With `?v=` naming the current picture (as `avatarImage` does) " +
            'it may be cached for good; otherwise it is revalidated by its ETag',
          params: AgentIdParam,
          querystring: z.strictObject({ v: z.string().max(64).optional() }),
          response: {
            200: z.any().meta({ description: 'the picture' }),
            304: z.null().meta({ description: 'not modified (If-None-Match)' }),
            ...errorResponses(400, 401, 404),
          },
        },
      },
      async (req, reply) => {
        const s = await agentScope(req, req.params.id, 'viewer', agentsErrors.avatar_not_found)
        const file = await agents.avatarFile(s, req.params.id)
        const etag = `"${file.sha256}"`
        const current = req.query.v !== undefined && file.sha256.startsWith(req.query.v) && req.query.v.length >= 8
        reply
          .header('content-type', file.mime)
          .header('etag', etag)
          // Only members of the agent's workspace may read it; a versioned URL never changes.
          .header('cache-control', current ? 'private, max-age=31536000, immutable' : 'private, no-cache')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cross-origin-resource-policy', 'same-origin')
          .header('content-disposition', 'inline')
        if (req.headers['if-none-match'] === etag) return reply.code(304).send(null)
        return reply.send(file.data)
      },
    )

    app.delete(
      '/api/agents/:id/avatar',
      {
        schema: {
          tags,
          summary: "Remove a custom agent's picture (members): its generated avatar shows again. Audited",
          params: AgentIdParam,
          response: { 204: z.null(), ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        await agents.removeAvatar(
          await agentScope(req, req.params.id, 'member', agentsErrors.builtin_readonly),
          req.params.id,
          requestMeta(req),
        )
        return noContent(reply)
      },
    )
  }
