import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import type { Insertable } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../src/platform/db/ids.ts'
import type { ModelCallsTable } from '../../src/modules/models/models.tables.ts'
import type { JobDefinition } from '../../src/platform/queue/queue.ts'
import { call, createTestContext, onboard, TEST_INTERNAL_TOKEN, type TestContext } from '../harness.ts'
import { json, readBody } from '../fakes/http-kit.ts'

const OP = { headers: { 'x-internal-token': TEST_INTERNAL_TOKEN } }
const HOUR = 3_600_000
const ago = (ms: number) => new Date(Date.now() - ms)
const dayOf = (d: Date) => d.toISOString().slice(0, 10)

type Owner = { workspaceId: string; userId: string }
const owner = async (ctx: TestContext, label: string): Promise<Owner> => {
  const o = await onboard(ctx.app, label)
  return { workspaceId: o.workspaceId, userId: o.user.id }
}

type CallRow = Partial<Insertable<ModelCallsTable>> & { modelId: string }
const insertCalls = (ctx: TestContext, who: Owner, rows: CallRow[]) =>
  ctx.container.db
    .insertInto('modelCalls')
    .values(
      rows.map((r) => ({
        id: newId('call'),
        workspaceId: who.workspaceId,
        clientId: null,
        userId: who.userId,
        tokenId: null,
        surface: 'v1' as const,
        requestId: `req-${randomBytes(8).toString('hex')}`,
        status: 'complete' as const,
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        reasoningTokens: 0,
        usageEstimated: false,
        ...r,
      })),
    )
    .execute()

const liveRate = async (ctx: TestContext) => (await ctx.container.credits.book.current()).live

describe('operator access', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx.close()
  })

  const routes: [method: 'GET' | 'POST', url: string, body?: unknown][] = [
    ['GET', '/api/billing/cost-telemetry'],
    ['POST', '/api/billing/shadow-sync', {}],
    ['GET', '/api/billing/calibration-proposal'],
    ['POST', '/api/billing/calibration-apply', {}],
    [
      'POST',
      '/api/operator/reconciliation/imports',
      { provider: 'openai', csv: 'date,model,cost_usd\n2026-01-01,gpt-4o-mini,1' },
    ],
    ['POST', '/api/operator/reconciliation/run', {}],
    ['GET', '/api/operator/reconciliation'],
  ]

  it('refuses every billing route without the operator token, even with an invalid body', async () => {
    for (const [method, url, body] of routes) {
      const res = await call(ctx.app, method, url, {}, body === undefined ? undefined : { unexpected: true })
      expect(res.statusCode, `${method} ${url}`).toBe(401)
      expect(res.json().error.code).toBe('operator.token_required')
    }
  })

  it('refuses every billing route with a wrong operator token', async () => {
    for (const [method, url, body] of routes) {
      const res = await call(
        ctx.app,
        method,
        url,
        { headers: { 'x-internal-token': `${TEST_INTERNAL_TOKEN}-wrong` } },
        body,
      )
      expect(res.statusCode, `${method} ${url}`).toBe(401)
    }
  })

  it('refuses a signed-in workspace owner without the operator token', async () => {
    const o = await onboard(ctx.app, 'not-operator')
    const res = await call(ctx.app, 'GET', '/api/billing/cost-telemetry', { cookie: o.user.cookie })
    expect(res.statusCode).toBe(401)
  })
})

