import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam } from '../../../contracts/common.ts'
import { AskAnswerDto, AskBody, BookingDraftDto, ExtractBookingBody } from '../../../contracts/crm.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Asker } from './ask.ts'
import { crmErrors } from './crm.errors.ts'
import type { Extractor } from './extract.ts'

const tags = ['crm']

/** The CRM's AI: a booking drafted from a conversation, and questions about a contact answered from its records. */
export const aiRoutes =
  ({
    extractor,
    asker,
    clientOfThread,
    clientOfContact,
    scope,
  }: {
    extractor: Extractor
    asker: Asker
    /** The inbox's public lookup: which client a conversation belongs to. */
    clientOfThread: (threadId: string) => Promise<string | undefined>
    clientOfContact: (contactId: string) => Promise<string | undefined>
    scope: ScopeResolver
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const call = (req: FastifyRequest) => ({
      requestId: req.id,
      tokenId: req.auth?.via === 'token' ? req.auth.tokenId : null,
    })

    app.post(
      '/api/inbox/threads/:id/extract-booking',
      {
        schema: {
          tags,
          summary:
            'A booking draft read from the conversation by AI (members; metered): each field with the message it came ' +
            'from, unknown fields null. Nothing is saved but the record of the extraction: save the booking with ' +
            'POST /api/crm/bookings and source { threadId, messageIds }',
          params: IdParam,
          body: ExtractBookingBody,
          response: { 200: BookingDraftDto, ...errorResponses(400, 401, 402, 403, 404, 409, 429, 502, 503, 504) },
        },
      },
      async (req) => {
        const s = await scope.owner(req, 'member', await clientOfThread(req.params.id), crmErrors.thread_not_found)
        return extractor.extract(s, req.params.id, call(req))
      },
    )

    app.post(
      '/api/crm/contacts/:id/ask',
      {
        schema: {
          tags,
          summary:
            "A question about a contact answered by AI from the contact's own records only (profile, bookings, deals, " +
            'recent WhatsApp messages), with citations; every figure comes from those records (members; metered)',
          params: IdParam,
          body: AskBody,
          response: { 200: AskAnswerDto, ...errorResponses(400, 401, 402, 403, 404, 409, 429, 502, 503, 504) },
        },
      },
      async (req) => {
        const s = await scope.owner(req, 'member', await clientOfContact(req.params.id), crmErrors.contact_not_found)
        return asker.ask(s, req.params.id, req.body.question, call(req))
      },
    )
  }
