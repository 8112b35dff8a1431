import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam, PageQuery } from '../../../contracts/common.ts'
import {
  CompanyCreate,
  CompanyDto,
  CompanyPage,
  CrmSettingsDto,
  CrmSettingsPut,
  FieldCreate,
  FieldDefinitionDto,
  FieldListQuery,
  FieldPatch,
} from '../../../contracts/crm.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { Companies } from './companies.ts'
import { crmErrors } from './crm.errors.ts'
import type { FieldDefinitions } from './fields.ts'
import type { CrmSettings } from './settings.ts'

const tags = ['crm']

/** What a client's CRM is set up with: settings, custom fields, companies. */
export const setupRoutes =
  ({
    settings,
    fields,
    companies,
    scope,
  }: {
    settings: CrmSettings
    fields: FieldDefinitions
    companies: Companies
    scope: ScopeResolver
  }) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/api/crm/settings',
      {
        schema: {
          tags,
          summary: "The client's CRM settings (X-Client-ID): the default country of phones written without +",
          response: { 200: CrmSettingsDto, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => settings.get(await scope.clientFromHeader(req, 'viewer')),
    )

    app.put(
      '/api/crm/settings',
      {
        schema: {
          tags,
          summary: "Set the client's CRM settings (admins; X-Client-ID). Audited",
          body: CrmSettingsPut,
          response: { 200: CrmSettingsDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => settings.put(await scope.clientFromHeader(req, 'admin'), req.body),
    )

    app.get(
      '/api/crm/fields',
      {
        schema: {
          tags,
          summary: "The client's custom fields on contacts and bookings (X-Client-ID), archived ones included",
          querystring: FieldListQuery,
          response: { 200: z.object({ items: z.array(FieldDefinitionDto) }), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => fields.list(await scope.clientFromHeader(req, 'viewer'), req.query.entity),
    )

    app.post(
      '/api/crm/fields',
      {
        schema: {
          tags,
          summary:
            'Define a custom field on contacts or bookings (admins; X-Client-ID): text, number, date, boolean or select ' +
            '(with options). Audited',
          body: FieldCreate,
          response: { 201: FieldDefinitionDto, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await fields.create(await scope.clientFromHeader(req, 'admin'), req.body)),
    )

    app.patch(
      '/api/crm/fields/:id',
      {
        schema: {
          tags,
          summary: 'Change a custom field: label, options (select), archived (admins; its type and key stay)',
          params: IdParam,
          body: FieldPatch,
          response: { 200: FieldDefinitionDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) =>
        fields.update(
          await scope.owner(req, 'admin', await fields.clientOf(req.params.id), crmErrors.field_not_found),
          req.params.id,
          req.body,
        ),
    )

    app.get(
      '/api/crm/companies',
      {
        schema: {
          tags,
          summary: "The client's companies, newest first (X-Client-ID)",
          querystring: PageQuery,
          response: { 200: CompanyPage, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => companies.list(await scope.clientFromHeader(req, 'viewer'), req.query),
    )

    app.post(
      '/api/crm/companies',
      {
        schema: {
          tags,
          summary: 'Create a company (members; X-Client-ID): a name and an optional domain',
          body: CompanyCreate,
          response: { 201: CompanyDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(await companies.create(await scope.clientFromHeader(req, 'member'), req.body)),
    )
  }
