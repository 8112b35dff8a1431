import { useId, useState } from 'react'
import type { KeyboardEvent } from 'react'
import { Button } from '../../ui/Button.tsx'
import { Select, Textarea } from '../../ui/Input.tsx'
import type { ModelDto } from '../models/index.ts'
import { DraftEstimate } from './DraftEstimate.tsx'
import { cx } from '../../lib/cx.ts'

type Props = {
  /** For the cost estimate of the draft. */
  conversationId: string
  clientId: string
  models: ModelDto[]
  modelsLoading: boolean
  /** The agent's model when the server offers it, else '' ("Default": the server picks). */
  defaultModelId: string
  /** Shown while the conversation has no message yet. */
  starterPrompts: string[]
  streaming: boolean
  stopping: boolean
  onSend: (content: string, modelId?: string) => Promise<boolean>
  onStop: () => void
}

/** Question box: Enter sends, Shift+Enter adds a line; a model picker; Stop while an answer is written. */
export function Composer({
  conversationId,
  clientId,
  models,
  modelsLoading,
  defaultModelId,
  starterPrompts,
  streaming,
  stopping,
  onSend,
  onStop,
}: Props) {
  const id = useId()
  const [text, setText] = useState('')
  const [chosenModel, setChosenModel] = useState<string | null>(null)
  const [sending, setSending] = useState(false)
  const modelId = chosenModel ?? defaultModelId
  const busy = streaming || sending

  const send = async (content: string) => {
    if (busy || !content.trim()) return
    setSending(true)
    try {
      if ((await onSend(content.trim(), modelId || undefined)) && content === text) setText('')
    } finally {
      setSending(false)
    }
  }
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== 'Enter' || e.shiftKey || e.nativeEvent.isComposing) return
    e.preventDefault()
    void send(text)
  }

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        void send(text)
      }}
      className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm"
    >
      {starterPrompts.length > 0 && (
        <div className="mb-3">
          <p id={`${id}-starters`} className="mb-1.5 text-sm text-slate-600">
            Not sure where to start? Try one of these:
          </p>
          <ul aria-labelledby={`${id}-starters`} className="flex flex-wrap gap-1.5">
            {starterPrompts.map((prompt) => (
              <li key={prompt}>
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => void send(prompt)}
                  className={cx(
                    'rounded-full border border-slate-300 bg-slate-50 px-3 py-1 text-left',
                    'text-sm text-slate-700 hover:border-indigo-300 hover:bg-indigo-50',
                    'disabled:opacity-60',
                  )}
                >
                  {prompt}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <label htmlFor={`${id}-message`} className="sr-only">
        Message
      </label>
      <Textarea
        id={`${id}-message`}
        aria-describedby={`${id}-keys ${id}-estimate`}
        rows={2}
        className="min-h-14! resize-y sm:min-h-20!"
        placeholder="Ask anything…"
        value={text}
        maxLength={32_000}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <DraftEstimate
        id={`${id}-estimate`}
        clientId={clientId}
        conversationId={conversationId}
        modelId={modelId || undefined}
        text={text}
      />
      <div className="mt-1 flex flex-wrap items-center justify-between gap-2">
        <div className="flex items-center gap-2">
          <label htmlFor={`${id}-model`} className="text-sm font-medium text-slate-700">
            Model
          </label>
          <Select
            id={`${id}-model`}
            className="w-auto py-1.5"
            value={modelId}
            disabled={modelsLoading}
            onChange={(e) => setChosenModel(e.target.value)}
          >
            <option value="">Default</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </Select>
        </div>
        <div className="flex items-center gap-2">
          <span id={`${id}-keys`} className="hidden text-xs text-slate-500 sm:inline">
            Enter to send, Shift+Enter for a new line
          </span>
          {streaming && (
            <Button variant="secondary" pending={stopping} onClick={onStop}>
              Stop
            </Button>
          )}
          <Button type="submit" disabled={busy || !text.trim()} pending={sending}>
            Send
          </Button>
        </div>
      </div>
    </form>
  )
}
