import { isTimeZone } from './bookings.ts'
import { isCalendarDate } from './fields.ts'

/**
 * The deterministic half of booking extraction (issue 14 §4): money as written → integer minor units and an ISO
 * currency (done here, never by a model), dates and times as people write them in English and Romanian, and the
 * rule-based extractor the offline model answers with.
 */

/** Currency words and signs as customers write them → ISO 4217. Every currency here has two decimals. */
const CURRENCY_WORDS: [RegExp, string][] = [
  [/^(lei|leu|ron|ro?n\.?)$/i, 'RON'],
  [/^(€|eur|euro|euros|evro)$/i, 'EUR'],
  [/^(\$|usd|us\$|dollars?|dolari?)$/i, 'USD'],
]
/** A currency word or sign in free text (the amount's neighbour). */
const CURRENCY_IN_TEXT = /(€|\$|\b(?:lei|leu|ron|eur|euro|euros|usd|dollars?|dolari)\b)/i

/** ISO code of a currency word or sign; null when it is not one we know. */
export const currencyOf = (word: string | null | undefined): string | null => {
  const w = (word ?? '').trim()
  if (!w) return null
  for (const [re, code] of CURRENCY_WORDS) if (re.test(w)) return code
  return null
}

/**
 * A written amount (`800`, `1,600.00`, `1.600`, `1 600,50`, `800 lei`, `€45`) in minor units, exactly (string
 * arithmetic, no floating point): a separator followed by exactly three digits is a thousands separator unless it is
 * the only one and the amount has more than one (`1.600` → 1600, `12.50` → 12.50). Null when it is not a positive
 * amount we can read (negative, no digits, more than two decimals).
 */
