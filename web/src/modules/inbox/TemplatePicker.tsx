import { useQuery } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { Button } from '../../ui/Button.tsx'
import { Select } from '../../ui/Input.tsx'
import { QueryError } from '../../ui/QueryState.tsx'
import { channelKeys, listMessageTemplates } from '../channels/index.ts'
import type { MessageTemplate } from '../channels/index.ts'

const keyOf = (t: MessageTemplate) => `${t.name}|${t.language}`

/** The text of a template's body, with its {{1}} placeholders as they are. */
const bodyOf = (t: MessageTemplate) => {
  for (const c of t.components) {
    if (c && typeof c === 'object' && (c as { type?: unknown }).type === 'BODY') {
      const text = (c as { text?: unknown }).text
      if (typeof text === 'string') return text
    }
  }
  return null
}

/**
 * Replaces the composer once the 24-hour window is closed: WhatsApp then accepts only an approved template, which
 * opens the conversation again when the contact answers.
 */
export function TemplatePicker({
  channelId,
  canSend,
  onSend,
}: {
  channelId: string
  canSend: boolean
  onSend: (template: { name: string; language: string }) => unknown
}) {
  const id = useId()
  const [chosen, setChosen] = useState('')
  const query = useQuery({
    queryKey: channelKeys.templates(channelId),
    queryFn: ({ signal }) => listMessageTemplates(channelId, signal),
    retry: false,
    staleTime: 5 * 60_000,
  })
  const approved = (query.data?.items ?? []).filter((t) => t.status.toUpperCase() === 'APPROVED')
  const template = approved.find((t) => keyOf(t) === chosen) ?? null
  return (
    <div className="border-t border-slate-200 bg-white p-3" data-testid="template-picker">
      <p className="text-sm text-slate-700">
        <strong className="font-semibold">The 24-hour window is closed.</strong> The contact has not written for a day:
        WhatsApp accepts only an approved template until they answer.
      </p>
      {query.isPending ? (
        <div aria-hidden="true" className="mt-2 h-9 animate-pulse rounded bg-slate-100" />
      ) : query.isError ? (
        <div className="mt-2">
          <QueryError error={query.error} onRetry={() => void query.refetch()} />
        </div>
      ) : approved.length === 0 ? (
        <p className="mt-2 text-sm text-slate-500">This number has no approved template to send.</p>
      ) : (
        <form
          className="mt-2 space-y-2"
          onSubmit={(e) => {
            e.preventDefault()
            if (!template) return
            onSend({ name: template.name, language: template.language })
            setChosen('')
          }}
        >
          <div className="flex flex-wrap gap-2">
            <label htmlFor={`${id}-template`} className="sr-only">
              Template
            </label>
            <Select
              id={`${id}-template`}
              className="w-auto min-w-0 flex-1"
              value={chosen}
              disabled={!canSend}
              onChange={(e) => setChosen(e.target.value)}
            >
              <option value="">Choose a template…</option>
              {approved.map((t) => (
                <option key={keyOf(t)} value={keyOf(t)}>
                  {t.name} ({t.language}) · {t.category.toLowerCase()}
                </option>
              ))}
            </Select>
            <Button type="submit" disabled={!template || !canSend}>
              Send template
            </Button>
          </div>
          {template && bodyOf(template) && (
            <p className="rounded-md bg-slate-50 px-3 py-2 text-sm whitespace-pre-wrap text-slate-700">
              {bodyOf(template)}
            </p>
          )}
        </form>
      )}
    </div>
  )
}
