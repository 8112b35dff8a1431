import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam } from '../../../contracts/common.ts'
import { BookingCreate, BookingDto, BookingListQuery, BookingPage, BookingPatch } from '../../../contracts/crm.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Bookings } from './bookings.ts'
import { crmErrors } from './crm.errors.ts'

const tags = ['crm']

export const bookingRoutes =
  ({ bookings, scope }: { bookings: Bookings; scope: ScopeResolver }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const bookingScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await bookings.clientOf(id), crmErrors.booking_not_found)

    app.get(
      '/api/crm/bookings',
      {
        schema: {
          tags,
          summary:
            "The client's bookings, newest first (X-Client-ID): filters contactId, status, from and to (booking dates, " +
            'inclusive)',
          querystring: BookingListQuery,
          response: { 200: BookingPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => bookings.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.post(
      '/api/crm/bookings',
      {
        schema: {
          tags,
          summary:
            'Save a booking for a live contact (members; X-Client-ID). Always a new booking (saving twice makes two); the ' +
            "contact's figures are updated in the same transaction. `source`: the inbox thread and messages it came from",
          body: BookingCreate,
          response: { 201: BookingDto, ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await bookings.create(await scope.clientFromHeader(req, 'member'), req.body)),
    )

    app.get(
      '/api/crm/bookings/:id',
      {
        schema: {
          tags,
          summary: 'One booking',
          params: IdParam,
          response: { 200: BookingDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => bookings.get(await bookingScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.patch(
      '/api/crm/bookings/:id',
      {
        schema: {
          tags,
          summary:
            "Change a booking (members): date, time, zone, place, items, amount, status, notes, fields; the contact's " +
            'figures follow in the same transaction (cancelled bookings count for nothing)',
          params: IdParam,
          body: BookingPatch,
          response: { 200: BookingDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => bookings.update(await bookingScope(req, req.params.id, 'member'), req.params.id, req.body),
    )
  }
