import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import type { FormEvent } from 'react'
import { Link } from 'react-router'
import { notifyError } from '../../lib/error-toast.ts'
import { Badge } from '../../ui/Badge.tsx'
import { Button } from '../../ui/Button.tsx'
import { Card } from '../../ui/Card.tsx'
import { Textarea } from '../../ui/Input.tsx'
import { useToast } from '../../ui/Toast.tsx'
import { askAboutContact } from './api.ts'
import type { AskAnswer, Contact } from './api.ts'
import { Icon } from './icons.tsx'

/** A question about a contact, answered from their records by the AI (metered), with the records it used as chips. */
export function AskAi({ clientId, contact }: { clientId: string; contact: Contact }) {
  const { notify } = useToast()
  const [question, setQuestion] = useState('')
  const [answer, setAnswer] = useState<AskAnswer | null>(null)
  const ask = useMutation({
    mutationFn: (q: string) => askAboutContact(clientId, contact.id, q),
    onSuccess: (a) => {
      setAnswer(a)
      notify('The AI answered')
    },
    onError: (e) => notifyError(notify, e),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const q = question.trim()
    if (q) ask.mutate(q)
  }
  const example = contact.phones[0] ? `How much has ${contact.phones[0]} spent?` : 'How much have they spent?'
  return (
    <Card title="Ask AI" description="Answers come from this contact's bookings, deals and messages; it costs credits.">
      <form onSubmit={submit} className="space-y-2">
        <Textarea
          aria-label="Question"
          placeholder={example}
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
          maxLength={500}
          className="min-h-16"
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) submit(e)
          }}
        />
        <div className="flex justify-end">
          <Button type="submit" pending={ask.isPending} disabled={!question.trim()}>
            <Icon name="sparkles" />
            Ask
          </Button>
        </div>
      </form>
      {answer && (
        <section
          aria-label="Answer"
          className="mt-4 rounded-md border border-slate-200 bg-slate-50 p-3"
          aria-live="polite"
        >
          {answer.demo && (
            <p className="mb-2">
              <Badge tone="amber">Demo data</Badge>{' '}
              <span className="text-xs text-slate-500">answered by the offline model</span>
            </p>
          )}
          <p className="text-sm break-words whitespace-pre-wrap text-slate-900" data-testid="ask-answer">
            {answer.answer}
          </p>
          {answer.citations.length > 0 && (
            <ul aria-label="Sources" className="mt-3 flex flex-wrap gap-2">
              {answer.citations.map((c) => (
                <li key={`${c.type}-${c.id}`}>
                  <Link to={citationHref(c, contact.id)} className={CHIP} data-testid="citation">
                    {c.label}
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </Card>
  )
}

const CHIP =
  'inline-flex items-center rounded-full border border-indigo-200 bg-white px-2.5 py-0.5 text-xs font-medium ' +
  'text-indigo-800 hover:bg-indigo-50'

/** Where a cited record is shown: a booking in this contact's list, a deal on the board, a contact's page. */
const citationHref = (c: AskAnswer['citations'][number], contactId: string) => {
  const here = `/app/crm/contacts/${encodeURIComponent(contactId)}`
  switch (c.type) {
    case 'booking':
      return `${here}#booking-${c.id}`
    case 'deal':
      return '/app/crm/deals'
    case 'contact':
      return `/app/crm/contacts/${encodeURIComponent(c.id)}`
    case 'message':
      return here
  }
}
