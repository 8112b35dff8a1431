import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import {
  CalibrationApplyBody,
  CalibrationProposalDto,
  CalibrationQuery,
  CostImportBody,
  CostImportDto,
  CostTelemetryDto,
  ReconcileBody,
  ReconciliationQuery,
  ReconciliationRunDto,
  ShadowSyncBody,
  ShadowSyncDto,
} from '../../../contracts/billing.ts'
import { RateDto } from '../../../contracts/credits.ts'
import type { CreditRate } from '../credits/credits.module.ts'
import type { OperatorGuard } from '../../platform/http/operator.ts'
import { errorResponses } from '../../platform/http/route-helpers.ts'
import { z } from 'zod'
import type { createCalibration } from './calibration.service.ts'
import type { Reconciliation } from './reconciliation.service.ts'
import type { createShadowSync } from './shadow-sync.service.ts'
import type { createTelemetry } from './telemetry.service.ts'

type Deps = {
  operator: OperatorGuard
  telemetry: ReturnType<typeof createTelemetry>
  shadowSync: ReturnType<typeof createShadowSync>
  calibration: ReturnType<typeof createCalibration>
  reconciliation: Reconciliation
}

const toRateDto = (r: CreditRate): z.infer<typeof RateDto> => ({
  id: r.id,
  scope: r.scope,
  usdPerCredit: Number(r.usdMicroPerCredit) / 1e6,
  bufferPercent: r.bufferBps / 100,
  marginPercent: r.marginBps / 100,
  note: r.note,
  validFrom: r.validFrom.toISOString(),
  validTo: r.validTo?.toISOString() ?? null,
})

/** Operator API (X-Internal-Token): cost telemetry, shadow pricing, rate calibration, provider cost reconciliation. */
export const billingRoutes =
  ({ operator, telemetry, shadowSync, calibration, reconciliation }: Deps) =>
  async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    // Checked on request, before the body is parsed or validated: a caller without the token learns nothing else.
    const op = { config: { public: true }, onRequest: async (req: FastifyRequest) => operator(req) }
    const tags = ['operator']

    app.get(
      '/api/billing/cost-telemetry',
      {
        ...op,
        schema: {
          tags,
          summary:
            'Calls, tokens, provider cost, credits charged and shadow credits (24 h, 7 d), top models and agents, coverage, latest calls',
          response: { 200: CostTelemetryDto, ...errorResponses(401, 503) },
        },
      },
      async () => telemetry.costTelemetry(),
    )

    app.post(
      '/api/billing/shadow-sync',
      {
        ...op,
        schema: {
          tags,
          summary:
            'Price every called model without a price, and backfill shadow charges and provider costs that are missing',
          body: ShadowSyncBody,
          response: { 200: ShadowSyncDto, ...errorResponses(400, 401, 503) },
        },
      },
      async () => shadowSync(),
    )

    app.get(
      '/api/billing/calibration-proposal',
      {
        ...op,
        schema: {
          tags,
          summary:
            'A proposed live credit rate from the calls and holds of the window, with its guardrails and confidence',
          querystring: CalibrationQuery,
          response: { 200: CalibrationProposalDto, ...errorResponses(400, 401, 503) },
        },
      },
      async (req) => calibration.proposal(req.query.window_hours),
    )

    app.post(
      '/api/billing/calibration-apply',
      {
        ...op,
        schema: {
          tags,
          summary:
            'Open the proposed live rate as a new version (audited); 409 `billing.insufficient_data` below 50 calls or 90 % coverage',
          body: CalibrationApplyBody,
          response: { 201: RateDto, ...errorResponses(400, 401, 409, 503) },
        },
      },
      async (req, reply) =>
        reply.code(201).send(toRateDto(await calibration.apply(req.body.window_hours, req.body.note))),
    )

    app.post(
      '/api/operator/reconciliation/imports',
      {
        ...op,
        schema: {
          tags,
          summary:
            'Import a provider cost CSV (date, model, cost_usd[, input_tokens, output_tokens]); any bad row → 400 with line numbers, nothing stored',
          body: CostImportBody,
          response: { 201: CostImportDto, ...errorResponses(400, 401, 503) },
        },
      },
      async (req, reply) => reply.code(201).send(await reconciliation.importCosts(req.body.provider, req.body.csv)),
    )

    app.post(
      '/api/operator/reconciliation/run',
      {
        ...op,
        schema: {
          tags,
          summary: 'Reconcile a day now (default: yesterday, UTC): deltas against imported invoices, margin, alerts',
          body: ReconcileBody,
          response: { 201: ReconciliationRunDto, ...errorResponses(400, 401, 503) },
        },
      },
      async (req, reply) => reply.code(201).send(await reconciliation.run(req.body.date, 'operator')),
    )

    app.get(
      '/api/operator/reconciliation',
      {
        ...op,
        schema: {
          tags,
          summary: 'Recent reconciliation runs with their deltas and alerts, newest first',
          querystring: ReconciliationQuery,
          response: { 200: z.object({ runs: z.array(ReconciliationRunDto) }), ...errorResponses(400, 401, 503) },
        },
      },
      async (req) => reconciliation.list(req.query),
    )
  }
