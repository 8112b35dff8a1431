import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import {
  ContactCreate,
  ContactDto,
  ContactListQuery,
  ContactPage,
  ContactPatch,
  CrmNoteCreate,
  CrmNoteDto,
  CrmNotePage,
  EraseBody,
  MergeBody,
  TaskCreate,
  TaskDto,
  TaskPage,
  TaskPatch,
  TimelinePage,
} from '../../../contracts/crm.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { Role } from '../../platform/db/columns.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Activities } from './activities.ts'
import type { Contacts } from './contacts.ts'
import { crmErrors } from './crm.errors.ts'
import type { Merges } from './merge.ts'
import type { Timeline } from './timeline.ts'

const tags = ['crm']

export const contactRoutes =
  ({
    contacts,
    merges,
    activities,
    timeline,
    scope,
    operator,
  }: {
    contacts: Contacts
    merges: Merges
    activities: Activities
    timeline: Timeline
    scope: ScopeResolver
    operator: OperatorGuard
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    /** A contact's own client decides access: unknown, or another client's → 404. */
    const contactScope = async (req: FastifyRequest, id: string, role: Role) =>
      scope.owner(req, role, await contacts.clientOf(id), crmErrors.contact_not_found)

    app.get(
      '/api/crm/contacts',
      {
        schema: {
          tags,
          summary:
            "The client's contacts, newest first (X-Client-ID): `q` (name, phone, email or WhatsApp id), `tag`, `owner`, " +
            '`archived` (exclude — the default —, include, only)',
          querystring: ContactListQuery,
          response: { 200: ContactPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => contacts.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.post(
      '/api/crm/contacts',
      {
        schema: {
          tags,
          summary:
            'Create a contact (members; X-Client-ID). Phones are stored E.164 (a phone without + needs the default ' +
            'country); a phone or email a live contact has already → 409 crm.duplicate_contact naming it. Audited',
          body: ContactCreate,
          response: { 201: ContactDto, ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await contacts.create(await scope.clientFromHeader(req, 'member'), req.body, requestMeta(req))),
    )

    app.get(
      '/api/crm/contacts/:id',
      {
        schema: {
          tags,
          summary:
            'One contact, with its profile figures (bookings, spend per currency, first/last booking, last contact)',
          params: IdParam,
          response: { 200: ContactDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => contacts.get(await contactScope(req, req.params.id, 'viewer'), req.params.id),
    )

    app.patch(
      '/api/crm/contacts/:id',
      {
        schema: {
          tags,
          summary:
            "Change a contact (members): lists (phones, emails, identities, tags) replace the contact's; `fields` sets the " +
            'keys it names (null clears one)',
          params: IdParam,
          body: ContactPatch,
          response: { 200: ContactDto, ...errorResponses(400, 401, 403, 404, 409, 422) },
        },
      },
      async (req) => contacts.update(await contactScope(req, req.params.id, 'member'), req.params.id, req.body),
    )

    app.post(
      '/api/crm/contacts/:id/archive',
      {
        schema: {
          tags,
          summary:
            'Archive a contact (members; contacts are never deleted). Its phones and emails become free. Audited',
          params: IdParam,
          response: { 200: ContactDto, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) =>
        contacts.archive(await contactScope(req, req.params.id, 'member'), req.params.id, requestMeta(req)),
    )

    app.post(
      '/api/crm/contacts/:id/unarchive',
      {
        schema: {
          tags,
          summary:
            'Restore an archived contact (members); 409 when a live contact has one of its phones or emails. Audited',
          params: IdParam,
          response: { 200: ContactDto, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (req) =>
        contacts.unarchive(await contactScope(req, req.params.id, 'member'), req.params.id, requestMeta(req)),
    )

    app.post(
      '/api/crm/contacts/:id/merge',
      {
        schema: {
          tags,
          summary:
            'Merge `otherId` into this contact (members): the other is archived with mergedInto; its phones, emails, ' +
            'identities and tags move here; its bookings, deals, notes and tasks point here. Audited',
          params: IdParam,
          body: MergeBody,
          response: { 200: ContactDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) =>
        merges.merge(
          await contactScope(req, req.params.id, 'member'),
          req.params.id,
          req.body.otherId,
          requestMeta(req),
        ),
    )

    app.get(
      '/api/crm/contacts/:id/timeline',
      {
        schema: {
          tags,
          summary: "A contact's notes, tasks, bookings, deals and WhatsApp messages, newest first (paged)",
          params: IdParam,
          querystring: PageQuery,
          response: { 200: TimelinePage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => timeline.of(await contactScope(req, req.params.id, 'viewer'), req.params.id, req.query),
    )

    app.get(
      '/api/crm/contacts/:id/notes',
      {
        schema: {
          tags,
          summary: "A contact's notes, newest first",
          params: IdParam,
          querystring: PageQuery,
          response: { 200: CrmNotePage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => activities.notes(await contactScope(req, req.params.id, 'viewer'), req.params.id, req.query),
    )

    app.post(
      '/api/crm/contacts/:id/notes',
      {
        schema: {
          tags,
          summary: 'Add a note to a contact (members)',
          params: IdParam,
          body: CrmNoteCreate,
          response: { 201: CrmNoteDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(
            await activities.addNote(await contactScope(req, req.params.id, 'member'), req.params.id, req.body.body),
          ),
    )

    app.get(
      '/api/crm/contacts/:id/tasks',
      {
        schema: {
          tags,
          summary: "A contact's tasks, newest first",
          params: IdParam,
          querystring: PageQuery,
          response: { 200: TaskPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => activities.tasks(await contactScope(req, req.params.id, 'viewer'), req.params.id, req.query),
    )

    app.post(
      '/api/crm/contacts/:id/tasks',
      {
        schema: {
          tags,
          summary: 'Add a task to a contact (members): a title and an optional due date',
          params: IdParam,
          body: TaskCreate,
          response: { 201: TaskDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) =>
        reply
          .code(201)
          .send(await activities.addTask(await contactScope(req, req.params.id, 'member'), req.params.id, req.body)),
    )

    app.patch(
      '/api/crm/tasks/:id',
      {
        schema: {
          tags,
          summary: 'Change a task: title, due date, done (members)',
          params: IdParam,
          body: TaskPatch,
          response: { 200: TaskDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) =>
        activities.updateTask(
          await scope.owner(req, 'member', await activities.taskClientOf(req.params.id), crmErrors.task_not_found),
          req.params.id,
          req.body,
        ),
    )

    app.post(
      '/api/operator/crm/contacts/:id/erase',
      {
        config: { public: true },
        preValidation: async (req: FastifyRequest) => operator(req),
        schema: {
          tags: ['operator'],
          summary:
            'Erase a contact for a data-protection request (X-Internal-Token): name → "Erased contact", phones, emails, ' +
            'WhatsApp identities, tags and custom fields cleared, archived. Audited with the reason',
          params: IdParam,
          body: EraseBody,
          response: { 200: ContactDto, ...errorResponses(400, 401, 404, 503) },
        },
      },
      async (req) => merges.erase(req.params.id, req.body.reason, requestMeta(req)),
    )
  }
