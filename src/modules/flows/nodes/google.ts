import { z } from 'zod'
import { AdsReportKind, AnalyticsReportKind, REPORT_PRESETS } from '../../../../contracts/connectors.ts'
import type { ClientScope } from '../../../platform/http/request-context.ts'
import { AppError } from '../../../platform/http/errors.ts'
import { defineNode, exprOr, fatal, retryable, type NodeType } from '../registry.ts'
import { common, type NodeSpec } from './specs.ts'

type Preset = (typeof REPORT_PRESETS)[number]

const IsoDate = z.iso.date()
const rangeConfig = {
  preset: z
    .enum(REPORT_PRESETS)
    .optional()
    .meta({ title: 'Range', description: 'A range ending yesterday (UTC); ignored when From/To are set.' }),
  from: exprOr(IsoDate).optional().meta({ title: 'From', description: 'YYYY-MM-DD, or an expression.' }),
  to: exprOr(IsoDate)
    .optional()
    .meta({ title: 'To', description: 'YYYY-MM-DD, or an expression (default yesterday).' }),
  compare: z.boolean().default(false).meta({ title: 'Compare with the previous period' }),
}

export const adsReportSpec = {
  type: 'google.ads-report',
  kind: 'action',
  label: 'Ads report',
  description:
    "Reads the client's Google Ads figures for a date range (default the last 30 days). Output: range, currency, " +
    'totals (impressions, clicks, cost, conversions, conversionsValue, ctr, averageCpc, cpa, roas), previous ' +
    '(with Compare), rows (the highest cost first) and rowCount. Fails with connectors.not_connected when the ' +
    'client has no Google connection (with demo data on: sample figures marked demo: true); wire its error port ' +
    'to go on without the figures.',
  icon: 'bar-chart',
  config: z.strictObject({
    kind: AdsReportKind.default('campaigns').meta({ title: 'Report' }),
    ...rangeConfig,
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out', 'error'],
  effect: 'none',
} satisfies NodeSpec

export const analyticsReportSpec = {
  type: 'google.analytics-report',
  kind: 'action',
  label: 'Analytics report',
  description:
    "Reads the client's GA4 figures for a date range (default the last 30 days). Output: range, totals, previous " +
    '(with Compare), rows, rowCount and, for the funnel, its steps. Fails with connectors.not_connected when the ' +
    'client has no Google connection (with demo data on: sample figures marked demo: true); wire its error port ' +
    'to go on without the figures.',
  icon: 'bar-chart',
  config: z.strictObject({
    kind: AnalyticsReportKind.default('overview').meta({ title: 'Report' }),
    ...rangeConfig,
    ...common,
  }),
  inputs: ['in'],
  outputs: ['out', 'error'],
  effect: 'none',
} satisfies NodeSpec

type Query<K> = {
  kind: K
  preset?: Preset | undefined
  from?: string | undefined
  to?: string | undefined
  compare: boolean
}

export type GoogleNodeDeps = {
  stillAllowed(scope: ClientScope): Promise<boolean>
  /** The connectors' compact reports for a client (`connectors.digests`); they throw `connectors.*` errors. */
  ads(scope: ClientScope, q: Query<z.infer<typeof AdsReportKind>>, today: Date): Promise<unknown>
  analytics(scope: ClientScope, q: Query<z.infer<typeof AnalyticsReportKind>>, today: Date): Promise<unknown>
}

/** Connector failures worth another attempt: Google's quota and availability, after Google's delay. */
const RETRYABLE = new Set(['connectors.quota', 'connectors.unavailable'])
const RETRY = { max: 2, baseMs: 5_000, maxMs: 120_000 }
const reading = async <T>(run: () => Promise<T>) => {
  try {
    return await run()
  } catch (err) {
    if (err instanceof AppError && RETRYABLE.has(err.code)) {
      const after = (err.details as { retryAfter?: number } | undefined)?.retryAfter
      throw retryable(err.code, err.message, after ? after * 1000 : undefined)
    }
    // Anything else of the connectors' (not_connected, reconnect_required, range_invalid, …) fails the step as is.
    throw err
  }
}

/**
 * Google Ads and GA4 in flows (issue 15 §9): "Ads report" and "Analytics report" read the run's client's figures
 * through the connectors' public API (wired in the container), never its tables or a connection id from the config.
 * A client without a usable connection fails the step with the connectors' code (`connectors.not_connected`, …).
 */
export const googleNodes = (deps: GoogleNodeDeps): NodeType[] => {
  const guard = async (scope: ClientScope) => {
    // Runs act as the version's publisher: one who lost access to the client reads nothing of it any more.
    if (!(await deps.stillAllowed({ ...scope, role: 'viewer' })))
      throw fatal('flows.publisher_gone', 'The person who published this flow no longer has access to its client.')
  }
  const query = <K>(c: { kind: K; preset?: Preset | undefined; from?: unknown; to?: unknown; compare: boolean }) => ({
    kind: c.kind,
    preset: c.preset,
    from: dateOf(c.from, 'From'),
    to: dateOf(c.to, 'To'),
    compare: c.compare,
  })
  return [
    defineNode({
      ...adsReportSpec,
      retry: RETRY,
      execute: async ({ config, scope, now }) => {
        await guard(scope)
        return { output: await reading(() => deps.ads(scope, query(config), now)) }
      },
    }),
    defineNode({
      ...analyticsReportSpec,
      retry: RETRY,
      execute: async ({ config, scope, now }) => {
        await guard(scope)
        return { output: await reading(() => deps.analytics(scope, query(config), now)) }
      },
    }),
  ]
}

/** An expression's value as an ISO date (empty: not set). */
const dateOf = (v: unknown, field: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined
  const text = v instanceof Date ? v.toISOString().slice(0, 10) : String(v)
  if (!IsoDate.safeParse(text).success)
    throw fatal(
      'flows.config_invalid',
      `${field} must be a date (YYYY-MM-DD); the expression gave "${text.slice(0, 40)}".`,
    )
  return text
}
