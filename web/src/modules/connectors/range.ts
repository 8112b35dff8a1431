import { REPORT_PRESETS } from '../../../../contracts/connectors.ts'

/** The one date range both report tabs read: a preset ending yesterday (UTC), or custom days. */
export type Preset = (typeof REPORT_PRESETS)[number]
export type RangeChoice = { preset: Preset | 'custom'; from: string; to: string; compare: boolean }

const DAY_MS = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const day = (d: string) => Date.parse(`${d}T00:00:00Z`)

export const PRESET_LABELS: Record<Preset, string> = {
  yesterday: 'Yesterday',
  last_7_days: 'Last 7 days',
  last_14_days: 'Last 14 days',
  last_30_days: 'Last 30 days',
  last_90_days: 'Last 90 days',
}
const DAYS: Record<Preset, number> = {
  yesterday: 1,
  last_7_days: 7,
  last_14_days: 14,
  last_30_days: 30,
  last_90_days: 90,
}

/** Yesterday in UTC (the last day a report may end on, as the API counts it). */
export const yesterdayUtc = (now = new Date()) => iso(day(now.toISOString().slice(0, 10)) - DAY_MS)

/** A preset's days: N days ending yesterday (UTC). */
export const presetRange = (preset: Preset, now = new Date()) => {
  const to = yesterdayUtc(now)
  return { from: iso(day(to) - (DAYS[preset] - 1) * DAY_MS), to }
}

/** The period just before a range, as long as it (what `compare=previous` reads). */
export const previousOf = (r: { from: string; to: string }) => {
  const days = (day(r.to) - day(r.from)) / DAY_MS + 1
  const to = day(r.from) - DAY_MS
  return { from: iso(to - (days - 1) * DAY_MS), to: iso(to) }
}

/** What is wrong with a custom range (null: fine), in the API's own limits. */
export const rangeProblem = (r: { from: string; to: string }, now = new Date()): string | null => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(r.from) || !/^\d{4}-\d{2}-\d{2}$/.test(r.to)) return 'Pick both days.'
  if (day(r.from) > day(r.to)) return 'The first day is after the last day.'
  if (day(r.to) > day(now.toISOString().slice(0, 10))) return 'The last day is in the future.'
  if ((day(r.to) - day(r.from)) / DAY_MS + 1 > 366) return 'A range spans at most 366 days.'
  return null
}

export const defaultRange = (now = new Date()): RangeChoice => ({
  preset: 'last_30_days',
  ...presetRange('last_30_days', now),
  compare: true,
})

const shortDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' })
/** "3 Nov 2026 – 2 Dec 2026" (the days are UTC days). */
export const formatRange = (r: { from: string; to: string }) =>
  r.from === r.to
    ? shortDate.format(new Date(day(r.from)))
    : `${shortDate.format(new Date(day(r.from)))} – ${shortDate.format(new Date(day(r.to)))}`