describe('cost telemetry', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
    const who = await owner(ctx, 'telemetry')
    await insertCalls(ctx, who, [
      {
        modelId: 'openai:gpt-4o-mini',
        agentId: 'builtin.copywriter',
        inputTokens: 1000,
        outputTokens: 500,
        costUsdMicro: 450n,
        charged: 90_000n,
        shadowCharged: 100_000n,
        createdAt: ago(0.5 * HOUR),
      },
      {
        modelId: 'openai:gpt-4o-mini',
        agentId: 'builtin.copywriter',
        inputTokens: 2000,
        outputTokens: 1000,
        costUsdMicro: 900n,
        charged: 180_000n,
        shadowCharged: 200_000n,
        createdAt: ago(2 * HOUR),
      },
      { modelId: 'openai:gpt-4o-mini', status: 'failed', createdAt: ago(1 * HOUR) },
      // On the workspace's own key: a cost, no charge.
      {
        modelId: 'anthropic:claude-haiku-4-5',
        inputTokens: 100,
        outputTokens: 100,
        costUsdMicro: 600n,
        charged: 0n,
        shadowCharged: 120_000n,
        createdAt: ago(5 * HOUR),
      },
      {
        modelId: 'anthropic:claude-haiku-4-5',
        agentId: 'builtin.analyst',
        inputTokens: 4000,
        outputTokens: 1000,
        costUsdMicro: 9000n,
        charged: 1_800_000n,
        shadowCharged: 1_700_000n,
        createdAt: ago(72 * HOUR),
      },
      {
        modelId: 'openai:gpt-4.1',
        agentId: 'builtin.analyst',
        inputTokens: 9000,
        outputTokens: 9000,
        costUsdMicro: 1_000_000n,
        charged: 200_000_000n,
        shadowCharged: 200_000_000n,
        createdAt: ago(240 * HOUR),
      },
    ])
  })
  afterAll(async () => {
    await ctx.close()
  })

  it('aggregates the last 24 hours and 7 days of calls', async () => {
    const res = await call(ctx.app, 'GET', '/api/billing/cost-telemetry', OP)

    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.last24h).toEqual({
      calls: 4,
      inputTokens: 3100,
      outputTokens: 1600,
      providerCostUsdMicro: 1950,
      charged: 270_000,
      shadowCharged: 420_000,
      shadowDelta: 150_000,
      impliedUsdPerCredit: 0.005,
      coverage: { calls: 4, withTokens: 0.75, withCost: 0.75, billable: 0.75 },
    })
    expect(body.last7d).toEqual({
      calls: 5,
      inputTokens: 7100,
      outputTokens: 2600,
      providerCostUsdMicro: 10_950,
      charged: 2_070_000,
      shadowCharged: 2_120_000,
      shadowDelta: 50_000,
      impliedUsdPerCredit: 0.005,
      coverage: { calls: 5, withTokens: 0.8, withCost: 0.8, billable: 0.8 },
    })
  })

  it('ranks models by provider cost and agents by credits charged over 7 days', async () => {
    const body = (await call(ctx.app, 'GET', '/api/billing/cost-telemetry', OP)).json()

    expect(body.topModels).toEqual([
      {
        modelId: 'anthropic:claude-haiku-4-5',
        calls: 2,
        tokens: 5200,
        providerCostUsdMicro: 9600,
        charged: 1_800_000,
        shadowCharged: 1_820_000,
      },
      {
        modelId: 'openai:gpt-4o-mini',
        calls: 3,
        tokens: 4500,
        providerCostUsdMicro: 1350,
        charged: 270_000,
        shadowCharged: 300_000,
      },
    ])
    expect(body.topAgents.map((a: { agentId: string | null; charged: number }) => [a.agentId, a.charged])).toEqual([
      ['builtin.analyst', 1_800_000],
      ['builtin.copywriter', 270_000],
      [null, 0],
    ])
  })

  it('lists the latest calls, newest first', async () => {
    const { latest } = (await call(ctx.app, 'GET', '/api/billing/cost-telemetry', OP)).json()

    expect(latest).toHaveLength(6)
    expect(latest[0]).toMatchObject({
      modelId: 'openai:gpt-4o-mini',
      inputTokens: 1000,
      providerCostUsdMicro: 450,
      charged: 90_000,
      shadowCharged: 100_000,
    })
    expect(latest[5].modelId).toBe('openai:gpt-4.1')
  })
})

