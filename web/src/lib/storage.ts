import { useCallback, useSyncExternalStore } from 'react'

const EVENT = 'camarad:storage'

export const readStored = (key: string): string | null => {
  try {
    return window.localStorage.getItem(key)
  } catch {
    return null
  }
}

export const writeStored = (key: string, value: string | null) => {
  try {
    if (value === null) window.localStorage.removeItem(key)
    else window.localStorage.setItem(key, value)
  } catch {
    // storage may be unavailable (private mode); the app still works without persistence
  }
  window.dispatchEvent(new CustomEvent(EVENT, { detail: key }))
}

const subscribe = (callback: () => void) => {
  window.addEventListener('storage', callback)
  window.addEventListener(EVENT, callback)
  return () => {
    window.removeEventListener('storage', callback)
    window.removeEventListener(EVENT, callback)
  }
}

/** A localStorage value that re-renders when it changes (also across tabs). */
export const useStoredValue = (key: string): [string | null, (value: string | null) => void] => {
  const value = useSyncExternalStore(
    subscribe,
    () => readStored(key),
    () => null,
  )
  const set = useCallback((v: string | null) => writeStored(key, v), [key])
  return [value, set]
}

export const WORKSPACE_KEY = 'camarad.workspaceId'
export const clientKey = (workspaceId: string) => `camarad.clientId.${workspaceId}`
