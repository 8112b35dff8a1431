import { ApiError } from './api.ts'

export type FieldErrors<K extends string> = Partial<Record<K, string>>

/**
 * Maps `request.invalid` issues (`body.email`) onto form fields. Returns the field errors it could place
 * and a form-level message for the rest (or for non-validation errors).
 */
export const splitApiError = <K extends string>(
  error: unknown,
  fields: readonly K[],
): { fields: FieldErrors<K>; form: string | null } => {
  if (!(error instanceof ApiError))
    return { fields: {}, form: error ? 'Something went wrong. Please try again.' : null }
  const out: FieldErrors<K> = {}
  let unplaced = false
  for (const issue of error.issues) {
    const segments = issue.path.split('.')
    const name =
      (segments[0] === 'body' || segments[0] === 'query' || segments[0] === 'params' ? segments[1] : segments[0]) ?? ''
    const field = fields.find((f) => f === name)
    if (field && !out[field]) out[field] = capitalize(issue.message)
    else if (!field) unplaced = true
  }
  const placed = Object.keys(out).length > 0
  return { fields: out, form: placed && !unplaced ? null : error.message }
}

const capitalize = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s)

export const isHttpUrl = (value: string) => {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

export const isEmail = (value: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim())
