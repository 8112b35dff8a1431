import { useEffect, useState } from 'react'

/** `value`, updated only after it has stopped changing for `ms`. */
export const useDebounced = <T>(value: T, ms = 300): T => {
  const [debounced, setDebounced] = useState(value)
  useEffect(() => {
    const id = window.setTimeout(() => setDebounced(value), ms)
    return () => window.clearTimeout(id)
  }, [value, ms])
  return debounced
}
