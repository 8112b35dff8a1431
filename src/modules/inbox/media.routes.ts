import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam } from '../../../contracts/common.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import { inboxErrors } from './inbox.errors.ts'
import type { MediaStore } from './media.ts'

/** Types a browser may show in place: pictures, sound and video it decodes itself. Anything else is downloaded. */
const INLINE = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'audio/ogg',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/amr',
  'video/mp4',
  'video/3gpp',
])

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` within a file of `size` bytes; undefined for anything else (a 416). */
export const parseRange = (header: string, size: number): { start: number; end: number } | undefined => {
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '') || size === 0) return undefined
  const [start, end] =
    m[1] === '' ? [Math.max(size - Number(m[2]), 0), size - 1] : [Number(m[1]), m[2] === '' ? size - 1 : Number(m[2])]
  if (start > end || start >= size) return undefined
  return { start, end: Math.min(end, size - 1) }
}

/** A file name for Content-Disposition: an ASCII fallback and the UTF-8 name (RFC 6266 / 8187). */
const disposition = (type: 'inline' | 'attachment', name: string) => {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_').slice(0, 120) || 'file'
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name.slice(0, 200))}`
}

export const mediaRoutes =
  ({ media, scope }: { media: MediaStore; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    app.get(
      '/api/inbox/messages/:id/media',
      {
        schema: {
          tags: ['inbox'],
          summary:
            "A received media file's bytes (viewers): pictures, audio and video shown in place, anything else as a " +
            'download; a single `Range` is answered with 206 (seeking in audio and video); 409 while it is not stored',
          params: IdParam,
          response: {
            200: z.any().meta({ description: 'the file' }),
            206: z.any().meta({ description: 'part of the file' }),
            304: z.null().meta({ description: 'not modified (If-None-Match)' }),
            ...errorResponses(401, 404, 409, 416),
          },
        },
      },
      async (req, reply) => {
        const s = await scope.owner(req, 'viewer', await media.clientOf(req.params.id), inboxErrors.media_not_found)
        const file = await media.file(s.clientId, req.params.id)
        const etag = `"${file.sha256}"`
        const inline = INLINE.has(file.mime)
        reply
          .header('content-type', inline ? file.mime : 'application/octet-stream')
          .header('etag', etag)
          // The file of a message never changes; only members of its client may read it.
          .header('cache-control', 'private, max-age=31536000, immutable')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cross-origin-resource-policy', 'same-origin')
          .header('accept-ranges', 'bytes')
          .header(
            'content-disposition',
            disposition(inline ? 'inline' : 'attachment', file.fileName ?? `${file.kind}-${req.params.id}`),
          )
        if (req.headers['if-none-match'] === etag) return reply.code(304).send(null)
        const rangeHeader = req.headers.range
        if (rangeHeader) {
          const range = parseRange(rangeHeader, file.data.length)
          if (!range) {
            reply.header('content-range', `bytes */${file.data.length}`)
            throw inboxErrors.media_range_invalid()
          }
          return reply
            .code(206)
            .header('content-range', `bytes ${range.start}-${range.end}/${file.data.length}`)
            .send(file.data.subarray(range.start, range.end + 1))
        }
        return reply.send(file.data)
      },
    )
  }
