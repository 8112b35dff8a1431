import { createContext, useCallback, useContext, useMemo, useRef, useState } from 'react'
import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { cx } from '../lib/cx.ts'

/** A way out shown after the message (e.g. "See plans" under a plan limit). */
export type ToastLink = { to: string; label: string }
type Toast = { id: number; message: string; tone: 'success' | 'error'; link?: ToastLink | undefined }
type ToastApi = { notify: (message: string, tone?: Toast['tone'], link?: ToastLink) => void }

const ToastContext = createContext<ToastApi>({ notify: () => undefined })

export const useToast = () => useContext(ToastContext)

/** Short-lived confirmations in a polite live region at the bottom right. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([])
  const nextId = useRef(1)
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), [])
  const notify = useCallback(
    (message: string, tone: Toast['tone'] = 'success', link?: ToastLink) => {
      const id = nextId.current++
      setToasts((all) => [...all.slice(-2), { id, message, tone, link }])
      window.setTimeout(() => dismiss(id), 5000)
    },
    [dismiss],
  )
  const value = useMemo(() => ({ notify }), [notify])
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div
        aria-live="polite"
        role="status"
        aria-label="Notifications"
        className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-80 max-w-[calc(100%-2rem)] flex-col gap-2"
      >
        {toasts.map((t) => (
          <div
            key={t.id}
            className={cx(
              'pointer-events-auto flex items-start justify-between gap-3 rounded-md px-4 py-3 text-sm text-white shadow-lg',
              t.tone === 'error' ? 'bg-red-700' : 'bg-slate-900',
            )}
          >
            <span>
              {t.message}
              {t.link && (
                <>
                  {' '}
                  <Link to={t.link.to} className="font-medium underline" onClick={() => dismiss(t.id)}>
                    {t.link.label}
                  </Link>
                </>
              )}
            </span>
            <button
              type="button"
              onClick={() => dismiss(t.id)}
              className="text-white/80 hover:text-white"
              aria-label="Dismiss notification"
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  )
}
