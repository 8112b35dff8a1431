import { useState } from 'react'
import { cx } from '../../lib/cx.ts'
import { Button } from '../../ui/Button.tsx'
import type { InboxMessage } from './api.ts'
import { MessageContent } from './MessageContent.tsx'
import { clockTime } from './people.tsx'
import { StatusTicks, failureText } from './StatusTicks.tsx'

/**
 * One message as a bubble: the contact's on the left, ours on the right with its delivery ticks. A failed one says
 * why on hover, and on a tap of its mark; `onRetry` offers to send it again (a send that never reached the server).
 */
export function MessageBubble({
  message,
  quoted,
  onRetry,
  retrying = false,
}: {
  message: InboxMessage
  quoted?: InboxMessage | null
  onRetry?: (() => void) | undefined
  retrying?: boolean
}) {
  const [why, setWhy] = useState(false)
  const out = message.direction === 'out'
  const failed = message.status === 'failed'
  const reason = failed ? failureText(message.error) : null
  return (
    <div className={cx('flex', out ? 'justify-end' : 'justify-start')}>
      <div
        data-testid="message"
        data-direction={message.direction}
        className={cx(
          'max-w-[85%] rounded-lg px-3 py-2 text-sm shadow-sm sm:max-w-[70%]',
          out
            ? 'rounded-br-sm bg-emerald-50 text-slate-900'
            : 'rounded-bl-sm border border-slate-200 bg-white text-slate-900',
          failed && 'ring-1 ring-red-300',
        )}
      >
        {message.replyTo && (
          <blockquote className="mb-1.5 border-l-2 border-emerald-500 bg-black/5 px-2 py-1 text-xs text-slate-600">
            {quoted ? <MessageContent message={quoted} compact /> : 'Reply to an earlier message'}
          </blockquote>
        )}
        <MessageContent message={message} />
        <div className="mt-1 flex items-center justify-end gap-1 text-[0.7rem] text-slate-500">
          {message.fromMe && message.direction === 'in' && <span>Sent from the phone ·</span>}
          <time dateTime={message.at}>{clockTime(message.at)}</time>
          {out &&
            (failed ? (
              <button
                type="button"
                title={reason ?? undefined}
                aria-expanded={why}
                aria-label={`Not sent. ${reason ?? ''}`}
                onClick={() => setWhy((w) => !w)}
                className="rounded"
              >
                <StatusTicks status="failed" />
              </button>
            ) : (
              <StatusTicks status={message.status} />
            ))}
        </div>
        {failed && (why || onRetry) && (
          <div className="mt-1 text-xs text-red-700" role={why ? 'note' : undefined}>
            {why && <p>{reason}</p>}
            {onRetry && (
              <Button variant="ghost" className="mt-1 px-2! py-0.5! text-xs" pending={retrying} onClick={onRetry}>
                Send again
              </Button>
            )}
          </div>
        )}
      </div>
    </div>
  )
}