describe('shadow sync', () => {
  let ctx: TestContext
  let who: Owner
  beforeAll(async () => {
    ctx = await createTestContext()
    who = await owner(ctx, 'shadow')
  })
  afterAll(async () => {
    await ctx.close()
  })

  it('prices called models that have no price and backfills missing shadow charges and costs', async () => {
    // A catalog model whose price was closed, a model the catalog does not know, and a priced call without its shadow charge.
    await ctx.container.db
      .updateTable('modelPrices')
      .set({ validTo: new Date() })
      .where('modelId', '=', 'openai:gpt-4.1')
      .where('validTo', 'is', null)
      .execute()
    ctx.container.credits.book.invalidate()
    await insertCalls(ctx, who, [
      { modelId: 'openai:gpt-4.1', requestId: 'sync-known', inputTokens: 1000, outputTokens: 500 },
      { modelId: 'acme:mystery-1', requestId: 'sync-unknown', inputTokens: 700, outputTokens: 300 },
      {
        modelId: 'openai:gpt-4o-mini',
        requestId: 'sync-priced',
        inputTokens: 1000,
        outputTokens: 500,
        costUsdMicro: 999n,
        charged: 90_000n,
      },
    ])

    const res = await call(ctx.app, 'POST', '/api/billing/shadow-sync', OP, {})

    expect(res.statusCode).toBe(200)
    const { shadow } = await ctx.container.credits.book.current()
    expect(res.json()).toEqual({
      pricesCreated: [
        { modelId: 'acme:mystery-1', source: 'shadow-sync' },
        { modelId: 'openai:gpt-4.1', source: 'catalog' },
      ],
      shadowBackfilled: 3,
      costBackfilled: 2,
      shadowRateId: shadow.id,
    })
    const rows = Object.fromEntries(
      (
        await ctx.container.db
          .selectFrom('modelCalls')
          .select(['requestId', 'costUsdMicro', 'shadowCharged', 'shadowRateId'])
          .where('requestId', 'like', 'sync-%')
          .execute()
      ).map((r) => [r.requestId, r]),
    )
    // $2 / $8 per million: 1000 in + 500 out = $0.006; the shadow rate (1 credit = $0.01, +100 %) charges 1.2 credits.
    expect(rows['sync-known']).toMatchObject({
      costUsdMicro: 6000n,
      shadowCharged: 1_200_000n,
      shadowRateId: shadow.id,
    })
    expect(rows['sync-unknown']).toMatchObject({ costUsdMicro: 0n, shadowCharged: 0n })
    // A recorded cost is kept; the shadow charge is priced from the usage: $0.00045 → 0.09 credits.
    expect(rows['sync-priced']).toMatchObject({ costUsdMicro: 999n, shadowCharged: 90_000n })
    const prices = await ctx.container.db
      .selectFrom('modelPrices')
      .select(['modelId', 'source', 'inputPerM'])
      .where('validTo', 'is', null)
      .where('modelId', 'in', ['acme:mystery-1', 'openai:gpt-4.1'])
      .orderBy('modelId')
      .execute()
    expect(prices).toEqual([
      { modelId: 'acme:mystery-1', source: 'shadow-sync', inputPerM: 0n },
      { modelId: 'openai:gpt-4.1', source: 'catalog', inputPerM: 2_000_000n },
    ])
  })

  it('changes nothing when run again', async () => {
    const res = await call(ctx.app, 'POST', '/api/billing/shadow-sync', OP, {})

    expect(res.json()).toMatchObject({ pricesCreated: [], shadowBackfilled: 0, costBackfilled: 0 })
  })
})

