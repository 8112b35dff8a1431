import { useCallback, useEffect, useState } from 'react'

/** `value`, updated only after it has stopped changing for `ms`. */
export const useDebounced = <T>(value: T, ms = 300): T => {
  const [debounced, setDebounced] = useState(value)
  useEffect(() => {
    const id = window.setTimeout(() => setDebounced(value), ms)
    return () => window.clearTimeout(id)
  }, [value, ms])
  return debounced
}

/**
 * An input's value and its debounced copy: `set` is typing (the copy follows once it stops for `ms`), `setNow` is a
 * choice made at once (a saved view applied), so the copy never lags behind the other filters set with it.
 */
export const useDebouncedState = <T>(initial: T, ms = 300) => {
  const [value, setValue] = useState(initial)
  const [debounced, setDebounced] = useState(initial)
  useEffect(() => {
    if (Object.is(value, debounced)) return
    const id = window.setTimeout(() => setDebounced(value), ms)
    return () => window.clearTimeout(id)
  }, [value, debounced, ms])
  const setNow = useCallback((v: T) => {
    setValue(v)
    setDebounced(v)
  }, [])
  return { value, set: setValue, debounced, setNow }
}
