import { createHash } from 'node:crypto'
import type { AdsReportQuery, AnalyticsReportQuery } from '../../../contracts/connectors.ts'
import { SCALE, fromMillionths, ratio } from './decimal.ts'
import { metricsOf, type Sums } from './google-ads.ts'
import { DEFAULT_FUNNEL } from './google-analytics.ts'
import type { Range } from './report-range.ts'

/**
 * Demo data (issue 15 §4, ADR 0007 §9): sample Google Ads and GA4 figures for a client without a live connection,
 * served only when the operator turns CONNECTORS_DEMO_DATA on, and always labelled `demo: true`. Every figure is
 * drawn per client, entity and day from a hash (no state, no randomness), then summed over the range like Google
 * sums days: the same client and range always give the same numbers, and a previous period is just another range.
 */

/** A number in [0, 1) fixed by its parts. */
const draw = (...parts: string[]) => createHash('sha256').update(parts.join('|')).digest().readUIntBE(0, 6) / 2 ** 48
const between = (lo: number, hi: number, ...parts: string[]) => lo + (hi - lo) * draw(...parts)

const DAY_MS = 86_400_000
const daysOf = (r: Range) => {
  const out: string[] = []
  for (let t = Date.parse(`${r.from}T00:00:00Z`); t <= Date.parse(`${r.to}T00:00:00Z`); t += DAY_MS)
    out.push(new Date(t).toISOString().slice(0, 10))
  return out
}
/** Fewer people on weekends, as most small businesses see. */
const weekday = (date: string) => ([0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay()) ? 0.78 : 1)

// ---- Google Ads ----

type AdGroup = { id: string; name: string; campaign: Campaign; keywords: string[] }
type Campaign = { id: string; name: string; search: boolean }
const CAMPAIGNS: (Campaign & { groups: [string, string[]][] })[] = [
  {
    id: '20001',
    name: 'Brand – Search',
    search: true,
    groups: [
      ['Brand name', ['brand name', 'brand name shop', 'brand name reviews']],
      ['Brand + product', ['brand name cakes', 'brand name delivery']],
    ],
  },
  {
    id: '20002',
    name: 'Generic – Search',
    search: true,
    groups: [
      ['Core products', ['custom cakes', 'birthday cake order', 'wedding cake']],
      ['Local intent', ['bakery near me', 'cake delivery today', 'fresh pastries city centre']],
    ],
  },
  { id: '20003', name: 'Performance Max', search: false, groups: [['All products', []]] },
  { id: '20004', name: 'Remarketing – Display', search: false, groups: [['Cart abandoners', []]] },
]
const AD_GROUPS: AdGroup[] = CAMPAIGNS.flatMap((c, ci) =>
  c.groups.map(([name, keywords], gi) => ({ id: `3000${ci}${gi}`, name, campaign: c, keywords })),
)

const zero = (): Sums => ({ impressions: 0n, clicks: 0n, costMicros: 0n, conversions: 0n, value: 0n })
const add = (a: Sums, b: Sums): Sums => ({
  impressions: a.impressions + b.impressions,
  clicks: a.clicks + b.clicks,
  costMicros: a.costMicros + b.costMicros,
  conversions: a.conversions + b.conversions,
  value: a.value + b.value,
})

/** One day of one entity: impressions, clicks at its CTR, cost at its CPC (whole cents), conversions in tenths. */
const adsDay = (client: string, key: string, search: boolean, date: string, scale: number): Sums => {
  const level = between(300, 2800, client, key, 'level') * scale
  const impressions = Math.round(level * weekday(date) * between(0.75, 1.25, client, key, date, 'i'))
  const ctr = search ? between(0.03, 0.09, client, key, 'ctr') : between(0.004, 0.012, client, key, 'ctr')
  const clicks = Math.round(impressions * ctr * between(0.85, 1.15, client, key, date, 'c'))
  const cpcCents = Math.round(between(30, 240, client, key, 'cpc') * between(0.9, 1.1, client, key, date, 'p'))
  const cvr = between(0.02, 0.08, client, key, 'cvr')
  const conversionTenths = Math.round(clicks * cvr * between(0.6, 1.4, client, key, date, 'v') * 10)
  const orderCents = Math.round(between(2500, 12000, client, key, 'aov'))
  return {
    impressions: BigInt(impressions),
    clicks: BigInt(clicks),
    costMicros: BigInt(clicks * cpcCents) * 10_000n,
    conversions: BigInt(conversionTenths) * (SCALE / 10n),
    // Value in millionths: conversions × order value, to the cent.
    value: BigInt(conversionTenths) * BigInt(orderCents) * 1_000n,
  }
}
const sumDays = (r: Range, day: (date: string) => Sums) => daysOf(r).reduce((s, d) => add(s, day(d)), zero())

