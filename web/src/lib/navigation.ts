/** Accepts only same-site relative paths: must start with `/`, never `//` or `/\`. */
export const safeNext = (raw: string | null | undefined): string | null => {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return null
  if (/[\u0000-\u001f\\]/.test(raw)) return null
  return raw
}

export const loginPath = (next?: string) => {
  const safe = safeNext(next)
  return safe && safe !== '/' ? `/login?next=${encodeURIComponent(safe)}` : '/login'
}

export const withNext = (path: string, next: string | null) => (next ? `${path}?next=${encodeURIComponent(next)}` : path)
