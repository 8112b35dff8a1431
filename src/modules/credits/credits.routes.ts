import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParam, page } from '../../../contracts/common.ts'
import {
  CapPut,
  CreditBalance,
  HoldDto,
  HoldsQuery,
  LedgerEntryDto,
  LedgerQuery,
  LimitsDto,
  LimitsPatch,
  OperatorGrant,
  PriceDto,
  PricePut,
  RateDto,
  RatePut,
  SpendDto,
  SpendQuery,
  StatementDto,
} from '../../../contracts/credits.ts'
import type { ModelPrice, CreditRate } from './credits.tables.ts'
import { errorResponses, requestMeta } from '../../platform/http/route-helpers.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import type { Kysely } from 'kysely'
import type { CreditsTables } from './credits.tables.ts'
import type { ScopeResolver } from '../tenancy/tenancy.module.ts'
import type { CreditsService } from './credits.service.ts'
import type { LimitsService, TenancyLookups } from './limits.service.ts'
import type { SpendService } from './spend.service.ts'
import type { StatementsService } from './statements.service.ts'
import type { PriceBook } from './price-book.ts'
import { perMillionFromUsd } from './pricing.ts'

const toPriceDto = (p: ModelPrice) => ({
  id: p.id,
  modelId: p.modelId,
  inputPerMillionUsd: Number(p.inputPerM) / 1e6,
  outputPerMillionUsd: Number(p.outputPerM) / 1e6,
  cachedInputPerMillionUsd: Number(p.cachedInputPerM) / 1e6,
  source: p.source,
  validFrom: p.validFrom.toISOString(),
  validTo: p.validTo?.toISOString() ?? null,
})
const toRateDto = (r: CreditRate) => ({
  id: r.id,
  scope: r.scope,
  usdPerCredit: Number(r.usdMicroPerCredit) / 1e6,
  bufferPercent: r.bufferBps / 100,
  marginPercent: r.marginBps / 100,
  note: r.note,
  validFrom: r.validFrom.toISOString(),
  validTo: r.validTo?.toISOString() ?? null,
})

type Deps = {
  db: Kysely<CreditsTables>
  credits: CreditsService
  limits: LimitsService
  statements: StatementsService
  spend: SpendService
  book: PriceBook
  scope: ScopeResolver
  operator: OperatorGuard
  tenancy: Pick<TenancyLookups, 'planOf'>
}