describe('calibration', () => {
  let ctx: TestContext
  let who: Owner
  beforeAll(async () => {
    ctx = await createTestContext()
    who = await owner(ctx, 'calibration')
  })
  afterAll(async () => {
    await ctx.close()
  })

  /** 60 calls 30 h ago, each $0.001 charged 0.11 credits at the live rate, and 20 holds charged a fifth of what they held. */
  const seedWindow = async () => {
    const rate = await liveRate(ctx)
    await insertCalls(
      ctx,
      who,
      Array.from({ length: 60 }, () => ({
        modelId: 'openai:gpt-4o-mini',
        inputTokens: 1000,
        outputTokens: 1000,
        costUsdMicro: 1000n,
        charged: 110_000n,
        shadowCharged: 110_000n,
        rateId: rate.id,
        createdAt: ago(30 * HOUR),
      })),
    )
    await ctx.container.db
      .insertInto('creditHolds')
      .values(
        Array.from({ length: 20 }, (_, i) => ({
          id: newId('hold'),
          workspaceId: who.workspaceId,
          requestId: `cal-hold-${randomBytes(6).toString('hex')}-${i}`,
          surface: 'v1',
          modelId: 'openai:gpt-4o-mini',
          streaming: false,
          inputTokens: 0,
          paramsHash: '',
          amount: 1_000_000n,
          charged: 200_000n,
          status: 'settled' as const,
          createdAt: ago(30 * HOUR),
          expiresAt: ago(29 * HOUR),
          resolvedAt: ago(30 * HOUR),
        })),
      )
      .execute()
  }
  const setLive = (marginBps: number, bufferBps: number) =>
    ctx.container.credits.book.setRate(ctx.container.db, {
      scope: 'live',
      usdMicroPerCredit: 10_000n,
      marginBps,
      bufferBps,
      note: 'test',
    })

  it('refuses to apply with 409 when the window has too few calls, and keeps the live rate', async () => {
    // The last hour is empty: the windows seeded below lie 30 hours back.
    const before = await liveRate(ctx)

    const proposal = await call(ctx.app, 'GET', '/api/billing/calibration-proposal?window_hours=1', OP)
    const res = await call(ctx.app, 'POST', '/api/billing/calibration-apply', OP, { window_hours: 1 })

    expect(proposal.json()).toMatchObject({
      sufficient: false,
      sample: { calls: 0 },
      confidence: { score: 0, level: 'low' },
    })
    expect(proposal.json().reasons).toHaveLength(2)
    expect(res.statusCode).toBe(409)
    expect(res.json().error.code).toBe('billing.insufficient_data')
    expect((await liveRate(ctx)).id).toBe(before.id)
  })

  it('limits each change to ±50 % and never proposes a margin under the floor', async () => {
    await setLive(1000, 2500)
    await seedWindow()

    const res = await call(ctx.app, 'GET', '/api/billing/calibration-proposal?window_hours=48', OP)

    expect(res.statusCode).toBe(200)
    const p = res.json()
    expect(p.current).toMatchObject({ usdPerCredit: 0.01, marginPercent: 10, bufferPercent: 25 })
    // 40 % realised margin needs a 66.67 % markup: more than +50 % of 10 %, but the floor wins.
    expect(p.proposed).toEqual({ usdPerCredit: 0.01, marginPercent: 66.67, bufferPercent: 12.5 })
    expect(p.guardrails.map((g: { name: string; field: string }) => `${g.name}:${g.field}`)).toEqual([
      'max_step:marginPercent',
      'margin_floor:marginPercent',
      'max_step:bufferPercent',
    ])
    expect(p.observed).toMatchObject({
      costFactor: 1,
      costBasis: 'recorded',
      holdChargeRatioP95: 0.2,
      pricedCostUsdMicro: 60_000,
      revenueUsdMicro: 66_000,
    })
    expect(p.observed.realisedMarginPercent).toBeCloseTo(9.0909, 3)
    expect(p).toMatchObject({
      sufficient: true,
      floorMarginPercent: 40,
      targetMarginPercent: 40,
      sample: { calls: 60, coveredCalls: 60, coverage: 1, settledHolds: 20 },
    })
  })

  it('applies a sufficient proposal as a new live rate version, audited', async () => {
    await setLive(1000, 2500)
    await seedWindow()
    const before = await liveRate(ctx)

    const res = await call(ctx.app, 'POST', '/api/billing/calibration-apply', OP, {
      window_hours: 48,
      note: 'first calibration',
    })

    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({
      scope: 'live',
      usdPerCredit: 0.01,
      marginPercent: 66.67,
      bufferPercent: 12.5,
      note: 'first calibration',
      validTo: null,
    })
    const rates = await ctx.container.db
      .selectFrom('creditRates')
      .select(['id', 'validTo'])
      .where('id', 'in', [before.id, res.json().id])
      .execute()
    expect(rates.find((r) => r.id === before.id)?.validTo).toBeInstanceOf(Date)
    expect((await liveRate(ctx)).id).toBe(res.json().id)
    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .selectAll()
      .where('action', '=', 'billing.rate_calibrated')
      .execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ workspaceId: null, targetType: 'credit_rate', targetId: res.json().id })
    expect(audit[0]!.metadata).toMatchObject({ previousRateId: before.id, windowHours: 48 })
  })
})

