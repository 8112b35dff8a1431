import { z } from 'zod'
import { AdsReportKind, AnalyticsReportKind, REPORT_PRESETS } from '../../../contracts/connectors.ts'
import { AppError } from '../../platform/http/errors.ts'
import { defineTool } from '../tools/tools.module.ts'
import type { ReportDigests } from './report-digest.ts'

const IsoDate = z.iso.date()
const range = {
  preset: z
    .enum(REPORT_PRESETS)
    .optional()
    .describe('A range ending yesterday (UTC); ignored when from/to are given. Default last_30_days.'),
  from: IsoDate.optional().describe('First day, YYYY-MM-DD.'),
  to: IsoDate.optional().describe('Last day, YYYY-MM-DD (default yesterday).'),
  compare: z.boolean().optional().describe('Also return the totals of the same number of days just before.'),
}

const SETTINGS = "in the client's connectors settings"
/** What the model is told when the client's source cannot be read: plain words, never numbers. */
const unavailable = (source: 'Google Ads' | 'Google Analytics (GA4)', err: AppError) => {
  const says: Record<string, string> = {
    'connectors.not_connected': `${source} is not connected for this client (connect it ${SETTINGS}).`,
    'connectors.reconnect_required':
      `${source} needs to be reconnected for this client: Google no longer accepts the stored access ` +
      `(reconnect it ${SETTINGS}).`,
    'connectors.ads_account_required': `Google is connected for this client but no Google Ads account is picked (pick one ${SETTINGS}).`,
    'connectors.analytics_property_required': `Google is connected for this client but no GA4 property is picked (pick one ${SETTINGS}).`,
  }
  const message = says[err.code]
  return message
    ? { connected: false, status: err.code.replace('connectors.', ''), message }
    : { error: err.code, message: err.message }
}

/** A connectors failure becomes a result the model can relay; anything else is a tool error. */
const answering = async <T>(source: Parameters<typeof unavailable>[0], run: () => Promise<T>) => {
  try {
    return await run()
  } catch (err) {
    if (err instanceof AppError && err.code.startsWith('connectors.')) return unavailable(source, err)
    throw err
  }
}

const CITE =
  'cite the date range and the figures you use (totals, or the row named); say plainly when it is not connected ' +
  'and never estimate numbers instead; when the result has `demo: true`, label every figure you use "Demo data" ' +
  "(sample figures, not the client's real numbers)."

/**
 * `ads_report` and `analytics_report` (issue 15 §6): the conversation's client's Google Ads and GA4 figures — the
 * client comes from the call's scope, never from the model's input (a connection or client id it sends is dropped).
 */
export const connectorsTools = (digests: ReportDigests) => [
  defineTool({
    name: 'ads_report',
    description:
      "This client's Google Ads performance for a date range: totals (impressions, clicks, cost in the account's " +
      'currency, conversions, conversion value, CTR, average CPC, CPA, ROAS), optionally the previous period, and ' +
      'the rows (campaigns, ad groups or keywords) with the highest cost.',
    rule: `pull this client's Google Ads figures before talking about its campaigns, spend, CPC, CPA or ROAS; ${CITE}`,
    input: z.object({ kind: AdsReportKind.optional().describe('Default campaigns.'), ...range }),
    minRole: 'viewer',
    execute: (input, ctx) => answering('Google Ads', () => digests.ads(ctx.scope, input)),
  }),
  defineTool({
    name: 'analytics_report',
    description:
      "This client's Google Analytics 4 figures for a date range: overview (users, sessions, views, key events, " +
      'revenue by day), pages, sources, events, audiences or the purchase funnel; totals, optionally the previous period, and ' +
      'the first rows.',
    rule: `pull this client's GA4 figures before talking about its traffic, sources, pages or conversions; ${CITE}`,
    input: z.object({ kind: AnalyticsReportKind.optional().describe('Default overview.'), ...range }),
    minRole: 'viewer',
    execute: (input, ctx) => answering('Google Analytics (GA4)', () => digests.analytics(ctx.scope, input)),
  }),
]