/** Balance, ledger, holds, limits, spend and statements; the operator's grants, prices and rates. */
export const creditsRoutes =
  ({ db, credits, limits, statements, spend, book, scope, operator, tenancy }: Deps) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const planOf = async (workspaceId: string) => {
      const plan = await tenancy.planOf(db, workspaceId)
      if (plan === undefined) throw new Error(`No workspace ${workspaceId}`)
      return plan
    }
    const here = async (req: FastifyRequest, role: 'viewer' | 'member' | 'admin') => {
      const s = await scope.workspaceOrClient(req, role)
      const clientId = req.headers['x-client-id']
      return { ...s, clientId: typeof clientId === 'string' ? clientId : null }
    }
    const tags = ['credits']

    app.get(
      '/api/credits/balance',
      {
        schema: {
          tags,
          summary:
            'Balance, held and available credits, and the caps that apply to you (X-Workspace-ID or X-Client-ID)',
          response: { 200: CreditBalance, ...errorResponses(401, 404) },
        },
      },
      async (req) => {
        const s = await here(req, 'viewer')
        return credits.balance(s, await planOf(s.workspaceId))
      },
    )

    app.get(
      '/api/credits/ledger',
      {
        schema: {
          tags,
          summary: 'Ledger entries, newest first; `format=csv` exports them (admins: all; others: their own)',
          querystring: LedgerQuery,
          response: { 200: page(LedgerEntryDto), ...errorResponses(400, 401, 404) },
        },
      },
      async (req, reply) => {
        const s = await here(req, 'viewer')
        const { format, ...q } = req.query
        if (format === 'csv') {
          const csv = await credits.entriesCsv(s, q)
          return reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="camarad-ledger-${s.workspaceId}.csv"`)
            .send(csv as never)
        }
        return credits.entries(s, q)
      },
    )

    app.get(
      '/api/credits/holds',
      {
        schema: {
          tags,
          summary: 'Holds (credits reserved by calls), newest first',
          querystring: HoldsQuery,
          response: { 200: page(HoldDto), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => credits.holds(await here(req, 'viewer'), req.query),
    )

    app.get(
      '/api/credits/limits',
      {
        schema: {
          tags,
          summary: 'Per-request cap, throttles, concurrent streams and caps per workspace, client and user',
          response: { 200: LimitsDto, ...errorResponses(401, 404) },
        },
      },
      async (req) => limits.limits(await here(req, 'viewer')),
    )

    app.patch(
      '/api/credits/limits',
      {
        schema: {
          tags,
          summary: 'Change the limits (admins); null returns a limit to the server default',
          body: LimitsPatch,
          response: { 200: LimitsDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => limits.setLimits(await here(req, 'admin'), req.body, requestMeta(req).ip),
    )

    app.put(
      '/api/credits/caps',
      {
        schema: {
          tags,
          summary:
            'Set (or, with both null, remove) the daily and monthly caps of the workspace, a client or a user (admins)',
          body: CapPut,
          response: { 200: LimitsDto, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => limits.setCap(await here(req, 'admin'), req.body, requestMeta(req).ip),
    )

    app.get(
      '/api/credits/spend',
      {
        schema: {
          tags,
          summary:
            'Credits charged by day, model, agent, user, client or surface (admins: the workspace; others: their own)',
          querystring: SpendQuery,
          response: { 200: SpendDto, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => {
        const s = await here(req, 'viewer')
        return spend.spend(s, req.query, s.role === 'admin' || s.role === 'owner' ? undefined : s.userId)
      },
    )

    app.get(
      '/api/user/spend',
      {
        schema: {
          tags,
          summary: 'Your own spend in a workspace (X-Workspace-ID or X-Client-ID)',
          querystring: SpendQuery,
          response: { 200: SpendDto, ...errorResponses(400, 401, 404) },
        },
      },
      async (req) => {
        const s = await here(req, 'viewer')
        return spend.spend(s, req.query, s.userId)
      },
    )

    app.get(
      '/api/credits/statements',
      {
        schema: {
          tags,
          summary: 'Monthly statements (admins: the workspace and each user; others: their own)',
          response: { 200: z.object({ items: z.array(StatementDto) }), ...errorResponses(401, 404) },
        },
      },
      async (req) => ({ items: await statements.statements(await here(req, 'viewer')) }),
    )

    // Operator API: X-Internal-Token.
    // Checked before the body is validated: without the token nothing about the request is answered but 401.
    const op = { config: { public: true }, preValidation: async (req: FastifyRequest) => operator(req) }
    const opTags = ['operator']

    app.post(
      '/api/operator/workspaces/:id/credits',
      {
        ...op,
        schema: {
          tags: opTags,
          summary: 'Grant credits to a workspace (negative: an adjustment); idempotent by requestId / X-Request-ID',
          params: IdParam,
          body: OperatorGrant,
          response: { 201: LedgerEntryDto, 200: LedgerEntryDto, ...errorResponses(400, 401, 404, 409, 503) },
        },
      },
      async (req, reply) => {
        const { entry, replay } = await credits.operatorGrant(req.params.id, {
          ...req.body,
          requestId: req.body.requestId ?? req.id,
        })
        return reply.code(replay ? 200 : 201).send(entry)
      },
    )

    app.get(
      '/api/operator/prices',
      {
        ...op,
        schema: {
          tags: opTags,
          summary: 'Model prices, every version (current ones have no validTo)',
          querystring: z.strictObject({ modelId: z.string().max(200).optional() }),
          response: { 200: z.object({ items: z.array(PriceDto) }), ...errorResponses(401, 503) },
        },
      },
      async (req) => ({ items: (await book.prices(db, req.query.modelId)).map(toPriceDto) }),
    )

    app.put(
      '/api/operator/prices',
      {
        ...op,
        schema: {
          tags: opTags,
          summary: "Set a model's price: closes the current version, opens a new one",
          body: PricePut,
          response: { 200: PriceDto, ...errorResponses(400, 401, 503) },
        },
      },
      async (req) =>
        toPriceDto(
          await book.setPrice(db, {
            modelId: req.body.modelId,
            inputPerM: perMillionFromUsd(req.body.inputPerMillionUsd),
            outputPerM: perMillionFromUsd(req.body.outputPerMillionUsd),
            cachedInputPerM: perMillionFromUsd(req.body.cachedInputPerMillionUsd),
            source: 'operator',
          }),
        ),
    )

    app.get(
      '/api/operator/credit-rates',
      {
        ...op,
        schema: {
          tags: opTags,
          summary: 'Credit rates (live and shadow), every version',
          response: { 200: z.object({ items: z.array(RateDto) }), ...errorResponses(401, 503) },
        },
      },
      async () => ({ items: (await book.rates(db)).map(toRateDto) }),
    )

    app.post(
      '/api/operator/credit-rates',
      {
        ...op,
        schema: {
          tags: opTags,
          summary: 'Open a new live or shadow rate version (closes the current one)',
          body: RatePut,
          response: { 201: RateDto, ...errorResponses(400, 401, 503) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(
          toRateDto(
            await book.setRate(db, {
              scope: req.body.scope,
              usdMicroPerCredit: BigInt(Math.round(req.body.usdPerCredit * 1e6)),
              bufferBps: Math.round(req.body.bufferPercent * 100),
              marginBps: Math.round(req.body.marginPercent * 100),
              note: req.body.note,
            }),
          ),
        ),
    )
  }
export { toPriceDto, toRateDto }
