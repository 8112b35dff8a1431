import type { AnalyticsReportQuery } from '../../../contracts/connectors.ts'
import { fromMillionths, ratio, toMillionths } from './decimal.ts'
import { googleJson, mapGoogleError } from './google-http.ts'
import type { Range } from './report-range.ts'
import type { Tokens } from './tokens.ts'

/**
 * Where the GA4 Data API (`analyticsdata`) and Admin API (`analyticsadmin`) live. One configured base serves both:
 * their paths do not overlap (`/v1beta/properties/{id}:runReport` and `/v1beta/accountSummaries`), so a fake or a
 * proxy answers both under one origin.
 */
export const analyticsBases = (base: string | undefined) => ({
  data: (base ?? 'https://analyticsdata.googleapis.com').replace(/\/$/, ''),
  admin: (base ?? 'https://analyticsadmin.googleapis.com').replace(/\/$/, ''),
})

export const DEFAULT_FUNNEL = ['session_start', 'view_item', 'add_to_cart', 'begin_checkout', 'purchase']

type Kind = AnalyticsReportQuery['kind']
type Request = {
  dimensions: string[]
  metrics: string[]
  orderBy?: { metric?: string; dimension?: string; desc?: boolean }
  limit?: number
  events?: string[]
}
const REQUESTS: Record<Kind, (steps: string[]) => Request> = {
  overview: () => ({
    dimensions: ['date'],
    metrics: ['activeUsers', 'newUsers', 'sessions', 'engagedSessions', 'screenPageViews', 'keyEvents', 'totalRevenue'],
    orderBy: { dimension: 'date' },
  }),
  pages: () => ({
    dimensions: ['pagePath'],
    metrics: ['screenPageViews', 'activeUsers', 'userEngagementDuration'],
    orderBy: { metric: 'screenPageViews', desc: true },
    limit: 100,
  }),
  sources: () => ({
    dimensions: ['sessionSourceMedium'],
    metrics: ['sessions', 'activeUsers', 'engagedSessions', 'keyEvents'],
    orderBy: { metric: 'sessions', desc: true },
    limit: 100,
  }),
  events: () => ({
    dimensions: ['eventName'],
    metrics: ['eventCount', 'totalUsers'],
    orderBy: { metric: 'eventCount', desc: true },
    limit: 200,
  }),
  funnel: (steps) => ({ dimensions: ['eventName'], metrics: ['eventCount', 'totalUsers'], events: steps }),
  // The property's audiences (GA4's `audienceName`: the audiences users belonged to in the range).
  audience: () => ({
    dimensions: ['audienceName'],
    metrics: ['activeUsers', 'newUsers', 'sessions', 'keyEvents'],
    orderBy: { metric: 'activeUsers', desc: true },
    limit: 100,
  }),
}

/** The runReport body for a request over one range (with GA4's own totals). */
const body = (r: Request, range: Range) => ({
  dateRanges: [{ startDate: range.from, endDate: range.to }],
  dimensions: r.dimensions.map((name) => ({ name })),
  metrics: r.metrics.map((name) => ({ name })),
  metricAggregations: ['TOTAL'],
  keepEmptyRows: false,
  ...(r.limit ? { limit: String(r.limit) } : {}),
  ...(r.orderBy
    ? {
        orderBys: [
          r.orderBy.metric
            ? { metric: { metricName: r.orderBy.metric }, desc: r.orderBy.desc ?? false }
            : { dimension: { dimensionName: r.orderBy.dimension }, desc: r.orderBy.desc ?? false },
        ],
      }
    : {}),
  ...(r.events ? { dimensionFilter: { filter: { fieldName: 'eventName', inListFilter: { values: r.events } } } } : {}),
})

type Value = { value?: string }
type RunReportAnswer = {
  dimensionHeaders?: { name: string }[]
  metricHeaders?: { name: string }[]
  rows?: { dimensionValues?: Value[]; metricValues?: Value[] }[]
  totals?: { metricValues?: Value[] }[]
}