/** A demo Ads report: the same shape as the Ads adapter's (rows with exact metrics, totals, currency). */
export const demoAdsReport = (clientId: string, kind: AdsReportQuery['kind'], range: Range) => {
  const groupSums = (g: AdGroup) =>
    sumDays(range, (d) => adsDay(clientId, g.id, g.campaign.search, d, g.campaign.search ? 1 : 2))
  let rows: { id: string; name: string; status: string | null; parent: string | null; sums: Sums }[]
  if (kind === 'campaigns')
    rows = CAMPAIGNS.map((c) => ({
      id: c.id,
      name: c.name,
      status: 'ENABLED',
      parent: null,
      sums: AD_GROUPS.filter((g) => g.campaign.id === c.id).reduce((s, g) => add(s, groupSums(g)), zero()),
    }))
  else if (kind === 'adgroups')
    rows = AD_GROUPS.map((g) => ({
      id: g.id,
      name: g.name,
      status: 'ENABLED',
      parent: g.campaign.name,
      sums: groupSums(g),
    }))
  else
    rows = AD_GROUPS.flatMap((g) =>
      g.keywords.map((text, i) => ({
        id: `${g.id}${i}`,
        name: `${text} (PHRASE)`,
        status: 'ENABLED',
        parent: g.name,
        sums: sumDays(range, (d) => adsDay(clientId, `${g.id}:${text}`, true, d, 0.35)),
      })),
    )
  rows.sort((a, b) => (b.sums.costMicros > a.sums.costMicros ? 1 : b.sums.costMicros < a.sums.costMicros ? -1 : 0))
  return {
    rows: rows.map(({ sums, ...row }) => ({ ...row, metrics: metricsOf(sums) })),
    totals: metricsOf(rows.reduce((s, r) => add(s, r.sums), zero())),
    currency: 'EUR',
  }
}

// ---- GA4 ----

type Kind = AnalyticsReportQuery['kind']
const PAGES = ['/', '/products', '/products/custom-cakes', '/products/pastries', '/about', '/contact', '/blog/recipes']
const SOURCES = [
  'google / organic',
  '(direct) / (none)',
  'google / cpc',
  'facebook.com / referral',
  'newsletter / email',
  'bing / organic',
]
const AUDIENCES = ['All Users', 'Purchasers', 'Returning visitors', 'Engaged users', 'Cart abandoners']
const EVENTS = ['page_view', 'session_start', 'user_engagement', 'first_visit', 'scroll', ...DEFAULT_FUNNEL.slice(1)]

/** A day's visitors: the client's own level, fewer on weekends, and the day's noise. */
const usersOn = (client: string, date: string) =>
  between(80, 1400, client, 'ga', 'level') * weekday(date) * between(0.8, 1.2, client, 'ga', date)

const whole = (n: number) => BigInt(Math.round(n)) * SCALE
const cents = (n: number) => BigInt(Math.round(n * 100)) * (SCALE / 100n)
type Figures = Record<string, bigint>
const sumFigures = (days: Figures[], names: string[]) =>
  Object.fromEntries(names.map((m) => [m, days.reduce((s, f) => s + (f[m] ?? 0n), 0n)]))
const strings = (f: Figures) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, fromMillionths(v)]))

const METRICS: Record<Exclude<Kind, 'funnel'>, string[]> = {
  overview: ['activeUsers', 'newUsers', 'sessions', 'engagedSessions', 'screenPageViews', 'keyEvents', 'totalRevenue'],
  pages: ['screenPageViews', 'activeUsers', 'userEngagementDuration'],
  sources: ['sessions', 'activeUsers', 'engagedSessions', 'keyEvents'],
  events: ['eventCount', 'totalUsers'],
  audience: ['activeUsers', 'newUsers', 'sessions', 'keyEvents'],
}

