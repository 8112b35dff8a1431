/**
 * Exact decimals for report figures: Google sends int64 values as digit strings and some metrics (conversions,
 * conversion value) as JSON numbers with a few decimals. Each is held as a bigint of millionths, summed and divided
 * in integers, and shown as a decimal string: never a float sum.
 */
export const SCALE = 1_000_000n

/** `12.5`, `"7"`, `1e-7` → millionths (rounded half away from zero past the sixth decimal). */
export const toMillionths = (value: unknown): bigint => {
  if (value === undefined || value === null || value === '') return 0n
  const text = typeof value === 'number' ? exactText(value) : String(value).trim()
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text)
  if (!m) throw new Error(`not a decimal: ${text.slice(0, 40)}`)
  const [, sign, int = '', frac = ''] = m
  const digits = BigInt((int || '0') + frac.padEnd(7, '0').slice(0, 7))
  const rounded = (digits + 5n) / 10n
  return sign === '-' ? -rounded : rounded
}

/** A number's shortest round-trip text without exponent notation (what Google's JSON carried). */
const exactText = (n: number) => {
  if (!Number.isFinite(n)) throw new Error('not a finite number')
  const s = String(n)
  if (!/e/i.test(s)) return s
  return n.toFixed(12).replace(/0+$/, '').replace(/\.$/, '')
}

/** An int64 digit string (`"123"`) → bigint. */
export const toInt = (value: unknown): bigint => {
  if (value === undefined || value === null || value === '') return 0n
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error('not a safe integer')
    return BigInt(value)
  }
  if (!/^-?\d+$/.test(String(value))) throw new Error(`not an integer: ${String(value).slice(0, 40)}`)
  return BigInt(String(value))
}

/** Millionths → `"12.5"` (trailing zeros dropped). */
export const fromMillionths = (v: bigint) => {
  const sign = v < 0n ? '-' : ''
  const abs = v < 0n ? -v : v
  const frac = (abs % SCALE).toString().padStart(6, '0').replace(/0+$/, '')
  return `${sign}${abs / SCALE}${frac ? `.${frac}` : ''}`
}

/** a / b rounded half up to an integer (b > 0). */
export const divRound = (a: bigint, b: bigint) => (a * 2n + b) / (b * 2n)

/** a / b as a decimal string with `places` decimals (half up); null when b is 0. */
export const ratio = (a: bigint, b: bigint, places = 4) => {
  if (b === 0n) return null
  const scale = 10n ** BigInt(places)
  const q = divRound(a * scale, b)
  const frac = (q % scale).toString().padStart(places, '0')
  return `${q / scale}.${frac}`
}