describe('provider cost imports', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(async () => {
    await ctx.close()
  })

  const counts = async () => ({
    imports: (await ctx.container.db.selectFrom('providerCostImports').select('id').execute()).length,
    rows: (await ctx.container.db.selectFrom('providerCosts').select('day').execute()).length,
  })
  const yesterday = dayOf(ago(24 * HOUR))

  it('refuses a CSV with bad rows with 400 and their line numbers, and stores nothing', async () => {
    const csv = [
      'date,model,cost_usd,input_tokens',
      `${yesterday},gpt-4o-mini,1.25,1000`,
      '2026-02-30,gpt-4o-mini,1.00,',
      `${yesterday},gpt-4.1,-3,`,
      `${yesterday},gpt-4o-mini,0.5,10`,
      `${yesterday},anthropic:claude-haiku-4-5,1,many`,
    ].join('\n')

    const res = await call(ctx.app, 'POST', '/api/operator/reconciliation/imports', OP, { provider: 'openai', csv })

    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('billing.invalid_csv')
    expect(res.json().error.details.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 6, 6])
    expect(res.json().error.details.errors[2].message).toContain('line 2')
    expect(await counts()).toEqual({ imports: 0, rows: 0 })
  })

  it('refuses a header without the required columns or with unknown ones', async () => {
    const res = await call(ctx.app, 'POST', '/api/operator/reconciliation/imports', OP, {
      provider: 'openai',
      csv: `day,model,cost\n${yesterday},gpt-4o-mini,1`,
    })

    expect(res.statusCode).toBe(400)
    expect(res.json().error.details.errors.every((e: { line: number }) => e.line === 1)).toBe(true)
    expect(await counts()).toEqual({ imports: 0, rows: 0 })
  })

  it('stores a valid import, and a re-import of the same day and model as a new version beside the old one', async () => {
    const first = await call(ctx.app, 'POST', '/api/operator/reconciliation/imports', OP, {
      provider: 'openai',
      csv: `model,date,cost_usd,output_tokens\r\n"gpt-4o-mini",${yesterday},1.2345675,20\r\nopenai:gpt-4.1,${yesterday},2,\r\n`,
    })
    const second = await call(ctx.app, 'POST', '/api/operator/reconciliation/imports', OP, {
      provider: 'openai',
      csv: `date,model,cost_usd\n${yesterday},gpt-4o-mini,1.50`,
    })

    expect(first.statusCode).toBe(201)
    expect(first.json()).toMatchObject({
      provider: 'openai',
      lines: 2,
      replaced: 0,
      days: [yesterday],
      totalCostUsdMicro: 3_234_568,
    })
    expect(second.json()).toMatchObject({ lines: 1, replaced: 1, totalCostUsdMicro: 1_500_000 })
    const rows = await ctx.container.db
      .selectFrom('providerCosts')
      .select(['modelId', 'version', 'costUsdMicro', 'outputTokens'])
      .orderBy('modelId')
      .orderBy('version')
      .execute()
    expect(rows).toEqual([
      { modelId: 'openai:gpt-4.1', version: 1, costUsdMicro: 2_000_000n, outputTokens: null },
      { modelId: 'openai:gpt-4o-mini', version: 1, costUsdMicro: 1_234_568n, outputTokens: 20n },
      { modelId: 'openai:gpt-4o-mini', version: 2, costUsdMicro: 1_500_000n, outputTokens: null },
    ])
  })
})