/** One day of one dimension value (or of the whole property, for the overview). */
const gaDay = (client: string, kind: Exclude<Kind, 'funnel'>, value: string, date: string, share: number): Figures => {
  const n = (lo: number, hi: number, what: string) => between(lo, hi, client, kind, value, what)
  const jitter = between(0.85, 1.15, client, kind, value, date)
  const users = usersOn(client, date) * share * jitter
  const sessions = users * n(1.15, 1.5, 'sessions')
  const keyEvents = sessions * n(0.01, 0.04, 'key')
  if (kind === 'overview')
    return {
      activeUsers: whole(users),
      newUsers: whole(users * n(0.55, 0.8, 'new')),
      sessions: whole(sessions),
      engagedSessions: whole(sessions * n(0.5, 0.72, 'engaged')),
      screenPageViews: whole(sessions * n(2, 4, 'views')),
      keyEvents: whole(keyEvents),
      totalRevenue: cents(Math.round(keyEvents) * n(25, 120, 'order')),
    }
  if (kind === 'pages') {
    const views = users * n(1.2, 2.5, 'views')
    return {
      screenPageViews: whole(views),
      activeUsers: whole(users),
      userEngagementDuration: whole(views * n(20, 90, 'seconds')),
    }
  }
  if (kind === 'sources')
    return {
      sessions: whole(sessions),
      activeUsers: whole(users),
      engagedSessions: whole(sessions * n(0.45, 0.75, 'engaged')),
      keyEvents: whole(keyEvents),
    }
  if (kind === 'audience')
    return {
      activeUsers: whole(users),
      newUsers: whole(users * n(0.2, 0.7, 'new')),
      sessions: whole(sessions),
      keyEvents: whole(keyEvents),
    }
  return { eventCount: whole(users * n(1.1, 3, 'count')), totalUsers: whole(users) }
}

/** Each dimension value's share of the visitors, fixed per client (normalised, so the shares sum to one). */
const sharesOf = (client: string, kind: string, values: string[]) => {
  const weights = values.map((v, i) => between(0.3, 1, client, kind, v, 'share') / (i + 1))
  const sum = weights.reduce((a, b) => a + b, 0)
  return weights.map((w) => w / sum)
}

/**
 * Each event's users as a share of the day's visitors, in the order listed: every step keeps 30–70 % of the one
 * before (with the days' jitter at most ±15 %, a step never outgrows the one before it).
 */
const eventShares = (client: string, events: string[]) => {
  let share = 1
  return events.map((e, i) => (i === 0 ? share : (share *= between(0.3, 0.7, client, 'events', e, 'step'))))
}

/** A demo GA4 report: the same shape as the GA4 adapter's (rows, totals, the funnel for `funnel`). */
export const demoAnalyticsReport = (clientId: string, kind: Kind, range: Range, steps = DEFAULT_FUNNEL) => {
  const days = daysOf(range)
  if (kind === 'overview') {
    const rows = days.map((d) => ({
      dimensions: { date: d.replace(/-/g, '') },
      figures: gaDay(clientId, 'overview', '', d, 1),
    }))
    return {
      rows: rows.map((r) => ({ dimensions: r.dimensions, metrics: strings(r.figures) })),
      totals: strings(
        sumFigures(
          rows.map((r) => r.figures),
          METRICS.overview,
        ),
      ),
      funnel: null,
    }
  }
  const listed =
    kind === 'funnel'
      ? steps
      : kind === 'events'
        ? EVENTS
        : kind === 'pages'
          ? PAGES
          : kind === 'audience'
            ? AUDIENCES
            : SOURCES
  const source = kind === 'funnel' ? 'events' : kind
  const dimension =
    source === 'pages'
      ? 'pagePath'
      : source === 'sources'
        ? 'sessionSourceMedium'
        : source === 'audience'
          ? 'audienceName'
          : 'eventName'
  const shares = source === 'events' ? eventShares(clientId, listed) : sharesOf(clientId, source, listed)
  const rows = listed.map((value, i) => ({
    dimensions: { [dimension]: value },
    figures: sumFigures(
      days.map((d) => gaDay(clientId, source, value, d, shares[i]!)),
      METRICS[source],
    ),
  }))
  const sortBy = METRICS[source][0]!
  if (kind !== 'funnel') rows.sort((a, b) => (b.figures[sortBy]! > a.figures[sortBy]! ? 1 : -1))
  const result = {
    rows: rows.map((r) => ({ dimensions: r.dimensions, metrics: strings(r.figures) })),
    totals: strings(
      sumFigures(
        rows.map((r) => r.figures),
        METRICS[source],
      ),
    ),
  }
  if (kind !== 'funnel') return { ...result, funnel: null }
  // The funnel reads each step's users in step order, as the GA4 adapter does from the events report.
  const funnel = rows.map((r, i) => {
    const users = r.figures.totalUsers!
    const before = i === 0 ? undefined : rows[i - 1]!.figures.totalUsers!
    return {
      event: String(r.dimensions.eventName),
      users: fromMillionths(users),
      fromPrevious: before === undefined ? null : ratio(users, before),
    }
  })
  return { ...result, funnel }
}
