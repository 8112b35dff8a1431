import type { AdsMetrics, AdsReportQuery } from '../../../contracts/connectors.ts'
import { SCALE, divRound, fromMillionths, ratio, toInt, toMillionths } from './decimal.ts'
import { GoogleApiError, googleJson, mapGoogleError } from './google-http.ts'
import type { Range } from './report-range.ts'
import type { Tokens } from './tokens.ts'

export type AdsSettings = { base: string; version: string; developerToken?: string }
type Row = Record<string, Record<string, unknown> | undefined>

const METRICS =
  'metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, metrics.conversions_value, ' +
  'metrics.ctr, metrics.average_cpc'

/** One GAQL query per report kind; the range is checked ISO dates, so it is safe inside the query's quotes. */
const QUERIES: Record<AdsReportQuery['kind'], (r: Range) => string> = {
  campaigns: (r) =>
    `SELECT campaign.id, campaign.name, campaign.status, customer.currency_code, ${METRICS} FROM campaign ` +
    `WHERE segments.date BETWEEN '${r.from}' AND '${r.to}' ORDER BY metrics.cost_micros DESC`,
  adgroups: (r) =>
    `SELECT ad_group.id, ad_group.name, ad_group.status, campaign.name, customer.currency_code, ${METRICS} ` +
    `FROM ad_group WHERE segments.date BETWEEN '${r.from}' AND '${r.to}' ORDER BY metrics.cost_micros DESC`,
  keywords: (r) =>
    'SELECT ad_group_criterion.criterion_id, ad_group_criterion.keyword.text, ' +
    'ad_group_criterion.keyword.match_type, ad_group_criterion.status, ad_group.name, customer.currency_code, ' +
    `${METRICS} FROM keyword_view WHERE segments.date BETWEEN '${r.from}' AND '${r.to}' ` +
    'ORDER BY metrics.cost_micros DESC',
}

/** The GAQL of a report kind over a checked range. */
export const adsQuery = (kind: AdsReportQuery['kind'], range: Range) => QUERIES[kind](range)

const str = (v: unknown) => (v === undefined || v === null ? null : String(v))

/** Each kind's row: which resource names it, and its parent for context. */
const identify: Record<
  AdsReportQuery['kind'],
  (r: Row) => { id: string; name: string; status: string | null; parent: string | null }
> = {
  campaigns: (r) => ({
    id: String(r.campaign?.id ?? ''),
    name: String(r.campaign?.name ?? ''),
    status: str(r.campaign?.status),
    parent: null,
  }),
  adgroups: (r) => ({
    id: String(r.adGroup?.id ?? ''),
    name: String(r.adGroup?.name ?? ''),
    status: str(r.adGroup?.status),
    parent: str(r.campaign?.name),
  }),
  keywords: (r) => {
    const c = r.adGroupCriterion as {
      criterionId?: string
      status?: string
      keyword?: { text?: string; matchType?: string }
    }
    return {
      id: String(c?.criterionId ?? ''),
      name: `${c?.keyword?.text ?? ''}${c?.keyword?.matchType ? ` (${c.keyword.matchType})` : ''}`,
      status: str(c?.status),
      parent: str(r.adGroup?.name),
    }
  },
}

/** Sums in integers: impressions, clicks and cost micros are int64 strings, conversions millionths. */
export type Sums = { impressions: bigint; clicks: bigint; costMicros: bigint; conversions: bigint; value: bigint }
const zero = (): Sums => ({ impressions: 0n, clicks: 0n, costMicros: 0n, conversions: 0n, value: 0n })
const sumsOf = (m: Record<string, unknown> | undefined): Sums => ({
  impressions: toInt(m?.impressions),
  clicks: toInt(m?.clicks),
  costMicros: toInt(m?.costMicros),
  conversions: toMillionths(m?.conversions),
  value: toMillionths(m?.conversionsValue),
})
const add = (a: Sums, b: Sums): Sums => ({
  impressions: a.impressions + b.impressions,
  clicks: a.clicks + b.clicks,
  costMicros: a.costMicros + b.costMicros,
  conversions: a.conversions + b.conversions,
  value: a.value + b.value,
})
/** The figures shown, derived from the sums (so a total's CTR and CPA are the totals', not averages of rows). */
export const metricsOf = (s: Sums): AdsMetrics => ({
  impressions: s.impressions.toString(),
  clicks: s.clicks.toString(),
  costMicros: s.costMicros.toString(),
  conversions: fromMillionths(s.conversions),
  conversionsValue: fromMillionths(s.value),
  ctr: ratio(s.clicks, s.impressions),
  averageCpcMicros: s.clicks === 0n ? null : divRound(s.costMicros, s.clicks).toString(),
  // Conversions are millionths: cost × 10⁶ / conversions keeps the CPA in micros.
  cpaMicros: s.conversions === 0n ? null : divRound(s.costMicros * SCALE, s.conversions).toString(),
  // The value in millionths of the currency is its micros: value / cost is a plain ratio.
  roas: ratio(s.value, s.costMicros),
})

