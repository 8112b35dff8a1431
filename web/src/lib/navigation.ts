/** Accepts only same-site relative paths: must start with `/`, never `//` or `/\`. */
export const safeNext = (raw: string | null | undefined): string | null => {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return null
  for (const ch of raw) if (ch.charCodeAt(0) < 0x20 || ch === '\\') return null
  return raw
}

export const loginPath = (next?: string) => {
  const safe = safeNext(next)
  return safe && safe !== '/' ? `/login?next=${encodeURIComponent(safe)}` : '/login'
}

export const withNext = (path: string, next: string | null) =>
  next ? `${path}?next=${encodeURIComponent(next)}` : path