describe('reconciliation', () => {
  let ctx: TestContext
  let hook: Server
  const received: { headers: IncomingHttpHeaders; body: Record<string, unknown> | undefined }[] = []
  const day = dayOf(ago(72 * HOUR))
  const at = (hour: number) => new Date(`${day}T${String(hour).padStart(2, '0')}:00:00.000Z`)
  let run: Record<string, unknown> & {
    id: string
    alerts: { id: string; kind: string; modelId: string | null }[]
    deltas: unknown[]
  }

  beforeAll(async () => {
    hook = createServer(async (req, res) => {
      received.push({ headers: req.headers, body: await readBody(req) })
      json(res, 200, { ok: true })
    })
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
    ctx = await createTestContext({
      BILLING_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/billing-alerts`,
    })
    const who = await owner(ctx, 'reconcile')
    const rate = await liveRate(ctx)
    // Ten $0.10 calls charged 20 credits each ($0.20 at $0.01 a credit), one unpriced model, one call the day after.
    await insertCalls(ctx, who, [
      ...Array.from({ length: 10 }, (_, i) => ({
        modelId: 'openai:gpt-4o-mini',
        inputTokens: 1000,
        outputTokens: 200,
        costUsdMicro: 100_000n,
        charged: 20_000_000n,
        rateId: rate.id,
        createdAt: at(i + 1),
      })),
      { modelId: 'acme:unpriced', inputTokens: 500, outputTokens: 50, createdAt: at(12) },
      {
        modelId: 'openai:gpt-4o-mini',
        inputTokens: 1,
        outputTokens: 1,
        costUsdMicro: 5_000_000n,
        charged: 1n,
        rateId: rate.id,
        createdAt: new Date(at(0).getTime() + 25 * HOUR),
      },
    ])
    const imported = await call(ctx.app, 'POST', '/api/operator/reconciliation/imports', OP, {
      provider: 'openai',
      csv: `date,model,cost_usd\n${day},gpt-4o-mini,1.50`,
    })
    expect(imported.statusCode).toBe(201)
    const res = await call(ctx.app, 'POST', '/api/operator/reconciliation/run', OP, { date: day })
    expect(res.statusCode).toBe(201)
    run = res.json()
  })
  afterAll(async () => {
    await ctx.close()
    await new Promise((resolve) => hook.close(resolve))
  })

  it('compares the imported invoice with recorded cost per model, and computes the margin on the invoice', () => {
    expect(run).toMatchObject({
      day,
      trigger: 'operator',
      calls: 11,
      recordedCostUsdMicro: 1_000_000,
      importedCostUsdMicro: 1_500_000,
      providerCostUsdMicro: 1_500_000,
      charged: 200_000_000,
      revenueUsdMicro: 2_000_000,
      marginPercent: 25,
      targetMarginPercent: 40,
    })
    expect(run.deltas).toEqual([
      {
        modelId: 'acme:unpriced',
        provider: 'acme',
        calls: 1,
        inputTokens: 500,
        outputTokens: 50,
        recordedUsdMicro: 0,
        importedUsdMicro: null,
        deltaUsdMicro: null,
        importId: null,
      },
      expect.objectContaining({
        modelId: 'openai:gpt-4o-mini',
        provider: 'openai',
        calls: 10,
        recordedUsdMicro: 1_000_000,
        importedUsdMicro: 1_500_000,
        deltaUsdMicro: 500_000,
      }),
    ])
  })

  it('raises an alert for a margin under the target and for tokens without a cost, each with an audit event', async () => {
    expect(run.alerts.map((a) => [a.kind, a.modelId])).toEqual([
      ['margin_below_target', null],
      ['cost_missing', 'acme:unpriced'],
    ])
    const audit = await ctx.container.db
      .selectFrom('auditEvents')
      .select(['workspaceId', 'targetId', 'metadata'])
      .where('action', '=', 'billing.alert')
      .orderBy('seq')
      .execute()
    expect(audit.map((a) => a.targetId)).toEqual(run.alerts.map((a) => a.id))
    expect(audit[0]).toMatchObject({ workspaceId: null, metadata: { kind: 'margin_below_target', day } })
  })

  it("lists each alert on the operator's alert list", async () => {
    const res = await call(ctx.app, 'GET', '/api/operator/alerts', OP)

    expect(res.statusCode, res.body).toBe(200)
    const items = res.json().items as { kind: string; workspaceId: string | null; data: { billingAlertId: string } }[]
    expect(items.map((a) => a.data.billingAlertId).sort()).toEqual(run.alerts.map((a) => a.id).sort())
    expect(items.every((a) => a.kind === 'margin' && a.workspaceId === null)).toBe(true)
    expect((await call(ctx.app, 'GET', '/api/operator/alerts')).statusCode).toBe(401)
  })

  it('reports the margin and the alerts on /metrics', async () => {
    const res = await call(ctx.app, 'GET', '/metrics', OP)

    expect(res.body).toContain(`camarad_billing_margin_ratio{day="${day}"} 0.25`)
    expect(res.body).toContain('camarad_billing_alerts_total{kind="margin_below_target"} 1')
    expect(res.body).toContain('camarad_billing_alerts_total{kind="cost_missing"} 1')
  })

  it('posts each alert to the webhook from its job, once, with the alert id as idempotency key', async () => {
    const jobs = await ctx.container.queue.boss.findJobs<{ alertId: string }>('billing.notify-alert')
    expect(jobs.map((j) => j.data.alertId).sort()).toEqual(run.alerts.map((a) => a.id).sort())

    await ctx.container.queue.work(ctx.container.jobs.filter((j) => j.name === 'billing.notify-alert'))
    const deadline = Date.now() + 20_000
    while (received.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))

    expect(received.map((r) => r.headers['idempotency-key']).sort()).toEqual(run.alerts.map((a) => a.id).sort())
    expect(received.find((r) => r.body?.kind === 'margin_below_target')?.body).toMatchObject({
      type: 'billing.alert',
      day,
      runId: run.id,
    })
    const notified = async () =>
      (
        await ctx.container.db.selectFrom('billingAlerts').select('notifiedAt').where('runId', '=', run.id).execute()
      ).every((a) => a.notifiedAt)
    while (!(await notified()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await notified()).toBe(true)
  })

  it('lists recent runs with their deltas and alerts', async () => {
    const res = await call(ctx.app, 'GET', `/api/operator/reconciliation?day=${day}`, OP)

    expect(res.statusCode).toBe(200)
    expect(res.json().runs[0]).toMatchObject({ id: run.id, deltas: run.deltas, alerts: expect.any(Array) })
  })

  it('reconciles a day once from the nightly job, however often it runs', async () => {
    const job = ctx.container.jobs.find((j) => j.name === 'billing.reconcile') as JobDefinition

    await job.handler({ date: day })
    await job.handler({ date: day })

    const runs = await ctx.container.db
      .selectFrom('reconciliationRuns')
      .select('trigger')
      .where('day', '=', day)
      .execute()
    expect(runs.map((r) => r.trigger).sort()).toEqual(['cron', 'operator'])
  })

  it('refuses to reconcile a day in the future', async () => {
    const res = await call(ctx.app, 'POST', '/api/operator/reconciliation/run', OP, {
      date: dayOf(new Date(Date.now() + 48 * HOUR)),
    })

    expect(res.statusCode).toBe(400)
    expect(res.json().error.code).toBe('billing.invalid_date')
  })
})
