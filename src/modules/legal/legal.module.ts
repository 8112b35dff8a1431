import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { legalErrors } from './legal.errors.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ModuleShape } from '../../platform/modules/module.ts'

const Doc = z.enum(['terms', 'privacy', 'legal', 'refunds', 'dpa', 'subprocessors', 'cookies'])
const LegalDoc = z
  .object({ title: z.string(), markdown: z.string(), updatedAt: z.iso.datetime() })
  .meta({ id: 'LegalDocument' })

/**
 * Terms, privacy notice, imprint, refund policy, data processing agreement template, sub-processors and cookie notice:
 * Markdown files in `content/legal/` that the operator edits.
 */
export const createLegalModule = (dir: string) => ({ routes: [legalRoutes(dir)], jobs: [] }) satisfies ModuleShape

const legalRoutes = (dir: string) => async (base: FastifyInstance) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  app.get(
    '/api/legal',
    {
      config: { public: true },
      schema: {
        tags: ['public'],
        summary: 'A legal document of this installation',
        querystring: z.strictObject({ doc: Doc }),
        response: { 200: LegalDoc, ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      const file = join(dir, `${req.query.doc}.md`)
      const [markdown, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]).catch(() => {
        throw legalErrors.not_found()
      })
      const title = /^#\s+(.+)$/m.exec(markdown)?.[1]?.trim() ?? req.query.doc
      return { title, markdown, updatedAt: info.mtime.toISOString() }
    },
  )
}
