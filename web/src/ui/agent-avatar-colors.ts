/**
 * The generated avatar of an agent without a design or a picture: its name's initials on a colour derived from its
 * name (so the form's preview while naming it is what it gets). Plain functions, no React: tested in
 * test/web-agent-avatar.test.ts.
 */

/** Backgrounds white initials read well on (WCAG contrast at least 4.5:1, checked by the test). */
export const INITIALS_PALETTE = [
  '#4338ca', // indigo-700
  '#6d28d9', // violet-700
  '#7e22ce', // purple-700
  '#a21caf', // fuchsia-700
  '#be185d', // pink-700
  '#be123c', // rose-700
  '#b91c1c', // red-700
  '#c2410c', // orange-700
  '#92400e', // amber-800
  '#047857', // emerald-700
  '#0f766e', // teal-700
  '#155e75', // cyan-800
  '#075985', // sky-800
  '#1d4ed8', // blue-700
  '#334155', // slate-700
] as const

/** Up to two initials: the first letters of the first and last words (one word: its first letter); `?` for none. */
export const initialsOf = (name: string): string => {
  const words = name.match(/[\p{L}\p{N}][\p{L}\p{N}\p{M}'’]*/gu) ?? []
  if (words.length === 0) return '?'
  const first = [...words[0]!][0]!
  const last = words.length > 1 ? [...words[words.length - 1]!][0]! : ''
  return (first + last).toLocaleUpperCase()
}

/** FNV-1a over the UTF-16 code units: small, fast and spreads neighbouring ids apart. */
const hash = (text: string) => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** The background of an agent's initials, the same for the same key (its name) everywhere. */
export const initialsColor = (key: string): string => INITIALS_PALETTE[hash(key) % INITIALS_PALETTE.length]!

/** WCAG relative luminance of `#rrggbb`. */
const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

/** WCAG contrast ratio between two `#rrggbb` colours (1 to 21). */
export const contrastRatio = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}
