import type { InboxMessage } from './api.ts'

type Status = InboxMessage['status']

const LABEL: Record<Exclude<Status, 'received'>, string> = {
  queued: 'Waiting to send',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
}

/** WhatsApp refuses free-form messages outside the 24-hour window (Graph 131047; the inbox's own check). */
export const needsTemplate = (error: InboxMessage['error']) =>
  !!error && /131047|needs_template|window_closed/.test(error.code)

/** Why a message failed, in words for the person who sent it. */
export const failureText = (error: InboxMessage['error']) =>
  needsTemplate(error)
    ? 'A template is needed: the contact has not written for 24 hours.'
    : (error?.message ?? 'The message could not be sent.')

const svgProps = { viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2 } as const

/**
 * An outgoing message's delivery, drawn as WhatsApp does: a clock while queued, one tick sent, two delivered, two blue
 * read, a red mark failed. The status is also in words for screen readers.
 */
export function StatusTicks({ status }: { status: Status }) {
  if (status === 'received') return null
  const label = LABEL[status]
  return (
    <span
      role="img"
      aria-label={label}
      title={label}
      data-testid="message-status"
      data-status={status}
      className={status === 'read' ? 'text-sky-500' : status === 'failed' ? 'text-red-600' : 'text-slate-400'}
    >
      {status === 'queued' ? (
        <svg {...svgProps} className="size-3.5" strokeLinecap="round" strokeLinejoin="round">
          <circle cx="12" cy="12" r="8" />
          <path d="M12 8v4l2.5 2" />
        </svg>
      ) : status === 'sent' ? (
        <svg {...svgProps} className="size-4" strokeLinecap="round" strokeLinejoin="round">
          <path d="M5 12.5l4 4L19 7" />
        </svg>
      ) : status === 'failed' ? (
        <svg {...svgProps} className="size-4" strokeLinecap="round" strokeLinejoin="round">
          <circle cx="12" cy="12" r="9" />
          <path d="M12 7.5v5.5" />
          <path d="M12 16.5v.5" />
        </svg>
      ) : (
        <svg {...svgProps} className="size-4" strokeLinecap="round" strokeLinejoin="round">
          <path d="M2 12.5l4 4L16 7" />
          <path d="M11 15.5l1 1L22 7" />
        </svg>
      )}
    </span>
  )
}