export const minorUnitsOf = (written: string): number | null => {
  const text = written.trim()
  if (/^-|^\(|−/.test(text)) return null
  const m = /\d[\d\s.,']*/.exec(text)
  if (!m) return null
  const raw = m[0].trim().replace(/[\s']/g, '')
  if (/[.,]$/.test(raw)) return minorUnitsOf(raw.slice(0, -1))
  const seps = [...raw.matchAll(/[.,]/g)]
  let whole = raw
  let frac = ''
  if (seps.length > 0) {
    const last = seps.at(-1)!
    const after = raw.slice(last.index + 1)
    const mixed = new Set(seps.map((s) => s[0])).size > 1
    const decimal = mixed || after.length !== 3 || (seps.length > 1 && last[0] !== seps[0]![0])
    if (decimal) {
      whole = raw.slice(0, last.index).replace(/[.,]/g, '')
      frac = after
    } else whole = raw.replace(/[.,]/g, '')
  }
  if (!/^\d+$/.test(whole) || !/^\d{0,2}$/.test(frac)) return null
  const minor = Number(whole) * 100 + Number(frac.padEnd(2, '0') || '0')
  return Number.isSafeInteger(minor) && minor > 0 ? minor : null
}

/** The amount and currency as the model (or a rule) read them → `{ minor, currency }`, or null when either fails. */
export const moneyOf = (written: string | null | undefined, currencyWord: string | null | undefined) => {
  if (!written) return null
  const currency = currencyOf(currencyWord) ?? currencyOf(CURRENCY_IN_TEXT.exec(written)?.[1])
  const minor = minorUnitsOf(written)
  return currency && minor !== null ? { minor, currency } : null
}

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, ian: 1, ianuarie: 1,
  feb: 2, february: 2, februarie: 2,
  mar: 3, march: 3, martie: 3,
  apr: 4, april: 4, aprilie: 4,
  may: 5, mai: 5,
  jun: 6, june: 6, iun: 6, iunie: 6,
  jul: 7, july: 7, iul: 7, iulie: 7,
  aug: 8, august: 8,
  sep: 9, sept: 9, september: 9, septembrie: 9,
  oct: 10, october: 10, octombrie: 10,
  nov: 11, november: 11, noiembrie: 11,
  dec: 12, december: 12, decembrie: 12,
} // prettier-ignore
const MONTH_NAMES = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|')
const pad = (n: number) => String(n).padStart(2, '0')

/**
 * A day and month (and maybe year) as a calendar date: without a year, the first such date on or after `reference`
 * (the day the customer wrote). Null when it is not a date.
 */
export const dateOf = (day: number, month: number, year: number | null, reference: Date): string | null => {
  const y = year === null ? reference.getUTCFullYear() : year < 100 ? 2000 + year : year
  let date = `${y}-${pad(month)}-${pad(day)}`
  if (year === null && date < reference.toISOString().slice(0, 10)) date = `${y + 1}-${pad(month)}-${pad(day)}`
  return isCalendarDate(date) ? date : null
}

/** The first date written in `text` ("14 March", "March 14", "14 martie", "14.03", "14/03/2027"), or null. */
export const findDate = (text: string, reference: Date): string | null => {
  const dayMonth = new RegExp(
    `\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(${MONTH_NAMES})\\b\\.?(?:\\s+(\\d{4}))?`,
    'i',
  )
  const monthDay = new RegExp(`\\b(${MONTH_NAMES})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4}))?`, 'i')
  const numeric = /\b(\d{1,2})[./](\d{1,2})(?:[./](\d{4}|\d{2}))?\b/
  let m = dayMonth.exec(text)
  if (m) return dateOf(Number(m[1]), MONTHS[m[2]!.toLowerCase()]!, m[3] ? Number(m[3]) : null, reference)
  m = monthDay.exec(text)
  if (m) return dateOf(Number(m[2]), MONTHS[m[1]!.toLowerCase()]!, m[3] ? Number(m[3]) : null, reference)
  m = numeric.exec(text)
  // "14.03" is a date; "15.00" (a time) or "1.600" (an amount) are not: the month must be 1..12.
  if (
    m &&
    Number(m[2]) >= 1 &&
    Number(m[2]) <= 12 &&
    !/^\s*(lei|ron|eur|euro|€|\$)/i.test(text.slice(m.index + m[0].length))
  )
    return dateOf(Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : null, reference)
  return null
}

/** The first time of day written in `text` ("3 pm", "3:30pm", "15:00", "ora 15", "la 15"), as HH:MM, or null. */
export const findTime = (text: string): string | null => {
  let m = /\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)(?![a-z])/i.exec(text)
  if (m) {
    let h = Number(m[1])
    const min = Number(m[2] ?? '0')
    if (h < 1 || h > 12 || min > 59) return null
    const pm = m[3]!.toLowerCase().startsWith('p')
    if (pm && h < 12) h += 12
    if (!pm && h === 12) h = 0
    return `${pad(h)}:${pad(min)}`
  }
  m = /\b([01]?\d|2[0-3]):([0-5]\d)\b/.exec(text)
  if (m) return `${pad(Number(m[1]))}:${m[2]}`
  m =
    /\b(?:ora|la ora|at)\s+([01]?\d|2[0-3])(?:[.:]([0-5]\d))?\b(?!\s*(?:lei|ron|eur|euro|€|\$|%|\.\d|people|persoane|copii|kids))/i.exec(
      text,
    )
  if (m && Number(m[1]) >= 8) return `${pad(Number(m[1]))}:${m[2] ?? '00'}`
  return null
}

/** The first amount with a currency written in `text` ("800 lei", "€45", "1.600 RON", "$ 50"), or null. */
export const findAmount = (text: string) => {
  const after = /(\d[\d.,' ]*\d|\d)\s*(lei|leu|ron|eur|euro|euros|€|\$|usd|dollars?|dolari)(?![a-z])/i.exec(text)
  if (after) return moneyOf(after[1], after[2])
  const before = /(€|\$|\b(?:eur|ron|usd)\b)\s*(\d[\d.,']*\d|\d)/i.exec(text)
  if (before) return moneyOf(before[2], before[1])
  return null
}

/** A place: "at our place", "at home", "la noi acasă", or "at|in|la <Capitalised Name>". */
export const findLocation = (text: string): string | null => {
  const home = /\b(at our place|at our house|at home|at my place|la noi(?: acas[aă])?|acas[aă])\b/i.exec(text)
  if (home) return home[1]!
  const named = /\b(?:at|in|la)\s+((?:the\s+)?[A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+){0,3})/u.exec(text)
  if (named && !Object.hasOwn(MONTHS, named[1]!.toLowerCase())) return named[1]!
  return null
}

/** Items asked for: "with Spider-Man and Elsa", "cu Spider-Man" (capitalised names), as a list. */
export const findItems = (text: string): string[] | null => {
  const m =
    /\b(?:with|cu)\s+((?:[A-Z][\p{L}'-]*)(?:\s+[A-Z][\p{L}'-]*)*(?:\s*(?:,|and|și|si)\s*[A-Z][\p{L}'-]*(?:\s+[A-Z][\p{L}'-]*)*)*)/u.exec(
      text,
    )
  if (!m) return null
  const items = m[1]!
    .split(/\s*(?:,|\band\b|\bși\b|\bsi\b)\s*/)
    .map((s) => s.trim())
    .filter(Boolean)
  return items.length ? items : null
}

/** A time zone named in text: an IANA name written out ("Europe/London"). */
export const findTimeZone = (text: string): string | null => {
  const m = /\b([A-Z][a-z]+\/[A-Z][A-Za-z_]+(?:\/[A-Z][A-Za-z_]+)?)\b/.exec(text)
  return m && isTimeZone(m[1]!) ? m[1]! : null
}

/** The first time zone of a country (ISO alpha-2) as the runtime's ICU data lists it; null when it knows none. */
export const zoneOfCountry = (country: string | null): string | null => {
  if (!country) return null
  try {
    const locale = new Intl.Locale(`und-${country}`) as Intl.Locale & {
      getTimeZones?: () => string[] | undefined
      timeZones?: string[]
    }
    const zones = locale.getTimeZones?.() ?? locale.timeZones
    const zone = zones?.[0]
    return zone && isTimeZone(zone) ? zone : null
  } catch {
    return null
  }
}

type Found<T> = { value: T; sourceMessageId: string } | null
export type RuleDraft = {
  date: Found<string>
  time: Found<string>
  timeZone: Found<string>
  location: Found<string>
  items: Found<string[]>
  amount: Found<{ minor: number; currency: string }>
}

/**
 * The offline extractor: each field from the latest message of the customer that states it (a later message changes
 * an earlier one), read with the rules above. Deterministic; unknown fields are null.
 */
export const ruleExtract = (messages: { id: string; direction: 'in' | 'out'; text: string | null; at: Date }[]) => {
  const draft: RuleDraft = { date: null, time: null, timeZone: null, location: null, items: null, amount: null }
  for (const m of messages) {
    if (m.direction !== 'in' || !m.text) continue
    const text = m.text
    const found = {
      date: findDate(text, m.at),
      time: findTime(text),
      timeZone: findTimeZone(text),
      location: findLocation(text),
      items: findItems(text),
      amount: findAmount(text),
    }
    for (const key of Object.keys(found) as (keyof RuleDraft)[]) {
      const value = found[key]
      if (value !== null) (draft as Record<string, Found<unknown>>)[key] = { value, sourceMessageId: m.id }
    }
  }
  return draft
}
