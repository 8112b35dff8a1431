import { useState } from 'react'
import { Button } from './Button.tsx'

/** Shows a one-time value (token, link) in a selectable box with a copy button. */
export function CopyField({ value, testId, label }: { value: string; testId: string; label: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value)
      setCopied('yes')
    } catch {
      setCopied('failed')
    }
  }
  return (
    <div className="mt-2 flex flex-col gap-2 sm:flex-row sm:items-center">
      <code
        data-testid={testId}
        aria-label={label}
        className="block flex-1 break-all rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm text-slate-900 select-all"
      >
        {value}
      </code>
      <Button variant="secondary" onClick={copy}>
        {copied === 'yes' ? 'Copied' : 'Copy'}
      </Button>
      <span aria-live="polite" className="sr-only">
        {copied === 'yes'
          ? 'Copied to clipboard'
          : copied === 'failed'
            ? 'Copy failed; select the text and copy it manually'
            : ''}
      </span>
    </div>
  )
}
