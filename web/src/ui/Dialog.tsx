import { useEffect, useId, useRef } from 'react'
import type { ReactNode, SyntheticEvent } from 'react'
import { Button } from './Button.tsx'

type DialogProps = { open: boolean; title: string; onClose: () => void; children: ReactNode }

/**
 * A native <dialog> opened as a modal while `open`: focus is trapped, Escape closes (through `onClose`), focus returns
 * to the opener. Answers what the element needs.
 */
function useModal(open: boolean, onClose: () => void) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const el = ref.current
    if (!el) return
    if (open && !el.open) el.showModal()
    if (!open && el.open) el.close()
  }, [open])
  return {
    titleId,
    props: {
      ref,
      'aria-labelledby': titleId,
      onClose,
      onCancel: (e: SyntheticEvent) => {
        e.preventDefault()
        onClose()
      },
    },
  }
}

/** A modal built on native <dialog>: focus is trapped, Escape closes, focus returns to the opener. */
export function Dialog({ open, title, onClose, children }: DialogProps) {
  const { titleId, props } = useModal(open, onClose)
  return (
    <dialog
      {...props}
      className="m-auto w-[min(32rem,calc(100%-2rem))] rounded-lg border border-slate-200 bg-white p-0 text-slate-900 shadow-xl"
    >
      {open && (
        <div className="p-6">
          <h2 id={titleId} className="text-lg font-semibold">
            {title}
          </h2>
          <div className="mt-3">{children}</div>
        </div>
      )}
    </dialog>
  )
}

/**
 * A modal sheet from the right edge, the height of the screen (details, a draft beside the page): a title bar with
 * Close, and a body that scrolls. Toasts sit under it (it is modal): show outcomes inside it.
 */
export function Sheet({ open, title, onClose, width = 'sm', children }: DialogProps & { width?: 'sm' | 'md' }) {
  const { titleId, props } = useModal(open, onClose)
  const edge =
    'my-0 mr-0 ml-auto h-dvh max-h-dvh w-full border-l border-slate-200 bg-white p-0 text-slate-900 shadow-xl'
  return (
    <dialog {...props} className={`${edge} ${width === 'md' ? 'max-w-md' : 'max-w-sm'}`}>
      {open && (
        <div className="flex h-full flex-col">
          <div className="flex items-center justify-between border-b border-slate-200 px-5 py-4">
            <h2 id={titleId} className="text-lg font-semibold">
              {title}
            </h2>
            <Button variant="ghost" onClick={onClose}>
              Close
            </Button>
          </div>
          <div className="flex-1 overflow-y-auto px-5 py-4 break-words">{children}</div>
        </div>
      )}
    </dialog>
  )
}

type ConfirmProps = {
  open: boolean
  title: string
  message: ReactNode
  confirmLabel: string
  pending?: boolean
  error?: string | null
  onConfirm: () => void
  onCancel: () => void
}

/** "Are you sure?" for destructive actions. */
export function ConfirmDialog({
  open,
  title,
  message,
  confirmLabel,
  pending = false,
  error,
  onConfirm,
  onCancel,
}: ConfirmProps) {
  return (
    <Dialog open={open} title={title} onClose={pending ? () => undefined : onCancel}>
      <div className="text-sm text-slate-700">{message}</div>
      {error && (
        <p role="alert" className="mt-3 text-sm text-red-700">
          {error}
        </p>
      )}
      <div className="mt-6 flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel} disabled={pending} autoFocus>
          Cancel
        </Button>
        <Button variant="danger" onClick={onConfirm} pending={pending}>
          {confirmLabel}
        </Button>
      </div>
    </Dialog>
  )
}
