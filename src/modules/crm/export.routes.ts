import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { BookingListQuery, ContactListQuery } from '../../../contracts/crm.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Exports } from './export.ts'

const tags = ['crm']
const Csv = z.string().meta({ description: 'CSV (UTF-8 with a BOM, CRLF lines), streamed' })
const today = () => new Date().toISOString().slice(0, 10)

export const exportRoutes =
  ({ exports, scope }: { exports: Exports; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const csv = (name: string) => ({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}-${today()}.csv"`,
      'cache-control': 'no-store',
    })

    app.get(
      '/api/crm/contacts/export.csv',
      {
        schema: {
          tags,
          summary:
            "The client's contacts as CSV (viewers; X-Client-ID), with the contacts list's filters: streamed in pages, " +
            'formula-safe cells, spend per currency in decimal. Audited',
          querystring: ContactListQuery.omit({ cursor: true, limit: true }),
          response: { 200: Csv, ...errorResponses(400, 401, 404) },
        },
      },
      async (req, reply) => {
        const stream = await exports.contacts(await scope.clientFromHeader(req, 'viewer'), req.query, requestMeta(req))
        return reply.headers(csv('contacts')).send(stream as never)
      },
    )

    app.get(
      '/api/crm/bookings/export.csv',
      {
        schema: {
          tags,
          summary:
            "The client's bookings as CSV (viewers; X-Client-ID), with the bookings list's filters: streamed in pages, " +
            'formula-safe cells, amounts in decimal with their currency. Audited',
          querystring: BookingListQuery.omit({ cursor: true, limit: true }),
          response: { 200: Csv, ...errorResponses(400, 401, 404) },
        },
      },
      async (req, reply) => {
        const stream = await exports.bookings(await scope.clientFromHeader(req, 'viewer'), req.query, requestMeta(req))
        return reply.headers(csv('bookings')).send(stream as never)
      },
    )
  }
