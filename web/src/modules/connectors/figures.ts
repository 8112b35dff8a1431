/**
 * Exact figures from the connectors' reports, shown without floats: integers and micros are digit strings, ratios
 * are decimal strings; all of them are read as integers of millionths (BigInt) and formatted from there.
 */

const SCALE = 1_000_000n

/** A decimal string ("12", "-3.5", "0.0532") as an integer of millionths (digits past the sixth dropped); null if not one. */
export const toMillionths = (value: string | null | undefined): bigint | null => {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec((value ?? '').trim())
  if (!m) return null
  const n = BigInt(m[2]!) * SCALE + BigInt((m[3] ?? '').slice(0, 6).padEnd(6, '0'))
  return m[1] ? -n : n
}

/** Rounds millionths to `digits` decimals (half away from zero) and answers a plain decimal string ("1234.57"). */
export const millionthsToDecimal = (n: bigint, digits: number): string => {
  const unit = 10n ** BigInt(6 - digits)
  const negative = n < 0n
  const abs = negative ? -n : n
  const rounded = (abs + unit / 2n) / unit
  const whole = rounded / 10n ** BigInt(digits)
  const frac = rounded % 10n ** BigInt(digits)
  const text = digits ? `${whole}.${frac.toString().padStart(digits, '0')}` : `${whole}`
  return negative && rounded !== 0n ? `-${text}` : text
}

type Decimal = `${number}`
/** Intl formats a decimal string exactly (no float in between). */
const fmt = (options: Intl.NumberFormatOptions, decimal: string) =>
  new Intl.NumberFormat(undefined, options).format(decimal as Decimal)

/** "12 345" from "12345" (digit strings of any size). */
export const formatInteger = (value: string | null | undefined): string => {
  const n = toMillionths(value)
  return n === null ? '—' : fmt({ maximumFractionDigits: 0 }, millionthsToDecimal(n, 0))
}

/** A decimal string with up to `max` decimals ("12.5"). */
export const formatDecimal = (value: string | null | undefined, max = 2): string => {
  const n = toMillionths(value)
  return n === null ? '—' : fmt({ maximumFractionDigits: max }, millionthsToDecimal(n, max))
}

/** Money from micros ("1234567890" EUR → "€1,234.57"); without a currency, the amount alone. */
export const formatMicros = (micros: string | null | undefined, currency: string | null): string => {
  const n = toMillionths(micros)
  if (n === null) return '—'
  const amount = millionthsToDecimal(n / SCALE, 2)
  try {
    if (currency)
      return fmt({ style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }, amount)
  } catch {
    /* an unknown currency code: the amount and the code */
  }
  return `${fmt({ minimumFractionDigits: 2, maximumFractionDigits: 2 }, amount)}${currency ? ` ${currency}` : ''}`
}

/** A ratio ("0.0532") as a percent ("5.32%"). */
export const formatRatioPercent = (ratio: string | null | undefined, digits = 2): string => {
  const n = toMillionths(ratio)
  return n === null ? '—' : `${fmt({ maximumFractionDigits: digits }, millionthsToDecimal(n * 100n, digits))}%`
}

/** Seconds as "1h 02m" / "3m 05s" / "42s" (GA4 durations are decimal strings of seconds). */
export const formatSeconds = (value: string | null | undefined): string => {
  const n = toMillionths(value)
  if (n === null) return '—'
  const s = Number((n + SCALE / 2n) / SCALE)
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${s}s`
}

export type Change = { direction: 'up' | 'down' | 'flat'; percent: string } | { direction: 'new' } | null

/**
 * The change from `previous` to `current` in percent, one decimal ("+12.5%"); `new` when it grew from zero, null when
 * either is missing.
 */
export const change = (current: string | null | undefined, previous: string | null | undefined): Change => {
  const c = toMillionths(current)
  const p = toMillionths(previous)
  if (c === null || p === null) return null
  if (p === 0n) return c === 0n ? { direction: 'flat', percent: '0%' } : { direction: 'new' }
  // (c − p) / |p| in millionths of a percent: × 100 for percent.
  const diff = ((c - p) * SCALE * 100n) / (p < 0n ? -p : p)
  const text = millionthsToDecimal(diff, 1)
  if (/^-?0\.0$/.test(text)) return { direction: 'flat', percent: '0%' }
  return diff > 0n ? { direction: 'up', percent: `+${text}%` } : { direction: 'down', percent: `${text}%` }
}

/** Bar lengths (0–1) for an SVG chart, computed on millionths so big integers keep their order. */
export const shares = (values: (string | null | undefined)[]): number[] => {
  const ns = values.map((v) => toMillionths(v) ?? 0n)
  const max = ns.reduce((m, n) => (n > m ? n : m), 0n)
  if (max <= 0n) return ns.map(() => 0)
  return ns.map((n) => (n <= 0n ? 0 : Number((n * 10_000n) / max) / 10_000))
}