/** Metric values arrive as decimal strings: kept as strings, normalised exactly (`"12.50"` → `"12.5"`). */
const exact = (v: string | undefined) => fromMillionths(toMillionths(v ?? '0'))

/** GA4: properties through the Admin API's account summaries, reports through the Data API's runReport. */
export const createGoogleAnalytics = ({ base, tokens }: { base: string | undefined; tokens: Tokens }) => {
  const bases = analyticsBases(base)
  const call = (connectionId: string, url: string, init: { method?: 'POST'; body?: unknown } = {}) =>
    tokens
      .withToken(connectionId, (accessToken) => googleJson(url, { ...init, accessToken }))
      .catch((err: unknown) => {
        throw mapGoogleError(err)
      })

  const run = async (connectionId: string, propertyId: string, request: Request, range: Range) => {
    const answer = (await call(connectionId, `${bases.data}/v1beta/properties/${propertyId}:runReport`, {
      method: 'POST',
      body: body(request, range),
    })) as RunReportAnswer
    const dims = (answer.dimensionHeaders ?? []).map((h) => h.name)
    const mets = (answer.metricHeaders ?? []).map((h) => h.name)
    const rows = (answer.rows ?? []).map((r) => ({
      dimensions: Object.fromEntries(dims.map((d, i) => [d, r.dimensionValues?.[i]?.value ?? ''])),
      metrics: Object.fromEntries(mets.map((m, i) => [m, exact(r.metricValues?.[i]?.value)])),
    }))
    const sent = answer.totals?.[0]?.metricValues
    // Without GA4's totals (it leaves them out on empty reports), the rows' exact sum.
    const totals = Object.fromEntries(
      mets.map((m, i) => [
        m,
        sent ? exact(sent[i]?.value) : fromMillionths(rows.reduce((sum, r) => sum + toMillionths(r.metrics[m]), 0n)),
      ]),
    )
    return { rows, totals }
  }

  return {
    async properties(connectionId: string) {
      const items: { propertyId: string; name: string; account: string; accountName: string }[] = []
      let pageToken: string | undefined
      for (let page = 0; page < 20; page++) {
        const q = new URLSearchParams({ pageSize: '200', ...(pageToken ? { pageToken } : {}) })
        const answer = (await call(connectionId, `${bases.admin}/v1beta/accountSummaries?${q}`)) as {
          accountSummaries?: {
            account?: string
            displayName?: string
            propertySummaries?: { property?: string; displayName?: string }[]
          }[]
          nextPageToken?: string
        }
        for (const a of answer.accountSummaries ?? [])
          for (const p of a.propertySummaries ?? [])
            items.push({
              propertyId: String(p.property ?? '').replace(/^properties\//, ''),
              name: p.displayName ?? '',
              account: String(a.account ?? '').replace(/^accounts\//, ''),
              accountName: a.displayName ?? '',
            })
        pageToken = answer.nextPageToken || undefined
        if (!pageToken) break
      }
      return { items }
    },

    async report(connectionId: string, propertyId: string, kind: Kind, range: Range, steps = DEFAULT_FUNNEL) {
      const result = await run(connectionId, propertyId, REQUESTS[kind](steps), range)
      if (kind !== 'funnel') return { ...result, funnel: null }
      // A funnel from event steps: each step's users (who sent the event in the range) and the share of the step
      // before. GA4's sequential funnel API is still alpha; this is the events report read in step order.
      const usersOf = new Map(result.rows.map((r) => [r.dimensions.eventName!, toMillionths(r.metrics.totalUsers)]))
      const funnel = steps.map((event, i) => {
        const users = usersOf.get(event) ?? 0n
        const before = i === 0 ? undefined : (usersOf.get(steps[i - 1]!) ?? 0n)
        return { event, users: fromMillionths(users), fromPrevious: before === undefined ? null : ratio(users, before) }
      })
      const rows = steps.flatMap((event) => result.rows.filter((r) => r.dimensions.eventName === event))
      return { rows, totals: result.totals, funnel }
    },
  }
}
export type GoogleAnalytics = ReturnType<typeof createGoogleAnalytics>