/** Google Ads over REST (no gRPC client): accessible customers, manager children, searchStream. */
export const createGoogleAds = ({ settings, tokens }: { settings: AdsSettings; tokens: Pick<Tokens, 'withToken'> }) => {
  const api = `${settings.base.replace(/\/$/, '')}/${settings.version}`
  const headers = (loginCustomerId: string | null) => ({
    ...(settings.developerToken ? { 'developer-token': settings.developerToken } : {}),
    ...(loginCustomerId ? { 'login-customer-id': loginCustomerId } : {}),
  })

  /** searchStream: the answer is a JSON array of batches, each with its `results`. */
  const search = (connectionId: string, customerId: string, loginCustomerId: string | null, query: string) =>
    tokens.withToken(connectionId, async (accessToken) => {
      const batches = await googleJson(`${api}/customers/${customerId}/googleAds:searchStream`, {
        method: 'POST',
        accessToken,
        headers: headers(loginCustomerId),
        body: { query },
      })
      if (!Array.isArray(batches))
        throw new GoogleApiError(502, 'BAD_RESPONSE', 'searchStream did not answer an array', [], undefined)
      return batches.flatMap((b: { results?: Row[] }) => b.results ?? [])
    })

  return {
    search,

    /** Every account the login reaches: each accessible customer, and a manager's direct children through it. */
    async accounts(connectionId: string) {
      const listed = (await tokens
        .withToken(connectionId, (accessToken) =>
          googleJson(`${api}/customers:listAccessibleCustomers`, { accessToken, headers: headers(null) }),
        )
        .catch((err: unknown) => {
          throw mapGoogleError(err)
        })) as { resourceNames?: string[] }
      const ids = (listed.resourceNames ?? [])
        .map((n) => n.replace(/^customers\//, ''))
        .filter((id) => /^\d+$/.test(id))
      const items = new Map<
        string,
        {
          customerId: string
          name: string | null
          manager: boolean
          currency: string | null
          timeZone: string | null
          loginCustomerId: string | null
          level: number
        }
      >()
      const unavailable: { customerId: string; code: string; message: string }[] = []
      const query =
        'SELECT customer_client.id, customer_client.descriptive_name, customer_client.manager, ' +
        'customer_client.level, customer_client.currency_code, customer_client.time_zone, customer_client.status ' +
        'FROM customer_client WHERE customer_client.level <= 1'
      await Promise.all(
        ids.map(async (root) => {
          try {
            for (const r of await search(connectionId, root, root, query)) {
              const c = r.customerClient as Record<string, unknown>
              const id = String(c.id ?? '')
              const level = Number(c.level ?? 0)
              const entry = {
                customerId: id,
                name: str(c.descriptiveName),
                manager: c.manager === true,
                currency: str(c.currencyCode),
                timeZone: str(c.timeZone),
                loginCustomerId: level === 0 ? null : root,
                level,
              }
              // Direct access wins over access through a manager.
              const known = items.get(id)
              if (!known || (known.loginCustomerId !== null && entry.loginCustomerId === null)) items.set(id, entry)
            }
          } catch (err) {
            const mapped = mapGoogleError(err) as Error & { code?: string }
            // What concerns one account is listed with it; what concerns the login or Google itself fails the list.
            const perAccount = [
              'connectors.permission_denied',
              'connectors.customer_not_enabled',
              'connectors.google_failed',
            ]
            if (!mapped.code || !perAccount.includes(mapped.code)) throw mapped
            unavailable.push({ customerId: root, code: mapped.code, message: mapped.message })
          }
        }),
      )
      return {
        items: [...items.values()].sort((a, b) => a.level - b.level || a.customerId.localeCompare(b.customerId)),
        unavailable: unavailable.sort((a, b) => a.customerId.localeCompare(b.customerId)),
      }
    },

    /** One report kind over a range: rows with their exact figures and the totals. */
    async report(
      connectionId: string,
      account: { customerId: string; loginCustomerId: string | null },
      kind: AdsReportQuery['kind'],
      range: Range,
    ) {
      const results = await search(
        connectionId,
        account.customerId,
        account.loginCustomerId,
        QUERIES[kind](range),
      ).catch((err: unknown) => {
        throw mapGoogleError(err)
      })
      let totals = zero()
      let currency: string | null = null
      const rows = results.map((r) => {
        const sums = sumsOf(r.metrics)
        totals = add(totals, sums)
        currency ??= str(r.customer?.currencyCode)
        return { ...identify[kind](r), metrics: metricsOf(sums) }
      })
      return { rows, totals: metricsOf(totals), currency }
    },
  }
}
export type GoogleAds = ReturnType<typeof createGoogleAds>
