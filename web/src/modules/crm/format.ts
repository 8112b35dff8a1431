const cache = new Map<string, Intl.NumberFormat>()
const formatterOf = (currency: string) => {
  let f = cache.get(currency)
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency })
    } catch {
      f = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    }
    cache.set(currency, f)
  }
  return f
}

/** Digits after the point for a currency (2 for EUR, 0 for JPY), as Intl knows it. */
export const fractionDigits = (currency: string) => {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    return 2
  }
}

/** Minor units (cents, bani) as money: 80000 RON → "RON 800.00" in the reader's locale. */
export const formatMoney = (minor: number, currency: string) =>
  formatterOf(currency).format(minor / 10 ** fractionDigits(currency))

/** "800", "800.5", "800,50" → minor units; null when it is not an amount. */
export const parseAmount = (text: string, currency: string): number | null => {
  const clean = text.trim().replace(/\s/g, '').replace(',', '.')
  if (!/^\d+(\.\d+)?$/.test(clean)) return null
  const digits = fractionDigits(currency)
  const minor = Math.round(Number(clean) * 10 ** digits)
  return Number.isSafeInteger(minor) ? minor : null
}

/** Minor units as the text an amount input shows ("800.00"). */
export const amountText = (minor: number, currency: string) =>
  (minor / 10 ** fractionDigits(currency)).toFixed(fractionDigits(currency))

/** A YYYY-MM-DD as a local calendar date (no time-zone shift). */
export const formatDay = (date: string | null | undefined) => {
  if (!date) return '—'
  const [y, m, d] = date.split('-').map(Number)
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(new Date(y!, m! - 1, d!))
}

/** Comma-separated text as a clean list. */
export const splitList = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

export const contactPath = (id: string) => `/app/crm/contacts/${encodeURIComponent(id)}`

/**
 * A booking's wall time with its zone's short name on that date ("15:00 EET", "15:00 GMT+2"): bookings are shown in
 * their own zone, never converted to the reader's. Without a time, the zone name alone.
 */
export const bookingTime = (b: { date: string; time: string | null; timeZone: string }) => {
  let short = b.timeZone
  try {
    // Noon UTC of that day stands for the day: the zone's name (summer or winter time) on that date.
    const at = new Date(`${b.date}T${b.time ?? '12:00'}:00Z`)
    short =
      new Intl.DateTimeFormat('en', { timeZone: b.timeZone, timeZoneName: 'short' })
        .formatToParts(at)
        .find((p) => p.type === 'timeZoneName')?.value ?? b.timeZone
  } catch {
    // A zone this browser does not know: its name as stored.
  }
  return b.time ? `${b.time} ${short}` : short
}
