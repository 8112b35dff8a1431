/** Every amount from the API is an integer number of micro-credits. */
export const MICRO_PER_CREDIT = 1_000_000

const big = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
const small = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 })

/** "50.00", "0.4213", "< 0.0001": two decimals from one credit up, up to four below. */
export const formatCredits = (micro: number): string => {
  const credits = Math.abs(micro) / MICRO_PER_CREDIT
  const sign = micro < 0 ? '−' : ''
  if (credits > 0 && credits < 0.0001) return `${sign}< 0.0001`
  return sign + (credits >= 1 ? big : small).format(credits)
}

/** Ledger amounts: "+50.00", "−0.0042". */
export const formatSignedCredits = (micro: number) => (micro > 0 ? `+${formatCredits(micro)}` : formatCredits(micro))

export const creditsLabel = (micro: number) =>
  `${formatCredits(micro)} ${Math.abs(micro) === MICRO_PER_CREDIT ? 'credit' : 'credits'}`

/** A credits amount typed by a person ("2.5") as micro-credits; null when empty, NaN when not a number. */
export const parseCredits = (text: string): number | null => {
  const t = text.trim().replace(',', '.')
  if (!t) return null
  if (!/^\d+(\.\d{1,6})?$/.test(t)) return Number.NaN
  return Math.round(Number(t) * MICRO_PER_CREDIT)
}

/** Micro-credits as the plain number a form field starts with ("2.5"), '' for none. */
export const creditsInput = (micro: number | null | undefined) =>
  micro === null || micro === undefined ? '' : String(micro / MICRO_PER_CREDIT)

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 })
export const formatShare = (part: number, whole: number) => percent.format(whole > 0 ? Math.min(part / whole, 9.99) : 0)
